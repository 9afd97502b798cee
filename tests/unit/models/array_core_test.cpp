// Tests for one analog array's datapath (models/tile/array_core.h): mvm() against a naive double-precision
// reference that applies the ADC definition (clip to ±fullScale, round to fullScale/(2^(bits−1)−1) steps)
// per input phase, the pre-quantisation max |partial sum|, and the pipeline cycle / action rules.
#include "tests/support/statistics.h"
#include "models/tile/array_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

using testing::randomWeights;

constexpr int kAdcBits = 6;  // L = 31 levels per sign

ArrayParams makeParams() {
  ArrayParams p;
  p.xbar.rows = 64;
  p.xbar.cols = 32;
  p.xbar.readCycles = 7;
  p.dac.bits = 8;
  p.dac.cycles = 2;
  p.adc.bits = kAdcBits;
  p.adc.perArray = 5;
  p.adc.conversionCycles = 3;
  return p;
}

ArrayCore makeCore() { return ArrayCore(makeParams(), DeviceNoiseParams{}); }

RowMatrix randomInputs(int n, int k, bool signedInput, std::uint64_t key) {
  Rng rng(key);
  RowMatrix x(n, k);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < k; ++j) {
      const double u = rng.uniform();
      x(i, j) = static_cast<float>(signedInput ? 2 * u - 1 : u);
    }
  return x;
}

/// Naive partial sums Σ_i f(x[n, i])·g[i, c] in double, with f selecting the input phase.
template <class F>
std::vector<std::vector<double>> naiveMvm(const RowMatrix& x, const ColMatrix& g, F phase) {
  std::vector<std::vector<double>> out(x.rows(), std::vector<double>(g.cols(), 0.0));
  for (Eigen::Index n = 0; n < x.rows(); ++n)
    for (Eigen::Index c = 0; c < g.cols(); ++c)
      for (Eigen::Index i = 0; i < x.cols(); ++i) out[n][c] += phase(static_cast<double>(x(n, i))) * g(i, c);
  return out;
}

/// The ADC's definition: clip to ±fs, then round to the nearest multiple of fs / (2^(bits−1) − 1).
double adcQ(double p, double fs) {
  const double L = (1 << (kAdcBits - 1)) - 1;
  const double step = fs / L;
  return std::round(std::clamp(p, -fs, fs) / step) * step;
}

/// True when p is within a float rounding error of a code boundary, where float and double may legitimately
/// round to different codes; such entries are excluded from exact comparison (and counted).
bool nearBoundary(double p, double fs) {
  const double step = fs / ((1 << (kAdcBits - 1)) - 1);
  const double frac = std::fabs(p / step - std::floor(p / step) - 0.5);
  return std::fabs(p) < fs && frac < 1e-4;
}

double maxAbsOf(const std::vector<std::vector<double>>& m) {
  double a = 0;
  for (const auto& row : m)
    for (double v : row) a = std::max(a, std::fabs(v));
  return a;
}

TEST(ArrayCoreTest, UnsignedMvmEqualsNaiveQuantisedProduct) {
  const ArrayCore core = makeCore();
  const RowMatrix x = randomInputs(6, 40, false, streamKey(1, {1}));
  const ColMatrix g = randomWeights(40, 12, streamKey(1, {2}));
  const auto p = naiveMvm(x, g, [](double v) { return v; });
  const double fs = 0.6 * maxAbsOf(p);  // some sums clip
  RowMatrix out;
  float maxAbs = 0.0f;
  core.mvm(x, g, false, static_cast<float>(fs), out, &maxAbs);
  ASSERT_EQ(out.rows(), 6);
  ASSERT_EQ(out.cols(), 12);
  int clipped = 0, skipped = 0;
  for (int n = 0; n < 6; ++n) {
    for (int c = 0; c < 12; ++c) {
      clipped += std::fabs(p[n][c]) > fs;
      if (nearBoundary(p[n][c], fs)) {
        ++skipped;
        continue;
      }
      EXPECT_NEAR(out(n, c), adcQ(p[n][c], fs), 1e-5 * fs) << "n=" << n << " c=" << c << " p=" << p[n][c];
    }
  }
  EXPECT_GT(clipped, 0) << "test data should exercise clipping";
  EXPECT_LT(skipped, 3);
  EXPECT_NEAR(maxAbs, maxAbsOf(p), 1e-5 * maxAbsOf(p));  // before quantisation: exceeds fs
}

TEST(ArrayCoreTest, SignedMvmIsDifferenceOfTwoQuantisedPhases) {
  const ArrayCore core = makeCore();
  const RowMatrix x = randomInputs(8, 50, true, streamKey(2, {1}));
  const ColMatrix g = randomWeights(50, 16, streamKey(2, {2}));
  const auto pPos = naiveMvm(x, g, [](double v) { return std::max(v, 0.0); });
  const auto pNeg = naiveMvm(x, g, [](double v) { return std::max(-v, 0.0); });
  const double fs = 0.7 * std::max(maxAbsOf(pPos), maxAbsOf(pNeg));
  RowMatrix out;
  float maxAbs = 0.0f;
  core.mvm(x, g, true, static_cast<float>(fs), out, &maxAbs);
  int skipped = 0, differsFromOnePhase = 0;
  for (int n = 0; n < 8; ++n) {
    for (int c = 0; c < 16; ++c) {
      if (nearBoundary(pPos[n][c], fs) || nearBoundary(pNeg[n][c], fs)) {
        ++skipped;
        continue;
      }
      const double expected = adcQ(pPos[n][c], fs) - adcQ(pNeg[n][c], fs);
      EXPECT_NEAR(out(n, c), expected, 2e-5 * fs) << "n=" << n << " c=" << c;
      // Quantising x·g in one pass would give a different answer for most entries.
      differsFromOnePhase += std::fabs(expected - adcQ(pPos[n][c] - pNeg[n][c], fs)) > 1e-3 * fs;
    }
  }
  EXPECT_LT(skipped, 3);
  EXPECT_GT(differsFromOnePhase, 10) << "test data does not distinguish two-phase from one-phase quantisation";
  // maxAbs covers both phases, before quantisation.
  const double expectedMax = std::max(maxAbsOf(pPos), maxAbsOf(pNeg));
  EXPECT_NEAR(maxAbs, expectedMax, 1e-5 * expectedMax);
}

TEST(ArrayCoreTest, NonPositiveFullScaleSkipsQuantisation) {
  const ArrayCore core = makeCore();
  const RowMatrix x = randomInputs(5, 30, true, streamKey(3, {1}));
  const ColMatrix g = randomWeights(30, 9, streamKey(3, {2}));
  const auto p = naiveMvm(x, g, [](double v) { return v; });
  const auto pu = naiveMvm(x.cwiseAbs(), g, [](double v) { return v; });
  for (float fs : {0.0f, -1.0f}) {
    RowMatrix outSigned, outUnsigned;
    core.mvm(x, g, true, fs, outSigned);
    core.mvm(x.cwiseAbs(), g, false, fs, outUnsigned);
    for (int n = 0; n < 5; ++n) {
      for (int c = 0; c < 9; ++c) {
        EXPECT_NEAR(outSigned(n, c), p[n][c], 1e-5) << "fs=" << fs;
        EXPECT_NEAR(outUnsigned(n, c), pu[n][c], 1e-5) << "fs=" << fs;
      }
    }
  }
}

TEST(ArrayCoreTest, MaxAbsIsTheLargestMagnitudeNotTheLargestValue) {
  // A single column whose only large partial sum is negative: maxAbs must report its magnitude.
  const ArrayCore core = makeCore();
  RowMatrix x(2, 3);
  x << 1.0f, 0.5f, 0.0f,   //
      0.25f, 0.0f, 1.0f;
  ColMatrix g(3, 1);
  g << -1.0f, -0.5f, 0.25f;  // sums: −1.25, 0.0
  RowMatrix out;
  float maxAbs = 0.0f;
  core.mvm(x, g, false, 0.0f, out, &maxAbs);
  EXPECT_FLOAT_EQ(out(0, 0), -1.25f);
  EXPECT_FLOAT_EQ(out(1, 0), 0.0f);
  EXPECT_FLOAT_EQ(maxAbs, 1.25f);
}

TEST(ArrayCoreTest, CyclesPerVectorFollowsThePipelineRule) {
  const ArrayCore core = makeCore();
  // cols = 12, phases = 2: DAC 2 cycles × 2 = 4; crossbar 7 × 2 = 14; ADC ceil(12/5) = 3 conversions × 3
  // cycles × 2 phases = 18.
  const StageCycles s = core.cyclesPerVector(12, 2);
  EXPECT_EQ(s.dac, 4u);
  EXPECT_EQ(s.xbar, 14u);
  EXPECT_EQ(s.adc, 18u);
  EXPECT_EQ(s.latency(), 36u);
  EXPECT_EQ(s.interval(), 18u);
  EXPECT_EQ(s.stream(0), 0u);
  EXPECT_EQ(s.stream(1), 36u);
  EXPECT_EQ(s.stream(5), 36u + 4u * 18u);
  // cols = 5, one phase: DAC 2, crossbar 7 (the bottleneck), ADC 1 × 3 = 3.
  const StageCycles t = core.cyclesPerVector(5, 1);
  EXPECT_EQ(t.dac, 2u);
  EXPECT_EQ(t.xbar, 7u);
  EXPECT_EQ(t.adc, 3u);
  EXPECT_EQ(t.interval(), 7u);
  EXPECT_EQ(t.stream(10), 12u + 9u * 7u);
}

TEST(ArrayCoreTest, ActionsPerVectorCountConversionsAndCellReads) {
  const ArrayCore core = makeCore();
  // rows = 20, cols = 12, phases = 2: 40 DAC conversions, 20·12 weights × 2 devices × 2 phases = 960
  // cell reads, 12 × 2 = 24 ADC conversions.
  const ArrayActions a = core.actionsPerVector(20, 12, 2);
  EXPECT_EQ(a.dacConversions, 40u);
  EXPECT_EQ(a.cellReads, 960u);
  EXPECT_EQ(a.adcConversions, 24u);
  const ArrayActions b = core.actionsPerVector(128, 128, 1);
  EXPECT_EQ(b.dacConversions, 128u);
  EXPECT_EQ(b.cellReads, 32768u);
  EXPECT_EQ(b.adcConversions, 128u);
}

TEST(ArrayCoreTest, FromConfigReadsNestedConverterSections) {
  YAML::Node doc = YAML::Load("rows: 32\ncols: 16\nread_cycles: 4\ndac: {bits: 5}\nadc: {bits: 7, per_array: 2}");
  ConfigReader r(doc, "chip.tile.array");
  const ArrayParams p = ArrayParams::fromConfig(r);
  EXPECT_EQ(p.xbar.rows, 32);
  EXPECT_EQ(p.xbar.cols, 16);
  EXPECT_EQ(p.xbar.readCycles, 4);
  EXPECT_EQ(p.dac.bits, 5);
  EXPECT_EQ(p.adc.bits, 7);
  EXPECT_EQ(p.adc.perArray, 2);
  ConfigReader bad(YAML::Load("rows: 32\nadc: {bits: 7}\nadcc: {bits: 7}"), "chip.tile.array");
  try {
    ArrayParams::fromConfig(bad);
    ADD_FAILURE() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("chip.tile.array.adcc"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mxsim
