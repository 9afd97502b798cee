// The denoiser engine's fixed-point arithmetic (DenoiserCore::runFixed) against the exact float block
// (DenoiserCore::run, itself checked against a naive reference in denoiser_test.cpp):
//  * mean mode stays within the worst-case bound derived from the configured widths
//    (tests/support/denoiser_bound.h), and the error is real (not zero) and shrinks with the widths;
//  * every stored value is a code of its format: y·2^f_y is an integer within the activation word;
//  * sample mode uses σ·ε: with ε = 0 it equals mean mode, with ε ≠ 0 the difference follows σ·ε.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "models/denoiser/denoiser.h"
#include "sim/core/rng.h"
#include "tests/support/denoiser_bound.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

DenoiserWeights blockWeights(const DenoiserBlockShape& s, std::uint64_t seed) {
  const int C = s.channels, R = s.reducedChannels;
  auto m = [&](int r, int c, std::uint64_t k, float scale) {
    return RowMatrix(testing::randomMatrix(r, c, streamKey(seed, {k})) * scale);
  };
  DenoiserWeights w;
  w.reduce = m(R, C, 1, 1.0f / std::sqrt(float(C)));
  w.reduceBias = m(R, 1, 2, 0.2f).col(0);
  w.conv3x3 = m(R, 9 * R, 3, 1.0f / std::sqrt(9.0f * R));
  w.conv3x3Bias = m(R, 1, 4, 0.2f).col(0);
  w.mean = m(C, R, 5, 1.0f / std::sqrt(float(R)));
  w.meanBias = m(C, 1, 6, 0.2f).col(0);
  w.logVar = m(C, R, 7, 0.5f / std::sqrt(float(R)));
  w.logVarBias = Eigen::VectorXf::Constant(C, -1.0f);
  return w;
}

DenoiserParams widths(int activation, int weight, int accumulator) {
  DenoiserParams p;
  p.activationBits = activation;
  p.weightBits = weight;
  p.biasBits = accumulator;
  return p;
}

struct Case {
  DenoiserBlockShape shape{8, 6, 5, 3, DenoiserMode::Mean};
  DenoiserWeights w = blockWeights(shape, 7);
  RowMatrix x = RowMatrix(testing::randomMatrix(16, int(shape.elements()), 11) * 1.5f);
};

/// max |runFixed − run|, the derived bound and max |y|, formats calibrated on the same batch.
std::tuple<double, double, double> errorAndBound(const DenoiserParams& p, const Case& c) {
  const DenoiserCore core(p);
  RowMatrix yFloat, yFixed;
  DenoiserRanges r;
  core.run(c.shape, c.x, c.w, nullptr, yFloat, &r);
  const DenoiserFormats f = core.formatsFor(r);
  core.runFixed(c.shape, c.x, c.w, f, nullptr, yFixed);
  return {(yFixed - yFloat).cwiseAbs().maxCoeff(), testing::denoiserMeanModeBound(core, c.shape, c.w, f, r), r.y};
}

TEST(DenoiserFixedPoint, MeanModeWithinTheBoundDerivedFromTheWidths) {
  const Case c;
  for (auto [a, w, acc] : {std::tuple{8, 8, 32}, {6, 5, 24}, {12, 10, 32}, {16, 16, 40}, {4, 4, 16}}) {
    const auto [err, bound, yMax] = errorAndBound(widths(a, w, acc), c);
    EXPECT_LE(err, bound + 1e-5) << a << "/" << w << "/" << acc;
    EXPECT_GT(err, 0.0) << "the fixed-point path must differ from float at " << a << " bits";
    // The worst-case bound is not vacuous: below a quarter of the output range at 8 bits and more.
    if (a >= 8) {
      EXPECT_LT(bound, 0.25 * yMax) << a << " err " << err;
    }
  }
}

TEST(DenoiserFixedPoint, ErrorShrinksWithTheWidths) {
  const Case c;
  const double e8 = std::get<0>(errorAndBound(widths(8, 8, 32), c));
  const double e12 = std::get<0>(errorAndBound(widths(12, 12, 40), c));
  const double e4 = std::get<0>(errorAndBound(widths(4, 4, 16), c));
  EXPECT_LT(e12, e8 / 8) << e12 << " vs " << e8;  // 4 more bits: ~16x smaller LSBs
  EXPECT_GT(e4, e8 * 4) << e4 << " vs " << e8;
}

TEST(DenoiserFixedPoint, OutputsAreCodesOfTheirFormat) {
  const Case c;
  const DenoiserCore core(widths(8, 8, 32));
  RowMatrix y;
  DenoiserRanges r;
  core.run(c.shape, c.x, c.w, nullptr, y, &r);
  const DenoiserFormats f = core.formatsFor(r);
  core.runFixed(c.shape, c.x, c.w, f, nullptr, y);
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double code = std::ldexp(static_cast<double>(y.data()[i]), f.y);
    ASSERT_EQ(code, std::round(code)) << i;
    ASSERT_LE(std::abs(code), 127.0) << i;
  }
  // The format is the tightest one holding the range: one more fraction bit would overflow 127.
  EXPECT_LE(std::floor(r.y * std::ldexp(1.0, f.y) + 0.5), 127.0);
  EXPECT_GT(std::floor(r.y * std::ldexp(1.0, f.y + 1) + 0.5), 127.0);
}

TEST(DenoiserFixedPoint, SampleModeSubtractsSigmaTimesEpsilon) {
  Case c;
  c.shape.mode = DenoiserMode::Sample;
  const DenoiserCore core(widths(12, 10, 32));
  DenoiserBlockShape meanShape = c.shape;
  meanShape.mode = DenoiserMode::Mean;
  const RowMatrix zero = RowMatrix::Zero(c.x.rows(), c.x.cols());
  const RowMatrix eps = RowMatrix(testing::randomMatrix(int(c.x.rows()), int(c.x.cols()), 5));
  RowMatrix y, yMean, yZero, yEps, yFloat;
  DenoiserRanges r;
  core.run(c.shape, c.x, c.w, &eps, yFloat, &r);
  DenoiserRanges rm;
  core.run(meanShape, c.x, c.w, nullptr, y, &rm);
  r.merge(rm);
  const DenoiserFormats f = core.formatsFor(r);
  core.runFixed(meanShape, c.x, c.w, f, nullptr, yMean);
  core.runFixed(c.shape, c.x, c.w, f, &zero, yZero);
  core.runFixed(c.shape, c.x, c.w, f, &eps, yEps);
  EXPECT_EQ((yZero - yMean).cwiseAbs().maxCoeff(), 0.0f);  // ε = 0: the mean-mode bits
  // With ε: y = x − μ − σ·ε; σ = exp(½·logσ²) of the float reference, so (yMean − yEps)/ε ≈ σ within a few LSBs.
  const double lsb = std::ldexp(1.0, -f.y);
  EXPECT_LE((yEps - yFloat).cwiseAbs().maxCoeff(), 64 * lsb);
  EXPECT_GT((yEps - yMean).cwiseAbs().maxCoeff(), 100 * lsb);
}

}  // namespace
}  // namespace mxsim
