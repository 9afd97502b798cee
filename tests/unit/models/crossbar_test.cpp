// Tests for the crossbar functional core (models/crossbar): exact differential mapping without variation,
// and the statistics of static programming variation (absolute and relative modes) against standard
// deviations derived from the device model in the header, with bounds derived from the sample size.
#include "tests/support/statistics.h"
#include "models/crossbar/crossbar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/core/error.h"

namespace mxsim {
namespace {

using testing::randomWeights;
using testing::Stats;
using testing::statsOf;

constexpr double kGmin = 5e-6;   // high enough that max(0, G + σ·ε) never clips (needs ε < −6.7 below)
constexpr double kGmax = 25e-6;
constexpr int kSide = 256;       // 256 × 256 block: N = 65536 devices pairs per statistic

CrossbarCore makeCore(double sigma, VariationModel mode, double gMin = kGmin, double gMax = kGmax) {
  CrossbarParams p;
  p.rows = kSide;
  p.cols = kSide;
  p.gMinS = gMin;
  p.gMaxS = gMax;
  DeviceNoiseParams n;
  n.sigma = sigma;
  n.variation = mode;
  return CrossbarCore(p, n);
}

/// Check a sample of deviations against N(0, sd²): the mean within 5 standard errors (5·sd/√N) and the
/// sample variance within 5 standard errors of sd² (Var(s²) = 2σ⁴/(N−1) for normal data, so
/// |s²/sd² − 1| ≤ 5·√(2/(N−1))). For N = 65536 that is ±2.8 % on the variance (±1.4 % on the std), and for
/// N = 21845 ±4.8 %: a σ wrong by 20 % changes the variance by −36 %/+44 % and fails either bound.
void expectNormalDeviation(const std::vector<double>& dev, double sd, const char* what) {
  const Stats s = statsOf(dev);
  EXPECT_NEAR(s.mean, 0.0, 5.0 * sd / std::sqrt(static_cast<double>(s.n))) << what;
  EXPECT_NEAR(s.var / (sd * sd), 1.0, 5.0 * std::sqrt(2.0 / (s.n - 1))) << what << ": sample std "
                                                                          << std::sqrt(s.var) << " vs " << sd;
}

TEST(CrossbarTest, WithoutVariationEffectiveWeightsEqualClampedWeights) {
  const CrossbarCore core = makeCore(0.0, VariationModel::Absolute, 0.1e-6, 25e-6);
  ColMatrix w = randomWeights(37, 23, streamKey(1, {1}));
  // Out-of-range weights are clamped to ±1.
  w(0, 0) = 1.5f;
  w(1, 0) = -2.0f;
  w(2, 0) = 0.0f;
  w(3, 0) = 1.0f;
  w(4, 0) = -1.0f;
  const ColMatrix g = core.program(w, streamKey(1, {2}), 0.0).gEff[0];
  ASSERT_EQ(g.rows(), 37);
  ASSERT_EQ(g.cols(), 23);
  for (Eigen::Index c = 0; c < w.cols(); ++c) {
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      const double expected = std::max(-1.0, std::min(1.0, static_cast<double>(w(r, c))));
      ASSERT_NEAR(g(r, c), expected, 1e-6) << "r=" << r << " c=" << c;
    }
  }
}

TEST(CrossbarTest, AbsoluteVariationDeviationHasPredictedStd) {
  // Model: G± = Gmin + (Gmax − Gmin)·max(±w, 0) + σ·Gmax·ε±, ε± ~ N(0, 1) independent, so
  // gEff − w = σ·Gmax·(ε+ − ε−)/(Gmax − Gmin) with std σ·Gmax·√2/(Gmax − Gmin), independent of w.
  // With σ = 0.03: 0.03·25·√2/20 = 0.0530.
  const double sigma = 0.03;
  const CrossbarCore core = makeCore(sigma, VariationModel::Absolute);
  const ColMatrix w = randomWeights(kSide, kSide, streamKey(2, {1}));
  const ColMatrix g = core.program(w, streamKey(2, {2}), 0.0).gEff[0];
  std::vector<double> dev;
  for (Eigen::Index c = 0; c < kSide; ++c)
    for (Eigen::Index r = 0; r < kSide; ++r) dev.push_back(static_cast<double>(g(r, c)) - w(r, c));
  const double sd = sigma * kGmax * std::sqrt(2.0) / (kGmax - kGmin);
  expectNormalDeviation(dev, sd, "absolute mode, all weights");
  // Sanity: the bound is tight enough to reject σ off by 20 % in either direction.
  const Stats s = statsOf(dev);
  EXPECT_GT(std::fabs(s.var / (1.2 * sd * 1.2 * sd) - 1.0), 5.0 * std::sqrt(2.0 / (s.n - 1)));
  EXPECT_GT(std::fabs(s.var / (0.8 * sd * 0.8 * sd) - 1.0), 5.0 * std::sqrt(2.0 / (s.n - 1)));
}

TEST(CrossbarTest, RelativeVariationGrowsWithWeightMagnitude) {
  // Relative mode: G± ← G±·(1 + σ·ε±), so gEff − w = σ·(G+·ε+ − G−·ε−)/(Gmax − Gmin) with std
  // σ·√(G+² + G−²)/(Gmax − Gmin). For w = 0: G± = Gmin, std = σ·Gmin·√2/ΔG = 0.05·5·√2/20 = 0.0177.
  // For w = ±1: {G+, G−} = {Gmax, Gmin}, std = σ·√(Gmax² + Gmin²)/ΔG = 0.05·25.50/20 = 0.0637.
  // w = +1 and w = −1 are checked separately: a model that scaled both devices' noise by the same G would
  // be too noisy for one sign and too quiet for the other, and only pooling the signs would hide it.
  const double sigma = 0.05;
  const CrossbarCore core = makeCore(sigma, VariationModel::Relative);
  ColMatrix w(kSide, kSide);
  const float groupWeight[3] = {0.0f, 1.0f, -1.0f};
  for (Eigen::Index c = 0; c < kSide; ++c)
    for (Eigen::Index r = 0; r < kSide; ++r) w(r, c) = groupWeight[c % 3];
  const ColMatrix g = core.program(w, streamKey(3, {1}), 0.0).gEff[0];
  std::vector<double> dev[3];
  for (Eigen::Index c = 0; c < kSide; ++c)
    for (Eigen::Index r = 0; r < kSide; ++r) dev[c % 3].push_back(static_cast<double>(g(r, c)) - w(r, c));
  const double dG = kGmax - kGmin;
  const double sdZero = sigma * kGmin * std::sqrt(2.0) / dG;
  const double sdFull = sigma * std::sqrt(kGmax * kGmax + kGmin * kGmin) / dG;
  expectNormalDeviation(dev[0], sdZero, "relative mode, w = 0");
  expectNormalDeviation(dev[1], sdFull, "relative mode, w = +1");
  expectNormalDeviation(dev[2], sdFull, "relative mode, w = -1");
  EXPECT_GT(statsOf(dev[1]).var, 4.0 * statsOf(dev[0]).var);
  EXPECT_GT(statsOf(dev[2]).var, 4.0 * statsOf(dev[0]).var);
}

TEST(CrossbarTest, RelativeVariationMatchesPerWeightStdOnRandomWeights) {
  // Each deviation divided by its predicted std σ·√(G+² + G−²)/ΔG must be a standard normal sample, for
  // positive and negative weights separately (≈ 32768 each).
  const double sigma = 0.04;
  const CrossbarCore core = makeCore(sigma, VariationModel::Relative);
  const ColMatrix w = randomWeights(kSide, kSide, streamKey(4, {1}));
  const ColMatrix g = core.program(w, streamKey(4, {2}), 0.0).gEff[0];
  const double dG = kGmax - kGmin;
  std::vector<double> zPos, zNeg;
  for (Eigen::Index c = 0; c < kSide; ++c) {
    for (Eigen::Index r = 0; r < kSide; ++r) {
      const double wc = w(r, c);
      const double gp = kGmin + dG * std::max(wc, 0.0), gn = kGmin + dG * std::max(-wc, 0.0);
      (wc >= 0 ? zPos : zNeg).push_back((g(r, c) - wc) / (sigma * std::sqrt(gp * gp + gn * gn) / dG));
    }
  }
  expectNormalDeviation(zPos, 1.0, "relative mode, standardised, w >= 0");
  expectNormalDeviation(zNeg, 1.0, "relative mode, standardised, w < 0");
}

TEST(CrossbarTest, SameKeySameChipDifferentKeyDifferentChip) {
  const CrossbarCore core = makeCore(0.03, VariationModel::Absolute);
  const ColMatrix w = randomWeights(64, 48, streamKey(5, {1}));
  const ColMatrix ga = core.program(w, streamKey(5, {7}), 0.0).gEff[0];
  const ColMatrix gb = core.program(w, streamKey(5, {7}), 0.0).gEff[0];
  const ColMatrix gc = core.program(w, streamKey(5, {8}), 0.0).gEff[0];
  EXPECT_TRUE((ga.array() == gb.array()).all());
  const long differing = (ga.array() != gc.array()).count();
  EXPECT_GT(differing, static_cast<long>(0.99 * ga.size()));
}

TEST(CrossbarTest, DrawOrderIsColumnMajorSoLeadingColumnsArePrefixStable) {
  // The seed contract walks columns in order, so programming only the first k columns with the same stream
  // gives the same devices as the first k columns of the full block.
  const CrossbarCore core = makeCore(0.03, VariationModel::Absolute);
  const ColMatrix w = randomWeights(32, 20, streamKey(6, {1}));
  const ColMatrix gFull = core.program(w, streamKey(6, {2}), 0.0).gEff[0];
  const ColMatrix gPart = core.program(w.leftCols(5), streamKey(6, {2}), 0.0).gEff[0];
  EXPECT_TRUE((gFull.leftCols(5).array() == gPart.array()).all());
}

TEST(CrossbarTest, CyclesPerVectorIsReadCyclesTimesPhases) {
  CrossbarParams p;
  p.readCycles = 13;
  const CrossbarCore core(p, DeviceNoiseParams{});
  EXPECT_EQ(core.cyclesPerVector(1), 13u);
  EXPECT_EQ(core.cyclesPerVector(2), 26u);
}

TEST(CrossbarTest, FromConfigRejectsGminNotBelowGmax) {
  for (const char* doc : {"device: {g_min: 25 uS, g_max: 25 uS}", "device: {g_min: 30 uS, g_max: 25 uS}"}) {
    ConfigReader r(YAML::Load(doc), "chip.tile.array");
    try {
      CrossbarParams::fromConfig(r);
      ADD_FAILURE() << "no error for " << doc;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("chip.tile.array.device"), std::string::npos) << e.what();
    }
  }
  ConfigReader ok(YAML::Load("rows: 64\ndevice: {g_min: 1 uS, g_max: 20 uS}"), "a");
  const CrossbarParams p = CrossbarParams::fromConfig(ok);
  EXPECT_EQ(p.rows, 64);
  EXPECT_DOUBLE_EQ(p.gMinS, 1e-6);
  EXPECT_DOUBLE_EQ(p.gMaxS, 20e-6);
}

}  // namespace
}  // namespace mxsim
