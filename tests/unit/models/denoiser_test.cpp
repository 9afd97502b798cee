// Tests for the denoiser engine core (models/denoiser/denoiser.h):
//  * functional: run() against an independent naive reference (direct convolution loops in double
//    precision, no im2col, no Eigen products) in mean mode and in sample mode with ε given; in sample mode
//    with ε from the GRNG, z = (y − (x − μ)) / σ (μ, σ from the reference) must be −ε: its moments are those
//    of N(0, 1) within 5 standard errors and it equals the GRNG's samples for the same keys;
//  * timing: the conv formula, the row-interleaved schedule, the block rule (anchored by hand-computed
//    numbers), the GRNG split over units;
//  * capacity errors name the numbers and the key to raise; action counts, area, energy table, config.
//
// Tolerance of the float path against the double reference: values are O(1) (x ∈ [−1, 1], weights scaled by
// 1/√fan-in), dot products have n ≤ 9·Cr = 45 terms. The rigorous worst case (Higham: n·u·Σ|aᵢbᵢ|,
// u = 2^−24) is ~1e-5 per layer; random rounding errors grow like √n·u ≈ 4e-7, and the measured maximum over
// the shapes below is 2.5e-7. kTol = 1e-5 (40× the measured) still fails for a misplaced tap, a missing
// bias or ReLU, or σ = exp(logσ²) (each moves outputs by ≥ 1e-2; checked by mutation).
#include "models/denoiser/denoiser.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <vector>

#include "sim/core/error.h"
#include "sim/core/rng.h"
#include "tests/support/error_matchers.h"
#include "tests/support/statistics.h"

namespace mxsim {
namespace {

using testing::contains;
using testing::containsNumber;
using U = std::uint64_t;

constexpr double kTol = 1e-5;

DenoiserWeights randomBlockWeights(const DenoiserBlockShape& s, std::uint64_t seed, float logVarBias = -2.0f) {
  const int C = s.channels, R = s.reducedChannels;
  DenoiserWeights w;
  w.reduce = testing::randomWeights(R, C, streamKey(seed, {1})) / std::sqrt(float(C));
  w.reduceBias = testing::randomWeights(R, 1, streamKey(seed, {2})).col(0) * 0.2f;
  w.conv3x3 = testing::randomWeights(R, 9 * R, streamKey(seed, {3})) / std::sqrt(9.0f * R);
  w.conv3x3Bias = testing::randomWeights(R, 1, streamKey(seed, {4})).col(0) * 0.2f;
  w.mean = testing::randomWeights(C, R, streamKey(seed, {5})) / std::sqrt(float(R));
  w.meanBias = testing::randomWeights(C, 1, streamKey(seed, {6})).col(0) * 0.2f;
  w.logVar = testing::randomWeights(C, R, streamKey(seed, {7})) / std::sqrt(float(R));
  w.logVarBias = Eigen::VectorXf::Constant(C, logVarBias);
  return w;
}

RowMatrix randomInput(int images, const DenoiserBlockShape& s, std::uint64_t seed) {
  return testing::randomWeights(images, int(s.elements()), streamKey(seed, {99}));
}

/// Naive reference: μ and σ of image `n` (index c·H·W + y·W + x), direct loops in double.
struct Reference {
  std::vector<double> mu, sigma;
};

Reference naive(const DenoiserBlockShape& s, const RowMatrix& x, int n, const DenoiserWeights& w) {
  const int C = s.channels, H = s.height, W = s.width, R = s.reducedChannels;
  auto bias = [](const Eigen::VectorXf& b, int i) { return b.size() ? double(b[i]) : 0.0; };
  auto X = [&](int c, int y, int xx) { return double(x(n, (c * H + y) * W + xx)); };
  std::vector<double> h1(R * H * W), h(R * H * W);
  for (int r = 0; r < R; ++r)
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        double acc = bias(w.reduceBias, r);
        for (int c = 0; c < C; ++c) acc += double(w.reduce(r, c)) * X(c, y, xx);
        h1[(r * H + y) * W + xx] = std::max(0.0, acc);
      }
  for (int o = 0; o < R; ++o)
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        double acc = bias(w.conv3x3Bias, o);
        for (int i = 0; i < R; ++i)
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const int sy = y + dy, sx = xx + dx;
              if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
              acc += double(w.conv3x3(o, (i * 3 + dy + 1) * 3 + dx + 1)) * h1[(i * H + sy) * W + sx];
            }
        h[(o * H + y) * W + xx] = std::max(0.0, acc);
      }
  Reference ref;
  ref.mu.resize(C * H * W);
  ref.sigma.resize(C * H * W);
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < H * W; ++p) {
      double m = bias(w.meanBias, c), lv = bias(w.logVarBias, c);
      for (int r = 0; r < R; ++r) {
        m += double(w.mean(c, r)) * h[r * H * W + p];
        if (w.logVar.size()) lv += double(w.logVar(c, r)) * h[r * H * W + p];
      }
      ref.mu[c * H * W + p] = m;
      ref.sigma[c * H * W + p] = std::exp(0.5 * lv);
    }
  return ref;
}

DenoiserCore defaultCore() {
  return DenoiserCore(DenoiserParams{});
}

const std::vector<DenoiserBlockShape> kShapes = {
    {6, 5, 7, 3, DenoiserMode::Mean},   // rectangular, C not a multiple of anything
    {16, 4, 4, 4, DenoiserMode::Mean},  // square
    {5, 1, 6, 2, DenoiserMode::Mean},   // one row: both vertical taps are padding
    {4, 6, 1, 5, DenoiserMode::Mean},   // one column, Cr > C
};

// ---------------------------------------------------------------------------------------------------
// Functional

TEST(Denoiser, MeanModeMatchesNaiveReference) {
  const DenoiserCore core = defaultCore();
  for (std::size_t k = 0; k < kShapes.size(); ++k) {
    const DenoiserBlockShape& s = kShapes[k];
    const DenoiserWeights w = randomBlockWeights(s, 10 + k);
    const RowMatrix x = randomInput(3, s, 20 + k);
    RowMatrix y;
    core.run(s, x, w, nullptr, y);
    ASSERT_EQ(y.rows(), 3);
    ASSERT_EQ(y.cols(), Eigen::Index(s.elements()));
    double worst = 0;
    for (int n = 0; n < 3; ++n) {
      const Reference ref = naive(s, x, n, w);
      for (Eigen::Index i = 0; i < y.cols(); ++i) worst = std::max(worst, std::abs(y(n, i) - (x(n, i) - ref.mu[i])));
    }
    EXPECT_LT(worst, kTol) << "shape " << k;
  }
}

TEST(Denoiser, SampleModeWithGivenEpsilonMatchesNaiveReference) {
  const DenoiserCore core = defaultCore();
  for (std::size_t k = 0; k < kShapes.size(); ++k) {
    DenoiserBlockShape s = kShapes[k];
    s.mode = DenoiserMode::Sample;
    const DenoiserWeights w = randomBlockWeights(s, 30 + k, -1.0f);
    const RowMatrix x = randomInput(3, s, 40 + k);
    const RowMatrix eps = testing::randomWeights(3, int(s.elements()), streamKey(50 + k, {})) * 3.0f;
    RowMatrix y;
    core.run(s, x, w, &eps, y);
    double worst = 0;
    for (int n = 0; n < 3; ++n) {
      const Reference ref = naive(s, x, n, w);
      for (Eigen::Index i = 0; i < y.cols(); ++i) {
        const double want = x(n, i) - (ref.mu[i] + ref.sigma[i] * eps(n, i));
        worst = std::max(worst, std::abs(y(n, i) - want));
      }
    }
    EXPECT_LT(worst, kTol) << "shape " << k;
    // The σ·ε term matters: the same block in mean mode differs by far more than the tolerance.
    DenoiserBlockShape m = s;
    m.mode = DenoiserMode::Mean;
    RowMatrix yMean;
    core.run(m, x, w, nullptr, yMean);
    EXPECT_GT((y - yMean).cwiseAbs().maxCoeff(), 100 * kTol);
  }
}

TEST(Denoiser, SampleModeWithGrngRecoversStandardNormal) {
  const DenoiserCore core = defaultCore();
  const DenoiserBlockShape s{16, 8, 8, 4, DenoiserMode::Sample};
  const int images = 64;  // N = 64·1024 = 65536 samples
  const DenoiserWeights w = randomBlockWeights(s, 60, -1.5f);
  const RowMatrix x = randomInput(images, s, 61);
  std::vector<std::uint64_t> keys;
  for (int n = 0; n < images; ++n) keys.push_back(streamKey(62, {std::uint64_t(n), 7}));
  RowMatrix y;
  core.runWithGrng(s, x, w, keys, y);
  const RowMatrix eps = drawEpsilon(core.params().grng, keys, Eigen::Index(s.elements()));

  std::vector<float> z;
  z.reserve(std::size_t(images) * s.elements());
  double worstVsGrng = 0, minSigma = 1e9;
  for (int n = 0; n < images; ++n) {
    const Reference ref = naive(s, x, n, w);
    for (Eigen::Index i = 0; i < y.cols(); ++i) {
      const double zi = (y(n, i) - (x(n, i) - ref.mu[i])) / ref.sigma[i];
      z.push_back(float(zi));
      worstVsGrng = std::max(worstVsGrng, std::abs(zi + eps(n, i)));
      minSigma = std::min(minSigma, ref.sigma[i]);
    }
  }
  // z = −ε up to the float path's error in y (< kTol, see the top) divided by σ (≥ minSigma).
  EXPECT_LT(worstVsGrng, kTol / minSigma);
  // Moments of N(0, 1) within 5 standard errors: mean 1/√N, variance √(2/N), skewness √(6/N), excess
  // kurtosis √(24/N). (The 32-bit-uniform GRNG deviates from N(0, 1) by < 1e-6 in these moments, docs/grng.md.)
  const double N = double(z.size());
  const testing::Moments m = testing::momentsOf(z);
  EXPECT_LT(std::abs(m.mean), 5 / std::sqrt(N));
  EXPECT_LT(std::abs(m.var - 1), 5 * std::sqrt(2 / N));
  EXPECT_LT(std::abs(m.skew), 5 * std::sqrt(6 / N));
  EXPECT_LT(std::abs(m.exKurt), 5 * std::sqrt(24 / N));
  // Per-image keys: a batch split gives the same result; different images get different samples.
  RowMatrix yHalf;
  core.runWithGrng(s, x.topRows(images / 2), w, std::vector<std::uint64_t>(keys.begin(), keys.begin() + images / 2),
                   yHalf);
  EXPECT_EQ(yHalf, y.topRows(images / 2));
  EXPECT_GT((eps.row(0) - eps.row(1)).cwiseAbs().maxCoeff(), 1.0f);
}

TEST(Denoiser, InPlaceEqualsOutOfPlace) {
  const DenoiserCore core = defaultCore();
  DenoiserBlockShape s{6, 5, 7, 3, DenoiserMode::Sample};
  const DenoiserWeights w = randomBlockWeights(s, 70);
  const RowMatrix x = randomInput(2, s, 71);
  const RowMatrix eps = testing::randomWeights(2, int(s.elements()), streamKey(72, {}));
  RowMatrix y, inPlace = x;
  core.run(s, x, w, &eps, y);
  core.run(s, inPlace, w, &eps, inPlace);
  EXPECT_EQ(inPlace, y);
}

TEST(Denoiser, RejectsInconsistentInputs) {
  const DenoiserCore core = defaultCore();
  DenoiserBlockShape s{6, 5, 7, 3, DenoiserMode::Sample};
  DenoiserWeights w = randomBlockWeights(s, 80);
  const RowMatrix x = randomInput(2, s, 81);
  RowMatrix y;
  EXPECT_THROW(core.run(s, x, w, nullptr, y), std::invalid_argument) << "sample mode without eps";
  EXPECT_THROW(core.run(s, x.leftCols(x.cols() - 1), w, nullptr, y), std::invalid_argument);
  w.conv3x3 = RowMatrix::Zero(3, 9 * 3 + 1);
  try {
    core.run(s, x, w, nullptr, y);
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "conv3x3")) << e.what();
    EXPECT_TRUE(contains(e.what(), "3x27")) << e.what();
  }
  // A mean-only block may omit the logσ² head.
  DenoiserWeights meanOnly = randomBlockWeights(s, 82);
  meanOnly.logVar.resize(0, 0);
  s.mode = DenoiserMode::Mean;
  EXPECT_NO_THROW(core.run(s, x, meanOnly, nullptr, y));
}

// ---------------------------------------------------------------------------------------------------
// Timing

TEST(Denoiser, ConvCyclesFollowOutputChannelSplit) {
  // ceil(Cout/P) · H·W · ceil(Cin·k²/K)
  EXPECT_EQ(DenoiserCore::convCycles(32, 8, 1, 8, 8, 4, 9), 2u * 64 * 4);  // reduce, P = 4
  EXPECT_EQ(DenoiserCore::convCycles(8, 8, 3, 8, 8, 4, 9), 2u * 64 * 8);   // 3×3: one channel window per cycle
  EXPECT_EQ(DenoiserCore::convCycles(8, 32, 1, 8, 8, 4, 9), 8u * 64 * 1);  // head
  EXPECT_EQ(DenoiserCore::convCycles(8, 8, 3, 8, 8, 16, 9), 1u * 64 * 8);  // more cores than channels: no gain
  EXPECT_EQ(DenoiserCore::convCycles(20, 6, 1, 5, 7, 4, 9), 2u * 35 * 3);  // P ∤ Cout, K ∤ Cin
  EXPECT_EQ(DenoiserCore::convCycles(6, 6, 3, 5, 7, 4, 16), 2u * 35 * 4);  // 54 taps on 16 lanes: 4 cycles
}

TEST(Denoiser, ScheduleIsRowInterleavedAndSumsToConvFormulas) {
  DenoiserParams p;
  p.cores = 4;
  const DenoiserCore core(p);
  for (DenoiserMode mode : {DenoiserMode::Mean, DenoiserMode::Sample}) {
    const DenoiserBlockShape s{20, 5, 7, 6, mode};
    const std::vector<DenoiserPhase> ph = core.schedule(s);
    ASSERT_EQ(ph.size(), 3u * 5);
    // Order: R0, then per row R(y+1) (while y+1 < H), T(y), Heads(y).
    std::vector<std::pair<DenoiserPhaseKind, int>> want = {{DenoiserPhaseKind::Reduce, 0}};
    for (int y = 0; y < 5; ++y) {
      if (y + 1 < 5) want.push_back({DenoiserPhaseKind::Reduce, y + 1});
      want.push_back({DenoiserPhaseKind::Conv3x3, y});
      want.push_back({DenoiserPhaseKind::Heads, y});
    }
    U t = 0, sums[3] = {0, 0, 0};
    for (std::size_t i = 0; i < ph.size(); ++i) {
      EXPECT_EQ(ph[i].kind, want[i].first) << i;
      EXPECT_EQ(ph[i].row, want[i].second) << i;
      EXPECT_EQ(ph[i].startCycle, t) << "phases are back to back";
      t += ph[i].issueCycles;
      sums[int(ph[i].kind)] += ph[i].issueCycles;
      U busy = 0;
      for (int c = 0; c < 4; ++c) busy += ph[i].coreBusyCycles(c, 4);
      EXPECT_EQ(busy, U(ph[i].outChannels) * ph[i].cyclesPerChannel) << "every channel on exactly one core";
    }
    const DenoiserTiming tm = core.timing(s);
    EXPECT_EQ(sums[0], tm.reduceCycles);
    EXPECT_EQ(sums[1], tm.conv3x3Cycles);
    EXPECT_EQ(sums[2], tm.meanHeadCycles + tm.logVarHeadCycles);
    EXPECT_EQ(tm.reduceCycles, 2u * 35 * 3);
    EXPECT_EQ(tm.conv3x3Cycles, 2u * 35 * 6);
    EXPECT_EQ(tm.meanHeadCycles, 5u * 35 * 1);
    EXPECT_EQ(tm.logVarHeadCycles, mode == DenoiserMode::Sample ? 5u * 35 : 0u);
  }
}

TEST(Denoiser, BlockCyclesFollowTheOverlapRule) {
  // Block C = 32, H = W = 8, Cr = 8 with pipeline 6, exp 4, subtract 1, GRNG latency 10 (tb/denoiser_tb.cpp
  // states the same numbers).
  auto params = [](int cores, int units, int spc) {
    DenoiserParams p;
    p.cores = cores;
    p.grngUnits = units;
    p.grng.samplesPerCycle = spc;
    p.grng.pipelineLatency = 10;
    return p;
  };
  const DenoiserBlockShape mean{32, 8, 8, 8, DenoiserMode::Mean}, sample{32, 8, 8, 8, DenoiserMode::Sample};
  const DenoiserCore p4(params(4, 2, 2)), p16(params(16, 2, 2)), slow(params(16, 1, 1));
  EXPECT_EQ(p4.timing(mean).blockCycles, 2055u);    // 2048 + 6 + 1
  EXPECT_EQ(p4.timing(sample).blockCycles, 2572u);  // max(2560 + 6 + 4, 521) + 1 + 1
  EXPECT_EQ(p4.timing(sample).grngCycles, 521u);    // 10 + 1024/2 − 1
  EXPECT_EQ(p4.timing(mean).grngCycles, 0u);
  EXPECT_EQ(p16.timing(mean).blockCycles, 903u);
  EXPECT_EQ(p16.timing(sample).blockCycles, 1036u);
  EXPECT_EQ(slow.timing(sample).grngCycles, 2057u);  // 10 + 2048 − 1: the GRNG is the bottleneck
  EXPECT_EQ(slow.timing(sample).blockCycles, 2059u);
  EXPECT_EQ(slow.timing(sample).convChainCycles, p16.timing(sample).convChainCycles);
  EXPECT_DOUBLE_EQ(p4.blockSeconds(mean), 2055e-9);
}

TEST(Denoiser, GrngSamplesSplitEvenlyOverUnits) {
  DenoiserParams p;
  p.grngUnits = 3;
  p.grng.pipelineLatency = 10;
  p.grng.samplesPerCycle = 2;
  const DenoiserCore core(p);
  EXPECT_EQ(core.grngUnitSamples(2048, 0), 683u);
  EXPECT_EQ(core.grngUnitSamples(2048, 1), 683u);
  EXPECT_EQ(core.grngUnitSamples(2048, 2), 682u);
  EXPECT_EQ(core.grngCycles(2048), 10u + 342 - 1);  // the busiest unit: ceil(683 / 2) beats
  EXPECT_EQ(core.grngUnitCycles(682), 10u + 341 - 1);
  EXPECT_EQ(core.grngCycles(0), 0u);
}

// ---------------------------------------------------------------------------------------------------
// Work, capacity, area, energy, config

TEST(Denoiser, WorkCountsMatchDerivation) {
  DenoiserParams p;
  p.cores = 4;
  const DenoiserCore core(p);
  // C = 32, H = W = 8, Cr = 8, P = 4, 8-bit activations and weights, 32-bit biases.
  //   MACs = 64·(32·8 + 9·64 + 32·8) = 69632 (+ 64·256 = 16384 for logσ²)
  //   weight bits, once per row: 8·((256 + 576 + 256)·8 + (2·8 + 32)·32) = 8·(8704 + 1536) = 81920
  //               (sample: 8·((1088 + 256)·8 + (16 + 64)·32) = 8·(10752 + 2560) = 106496)
  //   line buffer = 8·(2·8·64 + ceil(8/4)·8·22·22 + ceil(32/4)·64·8) = 8·(1024 + 7744 + 4096) = 102912
  //                 (sample: + 8·4096 = 135680)
  const DenoiserWork m = core.work({32, 8, 8, 8, DenoiserMode::Mean});
  EXPECT_EQ(m.macs, 69632u);
  EXPECT_EQ(m.weightReadBits, 81920u);
  EXPECT_EQ(m.lineBufferBits(), 102912u);
  EXPECT_EQ(m.lineBufferWriteBits, 8192u);
  EXPECT_EQ(m.grngSamples, 0u);
  EXPECT_EQ(m.exps, 0u);
  EXPECT_EQ(m.subtracts, 2048u);
  EXPECT_EQ(m.inputReadBits, (2u + 1) * 2048 * 8);  // ceil(8/4) reduce rounds + the subtract
  EXPECT_EQ(m.outputWriteBits, 2048u * 8);
  const DenoiserWork s = core.work({32, 8, 8, 8, DenoiserMode::Sample});
  EXPECT_EQ(s.macs, 86016u);
  EXPECT_EQ(s.weightReadBits, 106496u);
  EXPECT_EQ(s.lineBufferBits(), 135680u);
  EXPECT_EQ(s.grngSamples, 2048u);
  EXPECT_EQ(s.exps, 2048u);
}

TEST(Denoiser, CapacityErrorsNameTheNumbersAndTheKey) {
  DenoiserParams p;
  p.lineBufferBytes = 1024;         // 8192 bits
  p.weightMemoryBytes = 16 * 1024;  // 131072 bits
  const DenoiserCore core(p);
  const DenoiserBlockShape big{64, 32, 32, 16, DenoiserMode::Mean};
  // Line buffer: 3 rows × 32 pixels × 16 channels × 8 bits = 12288 bits > 8192.
  EXPECT_EQ(core.lineBufferBits(big), 12288u);
  try {
    core.requireFits({big}, {"layer3"});
    ADD_FAILURE() << "expected a MappingError";
  } catch (const MappingError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "'layer3'")) << msg;
    EXPECT_TRUE(containsNumber(msg, "12288")) << msg;
    EXPECT_TRUE(containsNumber(msg, "8192")) << msg;
    EXPECT_TRUE(contains(msg, "chip.denoiser.line_buffer")) << msg;
  }
  // Weights: 8·(64·16 + 9·256 + 2·64·16) + 32·(2·16 + 2·64) = 48128 bits per block; 3 blocks = 144384 > 131072.
  const DenoiserBlockShape small{64, 4, 4, 16, DenoiserMode::Mean};
  EXPECT_EQ(core.weightBits(small), 48128u);
  EXPECT_NO_THROW(core.requireFits({small, small}));
  try {
    core.requireFits({small, small, small});
    ADD_FAILURE() << "expected a MappingError";
  } catch (const MappingError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(containsNumber(msg, "144384")) << msg;
    EXPECT_TRUE(containsNumber(msg, "131072")) << msg;
    EXPECT_TRUE(contains(msg, "chip.denoiser.weight_memory")) << msg;
  }
}

TEST(Denoiser, AreaAndEnergyTable) {
  DenoiserParams p;
  p.cores = 4;
  p.grngUnits = 3;
  p.weightMemoryBytes = 64 * 1024;
  p.lineBufferBytes = 2 * 1024;
  const DenoiserArea a = DenoiserCore(p).area();
  EXPECT_DOUBLE_EQ(a.coresM2, 4 * p.coreAreaM2);
  EXPECT_DOUBLE_EQ(a.weightMemoryM2, 64 * p.weightMemoryAreaPerKibM2);
  EXPECT_DOUBLE_EQ(a.lineBufferM2, 2 * p.lineBufferAreaPerKibM2);
  EXPECT_DOUBLE_EQ(a.grngM2, 3 * p.grngUnitAreaM2);
  EXPECT_DOUBLE_EQ(a.totalM2(), a.coresM2 + a.weightMemoryM2 + a.lineBufferM2 + a.grngM2);
  std::map<std::string, double> table;
  for (const auto& [act, j] : p.energyPerAction()) table[act] = j;
  EXPECT_EQ(table.size(), 6u);
  EXPECT_DOUBLE_EQ(table.at(action::kDenoiserMac), p.macEnergyJ);
  EXPECT_DOUBLE_EQ(table.at(action::kGrngSample), p.grng.energyPerSampleJ);
}

TEST(DenoiserParams, FromConfigDefaultsOverridesAndRejections) {
  {
    ConfigReader r(YAML::Node(), "chip.denoiser");
    const DenoiserParams p = DenoiserParams::fromConfig(r);
    EXPECT_EQ(p.cores, 16);
    EXPECT_EQ(p.macsPerCore, 9);
    EXPECT_DOUBLE_EQ(p.clockHz, 1e9);
    EXPECT_DOUBLE_EQ(p.weightMemoryBytes, 256.0 * 1024);
    EXPECT_EQ(p.mode, DenoiserMode::Mean);
    EXPECT_DOUBLE_EQ(p.macEnergyJ, 0.3e-12);
    EXPECT_DOUBLE_EQ(p.coreAreaM2, 0.008e-6);
  }
  {
    const YAML::Node n = YAML::Load(
        "{cores: 4, macs_per_core: 18, clock: 500 MHz, weight_memory: 64 KiB, line_buffer: 2 KiB, mode: sample, "
        "grng_units: 3, grng: {pipeline_latency: 12, samples_per_cycle: 1}, energy: {mac: 0.5 pJ}, "
        "area: {core: 0.01 mm2}}");
    ConfigReader r(n, "chip.denoiser");
    const DenoiserParams p = DenoiserParams::fromConfig(r);
    EXPECT_EQ(p.cores, 4);
    EXPECT_EQ(p.macsPerCore, 18);
    EXPECT_DOUBLE_EQ(p.clockHz, 500e6);
    EXPECT_DOUBLE_EQ(p.weightMemoryBytes, 65536.0);
    EXPECT_DOUBLE_EQ(p.lineBufferBytes, 2048.0);
    EXPECT_EQ(p.mode, DenoiserMode::Sample);
    EXPECT_EQ(p.grngUnits, 3);
    EXPECT_EQ(p.grng.pipelineLatency, 12);
    EXPECT_EQ(p.grng.samplesPerCycle, 1);
    EXPECT_DOUBLE_EQ(p.macEnergyJ, 0.5e-12);
    EXPECT_NEAR(p.coreAreaM2, 0.01e-6, 1e-20);
  }
  const auto errorOf = [](const char* yaml) {
    return testing::configErrorOf([&] {
      ConfigReader r(YAML::Load(yaml), "chip.denoiser");
      DenoiserParams::fromConfig(r);
    });
  };
  EXPECT_TRUE(contains(errorOf("{corse: 4}"), "corse"));
  EXPECT_TRUE(contains(errorOf("{energy: {macs: 1 pJ}}"), "macs"));
  const std::string range = errorOf("{cores: 0}");
  EXPECT_TRUE(contains(range, "chip.denoiser.cores")) << range;
  EXPECT_TRUE(containsNumber(range, "0")) << range;
  EXPECT_TRUE(contains(errorOf("{clock: 1 GB}"), "chip.denoiser.clock"));
  EXPECT_TRUE(contains(errorOf("{mode: noisy}"), "chip.denoiser.mode"));
  EXPECT_TRUE(contains(errorOf("{grng: {log_segments: 3}}"), "chip.denoiser.grng"));
}

}  // namespace
}  // namespace mxsim
