// Device physics of the crossbar core (models/crossbar) and read noise in the array core (models/tile):
// drift, time consistency of a chip instance, stuck-at faults, bit slicing, offset mapping, IR drop,
// lognormal and PCM programming variation, read-noise variances; expected values are derived here from the
// mapping in crossbar.h's contract and the published aihwkit formulas (see device_noise_test.cpp), and
// statistics are checked against bounds of 5 standard errors for the sample size (fixed seeds).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/support/statistics.h"
#include "models/crossbar/crossbar.h"
#include "models/tile/array_core.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

using testing::randomWeights;
using testing::Stats;
using testing::statsOf;

constexpr double kGmax = 25e-6;
constexpr double kT0 = 20.0;
constexpr double kHour = 3600.0;
constexpr double kYear = 365.25 * 86400.0;
constexpr int kSide = 256;  // 256 × 256 blocks: N = 65536 weights per statistic

CrossbarParams xbarParams(double gMin, int rows = kSide, int cols = kSide) {
  CrossbarParams p;
  p.rows = rows;
  p.cols = cols;
  p.gMinS = gMin;
  p.gMaxS = kGmax;
  return p;
}

DeviceNoiseParams quiet() {
  DeviceNoiseParams n;
  n.sigma = 0.0;
  return n;
}

/// A sample of N(mean, sd²): the sample mean within 5 standard errors (5·sd/√N), and the sample variance
/// within 5 standard errors of sd² (Var(s²) = 2σ⁴/(N − 1) for normal data: |s²/sd² − 1| ≤ 5·√(2/(N − 1)),
/// ±2.8 % for N = 65536, i.e. ±1.4 % on the std).
void expectNormal(const std::vector<double>& v, double mean, double sd, const char* what) {
  const Stats s = statsOf(v);
  EXPECT_NEAR(s.mean, mean, 5.0 * sd / std::sqrt(static_cast<double>(s.n))) << what;
  EXPECT_NEAR(s.var / (sd * sd), 1.0, 5.0 * std::sqrt(2.0 / (s.n - 1)))
      << what << ": sample std " << std::sqrt(s.var) << " vs " << sd;
}

// ------------------------------------------------------------------------------------------------ drift

TEST(CrossbarPhysicsTest, ConstantDriftScalesEveryWeightByThePowerLaw) {
  // Both devices of a pair drift by the same factor f = ((t + t0)/t0)^(−ν) when σν = 0, so
  // gEff(t) = (f·G+ − f·G−)/ΔG = f·gEff(0) for every weight. Float precision: each gEff is a double rounded
  // to float (relative error ≤ 2^−24), so |gEff(t) − f·gEff(0)| ≤ 2^−24·(|gEff(t)| + f·|gEff(0)|) ≤ 2^−23·|gEff(0)|.
  DeviceNoiseParams n = quiet();
  n.drift = DriftModel::Constant;
  n.nuMean = 0.05;
  n.nuStd = 0.0;
  const CrossbarCore core(xbarParams(0.1e-6, 64, 64), n);
  const ColMatrix w = randomWeights(64, 64, streamKey(10, {1}));
  const ColMatrix g0 = core.program(w, 77, 0.0).gEff[0];
  for (int i = 0; i < 64 * 64; ++i) ASSERT_NEAR(g0.data()[i], w.data()[i], 1e-6);  // no drift at t = 0
  for (double t : {kHour, kYear}) {
    const double f = std::pow((t + kT0) / kT0, -0.05);  // 1 h: 0.7711; 1 y: 0.4899
    const ColMatrix gt = core.program(w, 77, t).gEff[0];
    for (int i = 0; i < 64 * 64; ++i) {
      const double expected = f * g0.data()[i];
      ASSERT_NEAR(gt.data()[i], expected, std::ldexp(std::abs(static_cast<double>(g0.data()[i])), -23) + 1e-30)
          << "t=" << t << " i=" << i;
    }
  }
}

/// ν per device recovered from single devices: g_min = 0 makes a w = 1 pair (Gmax, 0), so gEff(t) = f_+ and
/// ν = −ln(gEff)/ln((t + t0)/t0).
std::vector<double> recoveredNu(const DeviceNoiseParams& n, double t) {
  const CrossbarCore core(xbarParams(0.0), n);
  const ColMatrix w = ColMatrix::Ones(kSide, kSide);
  const ColMatrix g = core.program(w, 91, t).gEff[0];
  std::vector<double> nu;
  for (int i = 0; i < g.size(); ++i) nu.push_back(-std::log(static_cast<double>(g.data()[i])) / std::log((t + kT0) / kT0));
  return nu;
}

TEST(CrossbarPhysicsTest, DriftExponentsAreDrawnPerDevice) {
  // Constant model: ν = |N(0.05, 0.01²)|; the fold at 0 is 5 σ away (P = 3e-7), so ν ~ N(0.05, 0.01²).
  // Float rounding of gEff (≤ 6e-8 relative) changes ν by < 1e-8: negligible.
  DeviceNoiseParams n = quiet();
  n.drift = DriftModel::Constant;
  n.nuMean = 0.05;
  n.nuStd = 0.01;
  expectNormal(recoveredNu(n, kYear), 0.05, 0.01, "constant drift ν");
  // PCM model at g = 1: μ = 0.049, σν = 0.008 (both clamped, see device_noise_test).
  n.drift = DriftModel::Pcm;
  expectNormal(recoveredNu(n, kYear), 0.049, 0.008, "pcm drift ν at g = 1");
}

// ------------------------------------------------------------------------------------ time consistency

TEST(CrossbarPhysicsTest, VariationDoesNotDependOnTimeWithoutGrowth) {
  DeviceNoiseParams n;
  n.sigma = 0.03;
  const CrossbarCore core(xbarParams(0.1e-6, 64, 64), n);
  const ColMatrix w = randomWeights(64, 64, streamKey(11, {1}));
  const ProgrammedBlock a = core.program(w, 5, 0.0), b = core.program(w, 5, kHour);
  EXPECT_TRUE(a.gEff[0] == b.gEff[0]);
  EXPECT_FALSE(a.gEff[0] == core.program(w, 6, 0.0).gEff[0]) << "the block key must select the draws";
  EXPECT_GT((a.gEff[0] - w).cwiseAbs().maxCoeff(), 0.05) << "variation is on";
}

TEST(CrossbarPhysicsTest, VariationGrowthScalesTheSameDeviationsByTheGrowthFactor) {
  // G± = target± + σ(t)·ε±, σ(t) = σ0·k(t), k = 1 + a·log10((t + t0)/t0), with ε± fixed per device: the
  // deviation gEff − w = σ(t)·(ε+ − ε−)/ΔG scales by exactly k(t). No clipping: Gmin = 10 µS and
  // σ(1 h) = 0.02·25 µS·1.677 = 0.84 µS would need ε < −11.9. Float: each gEff carries ≤ 2^−24·|gEff| of
  // rounding, so |dev(t) − k·dev(0)| ≤ 2^−24·(|gEff(t)| + k·|gEff(0)|) < 2^−23·(|gEff(t)| + k·|gEff(0)|).
  DeviceNoiseParams n;
  n.sigma = 0.02;
  n.sigmaGrowthPerDecade = 0.3;
  const double gMin = 10e-6;
  const CrossbarCore core(xbarParams(gMin, 64, 64), n);
  const ColMatrix w = randomWeights(64, 64, streamKey(12, {1}));
  const ColMatrix g0 = core.program(w, 8, 0.0).gEff[0];
  std::vector<double> dev0;
  for (int i = 0; i < g0.size(); ++i) dev0.push_back(static_cast<double>(g0.data()[i]) - w.data()[i]);
  // At t = 0 the deviation has std σ0·Gmax·√2/ΔG = 0.02·25·√2/15 = 0.04714 (4096 samples).
  expectNormal(dev0, 0.0, 0.02 * kGmax * std::sqrt(2.0) / (kGmax - gMin), "t = 0 deviation");
  for (double t : {9 * kT0, kHour}) {
    const double k = 1.0 + 0.3 * std::log10((t + kT0) / kT0);  // 9·t0 → 1.3 exactly
    const ColMatrix gt = core.program(w, 8, t).gEff[0];
    for (int i = 0; i < gt.size(); ++i) {
      const double devT = static_cast<double>(gt.data()[i]) - w.data()[i];
      const double tol = std::ldexp(std::abs(gt.data()[i]) + k * std::abs(g0.data()[i]), -23);
      ASSERT_NEAR(devT, k * dev0[i], tol) << "t=" << t << " i=" << i;
    }
  }
}

// ------------------------------------------------------------------------------------------------ faults

TEST(CrossbarPhysicsTest, StuckAtGmaxFractionDifferential) {
  // w = 0: both devices at Gmin, σ = 0. A device stuck at Gmax moves gEff by ±(Gmax − Gmin)/ΔG = ±1:
  // gEff = +1 iff only G+ is stuck, −1 iff only G− is stuck, 0 if neither or both. With independent faults
  // of rate p = 0.1: P(+1) = P(−1) = p(1 − p) = 0.09, P(0) = 0.82. Counts are binomial: 5-σ bound on a
  // fraction q is 5·√(q(1 − q)/N) = 0.0056 for q = 0.09, N = 65536.
  DeviceNoiseParams n = quiet();
  n.stuckAtGmaxRate = 0.1;
  const CrossbarCore core(xbarParams(0.1e-6), n);
  const ColMatrix g = core.program(ColMatrix::Zero(kSide, kSide), 13, 0.0).gEff[0];
  long plus = 0, minus = 0, zero = 0;
  for (int i = 0; i < g.size(); ++i) {
    const float v = g.data()[i];
    if (std::abs(v - 1.0f) < 1e-6f) ++plus;
    else if (std::abs(v + 1.0f) < 1e-6f) ++minus;
    else if (v == 0.0f) ++zero;
  }
  const double N = static_cast<double>(g.size());
  ASSERT_EQ(plus + minus + zero, g.size()) << "every pair is (Gmin|Gmax, Gmin|Gmax)";
  const double q = 0.1 * 0.9, bound = 5.0 * std::sqrt(q * (1 - q) / N);
  EXPECT_NEAR(plus / N, q, bound);
  EXPECT_NEAR(minus / N, q, bound);
}

TEST(CrossbarPhysicsTest, StuckAtFaultsOffsetMapping) {
  // Offset mapping, w = 0: G = Gmin + ΔG/2 = Gref, gEff = 2(G − Gref)/ΔG = 0; stuck at Gmax → +1, at Gmin → −1.
  // Fractions: Gmax 0.1 (bound 5·√(0.09/N) = 0.0059), Gmin 0.05 (bound 5·√(0.0475/N) = 0.0043).
  DeviceNoiseParams n = quiet();
  n.stuckAtGmaxRate = 0.1;
  n.stuckAtGminRate = 0.05;
  CrossbarParams p = xbarParams(0.1e-6);
  p.mapping = WeightMapping::Offset;
  const CrossbarCore core(p, n);
  const ColMatrix g = core.program(ColMatrix::Zero(kSide, kSide), 14, 0.0).gEff[0];
  long plus = 0, minus = 0, zero = 0;
  for (int i = 0; i < g.size(); ++i) {
    const float v = g.data()[i];
    if (std::abs(v - 1.0f) < 1e-6f) ++plus;
    else if (std::abs(v + 1.0f) < 1e-6f) ++minus;
    else if (std::abs(v) < 1e-6f) ++zero;
  }
  const double N = static_cast<double>(g.size());
  ASSERT_EQ(plus + minus + zero, g.size());
  EXPECT_NEAR(plus / N, 0.1, 5.0 * std::sqrt(0.1 * 0.9 / N));
  EXPECT_NEAR(minus / N, 0.05, 5.0 * std::sqrt(0.05 * 0.95 / N));
}

TEST(CrossbarPhysicsTest, FaultsDoNotShiftVariationDraws) {
  // Faults draw from their own stream: with variation on, weights whose two devices are both healthy keep
  // exactly the fault-free gEff. A pair is touched with probability 1 − (1 − p)² = 0.0975 for p = 0.05
  // (stuck at Gmax; a device drawn to exactly Gmax is impossible), so the changed fraction is binomial:
  // bound 5·√(q(1 − q)/N) = 0.0058.
  DeviceNoiseParams n;
  n.sigma = 0.03;
  const ColMatrix w = randomWeights(kSide, kSide, streamKey(15, {1}));
  const ColMatrix clean = CrossbarCore(xbarParams(5e-6), n).program(w, 21, 0.0).gEff[0];
  n.stuckAtGmaxRate = 0.05;
  const ColMatrix faulty = CrossbarCore(xbarParams(5e-6), n).program(w, 21, 0.0).gEff[0];
  long changed = 0;
  for (int i = 0; i < w.size(); ++i) changed += clean.data()[i] != faulty.data()[i];
  const double N = static_cast<double>(w.size()), q = 1.0 - 0.95 * 0.95;
  EXPECT_NEAR(changed / N, q, 5.0 * std::sqrt(q * (1 - q) / N));
}

// ------------------------------------------------------------------------------------------ bit slicing

void expectSlicedExactly(int weightBits, int cellBits, int slices, const std::vector<float>& sliceWeights) {
  CrossbarParams p = xbarParams(0.1e-6, 64, 64);
  p.weightBits = weightBits;
  p.cellBits = cellBits;
  const CrossbarCore core(p, quiet());
  ASSERT_EQ(p.slices(), slices);
  for (int s = 0; s < slices; ++s) EXPECT_NEAR(core.sliceWeight(s), sliceWeights[s], 1e-7) << "slice " << s;
  ColMatrix w = randomWeights(64, 64, streamKey(16, {static_cast<std::uint64_t>(weightBits)}));
  w(0, 0) = 1.0f;
  w(1, 0) = -1.0f;
  w(2, 0) = 0.0f;
  w(3, 0) = 1.7f;  // clamped to 1
  const ProgrammedBlock b = core.program(w, 3, 0.0);
  ASSERT_EQ(static_cast<int>(b.gEff.size()), slices);
  const double q = std::ldexp(1.0, weightBits) - 1.0;
  const double cellMax = std::ldexp(1.0, std::min(cellBits, weightBits)) - 1.0;
  for (int i = 0; i < w.size(); ++i) {
    const double wc = std::max(-1.0, std::min(1.0, static_cast<double>(w.data()[i])));
    const double expected = (wc < 0 ? -1.0 : 1.0) * std::round(std::abs(wc) * q) / q;
    double sum = 0.0;
    for (int s = 0; s < slices; ++s) {
      const double v = b.gEff[s].data()[i];
      // Each slice holds a cell level: a multiple of 1/cellMax in [−1, 1], with the sign of w.
      EXPECT_NEAR(v * cellMax, std::round(v * cellMax), 1e-5) << "slice " << s << " i=" << i;
      EXPECT_LE(std::abs(v), 1.0 + 1e-6);
      EXPECT_GE(v * (wc < 0 ? -1.0 : 1.0), -1e-6);
      sum += sliceWeights[s] * v;
    }
    ASSERT_NEAR(sum, expected, 2e-6) << "w=" << wc << " i=" << i;
  }
}

TEST(CrossbarPhysicsTest, BitSlicingFourBitsInTwoBitCells) {
  // 4-bit code c = round(|w|·15) = 4·d1 + d0, digits d ∈ {0..3} stored as d/3; recombination weights
  // 3·4^s/15: {1/5, 4/5}, so Σ_s sliceWeight_s·(d_s/3) = (d0 + 4·d1)/15 = c/15.
  expectSlicedExactly(4, 2, 2, {0.2f, 0.8f});
  // Hand example: w = 11/15 → c = 11 = 0b1011 → d0 = 3, d1 = 2 → slices (1, 2/3); w = −11/15 → (−1, −2/3).
  CrossbarParams p = xbarParams(0.1e-6, 4, 4);
  p.weightBits = 4;
  p.cellBits = 2;
  const CrossbarCore core(p, quiet());
  ColMatrix w(2, 1);
  w << 11.0f / 15.0f, -11.0f / 15.0f;
  const ProgrammedBlock b = core.program(w, 1, 0.0);
  EXPECT_NEAR(b.gEff[0](0, 0), 1.0, 1e-6);
  EXPECT_NEAR(b.gEff[1](0, 0), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(b.gEff[0](1, 0), -1.0, 1e-6);
  EXPECT_NEAR(b.gEff[1](1, 0), -2.0 / 3.0, 1e-6);
}

TEST(CrossbarPhysicsTest, BitSlicingUnevenLastSlice) {
  // 3 bits in 2-bit cells: code c = round(|w|·7) = 4·d1 + d0, d1 ∈ {0, 1}; weights 3·4^s/7 = {3/7, 12/7}.
  expectSlicedExactly(3, 2, 2, {3.0f / 7.0f, 12.0f / 7.0f});
}

TEST(CrossbarPhysicsTest, NoSlicingIsOneUnitSlice) {
  const CrossbarCore core(xbarParams(0.1e-6, 8, 8), quiet());
  EXPECT_EQ(core.params().slices(), 1);
  EXPECT_EQ(core.sliceWeight(0), 1.0f);
}

// --------------------------------------------------------------------------------------- offset mapping

TEST(CrossbarPhysicsTest, OffsetMappingWithoutVariationIsExact) {
  CrossbarParams p = xbarParams(0.1e-6, 64, 64);
  p.mapping = WeightMapping::Offset;
  const CrossbarCore core(p, quiet());
  EXPECT_EQ(p.devicesPerWeight(), 1);
  const ColMatrix w = randomWeights(64, 64, streamKey(17, {1}));
  const ColMatrix g = core.program(w, 4, 0.0).gEff[0];
  for (int i = 0; i < w.size(); ++i) ASSERT_NEAR(g.data()[i], w.data()[i], 1e-6) << i;
}

TEST(CrossbarPhysicsTest, OffsetMappingAbsoluteVariationHasTwiceTheOneDeviceScale) {
  // One device G = Gmin + ΔG·(w + 1)/2 + σ·Gmax·ε against Gref: gEff − w = 2·σ·Gmax·ε/ΔG,
  // std = 2·0.03·25/20 = 0.075. Gmin = 5 µS: clipping at 0 needs ε < −6.7.
  DeviceNoiseParams n;
  n.sigma = 0.03;
  CrossbarParams p = xbarParams(5e-6);
  p.mapping = WeightMapping::Offset;
  const CrossbarCore core(p, n);
  const ColMatrix w = randomWeights(kSide, kSide, streamKey(18, {1}));
  const ColMatrix g = core.program(w, 4, 0.0).gEff[0];
  std::vector<double> dev;
  for (int i = 0; i < w.size(); ++i) dev.push_back(static_cast<double>(g.data()[i]) - w.data()[i]);
  expectNormal(dev, 0.0, 0.03 * kGmax * 2.0 / (kGmax - 5e-6), "offset mapping deviation");
}

// ---------------------------------------------------------------------------------------------- IR drop

TEST(CrossbarPhysicsTest, IrDropAttenuatesByWireResistanceToDriverAndSense) {
  // A 12 × 10 block of w = 1 in a 64 × 64 array (block at the origin): each device sees
  // R_s = r·((col + 1) + (rows − row)) with rows = 64 (the array's), and conducts G' = G/(1 + G·R_s).
  // w = 1: G+ = Gmax, G− = Gmin, gEff = (G+' − G−')/ΔG; w = 0 pairs cancel exactly.
  const double gMin = 1e-6, r = 40.0;  // a large r makes the attenuation clear: up to 25 µS·40·76 Ω = 7.6 %
  CrossbarParams p = xbarParams(gMin, 64, 64);
  p.irDrop = true;
  p.wireOhms = r;
  const CrossbarCore core(p, quiet());
  ColMatrix w = ColMatrix::Ones(12, 10);
  w(5, 5) = 0.0f;
  const ColMatrix g = core.program(w, 2, 0.0).gEff[0];
  const double dG = kGmax - gMin;
  for (int col = 0; col < 10; ++col) {
    for (int row = 0; row < 12; ++row) {
      if (row == 5 && col == 5) {
        EXPECT_EQ(g(row, col), 0.0f);
        continue;
      }
      const double rs = r * ((col + 1) + (64 - row));
      const double expected = (kGmax / (1 + kGmax * rs) - gMin / (1 + gMin * rs)) / dG;
      ASSERT_NEAR(g(row, col), expected, 2e-7) << "row " << row << " col " << col;
      EXPECT_LT(g(row, col), 1.0f - 0.02f) << "visible attenuation";
      if (col > 0 && !(row == 5 && col - 1 == 5)) {
        EXPECT_LT(g(row, col), g(row, col - 1)) << "further from the driver";
      }
      if (row > 0 && !(row - 1 == 5 && col == 5)) {
        EXPECT_GT(g(row, col), g(row - 1, col)) << "nearer the sense amplifier";
      }
    }
  }
  // Without IR drop the same block is exact.
  p.irDrop = false;
  EXPECT_NEAR(CrossbarCore(p, quiet()).program(w, 2, 0.0).gEff[0](11, 9), 1.0f, 1e-6);
}

// --------------------------------------------------------------------------------------- lognormal, pcm

TEST(CrossbarPhysicsTest, LognormalRelativeVariationIsMeanPreserving) {
  // Offset mapping makes one device per weight observable: w = 1 → target Gmax, G' = Gref + gEff·ΔG/2.
  // Lognormal relative: G' = G·exp(s·ε − s²/2), s = σ = 0.2, so E[G'/G] = 1 and ln(G'/G) ~ N(−s²/2, s²).
  // Mean ratio: SE = √(exp(s²) − 1)/√N = 0.2020/256 = 7.9e-4, bound 3.9e-3 (a missing −s²/2 would give
  // 1.0202). Float rounding of gEff (6e-8 relative) is negligible.
  const double s = 0.2, gMin = 1e-6;
  DeviceNoiseParams n;
  n.variation = VariationModel::Relative;
  n.distribution = VariationDistribution::Lognormal;
  n.sigma = s;
  CrossbarParams p = xbarParams(gMin);
  p.mapping = WeightMapping::Offset;
  const CrossbarCore core(p, n);
  const ColMatrix g = core.program(ColMatrix::Ones(kSide, kSide), 31, 0.0).gEff[0];
  const double dG = kGmax - gMin, gRef = gMin + dG / 2;
  std::vector<double> ratio, logRatio;
  for (int i = 0; i < g.size(); ++i) {
    const double gp = gRef + g.data()[i] * dG / 2;
    ASSERT_GT(gp, 0.0);
    ratio.push_back(gp / kGmax);
    logRatio.push_back(std::log(gp / kGmax));
  }
  const Stats r = statsOf(ratio);
  EXPECT_NEAR(r.mean, 1.0, 5.0 * std::sqrt(std::exp(s * s) - 1.0) / std::sqrt(static_cast<double>(r.n)));
  expectNormal(logRatio, -s * s / 2, s, "ln(G'/G)");
}

TEST(CrossbarPhysicsTest, PcmVariationFollowsPolynomialOfEachDevice) {
  // Differential pair, targets G+ = Gmin + ΔG·max(w, 0), G− = Gmin + ΔG·max(−w, 0), each with
  // σ(g) = (0.26348 + 1.9650·g − 1.1731·g²) µS at g = G/Gmax: gEff − w has std √(σ+² + σ−²)/ΔG.
  // Gmin = 5 µS (g = 0.2, σ = 0.6095 µS): clipping at 0 needs ε < −8.2, negligible.
  // w = 0.5: g+ = (5 + 10)/25 = 0.6, σ+ = 1.0202 µS → std = 1.1884/20 = 0.0594.
  // w = 0: σ+ = σ− = 0.6095 µS → std = 0.0431.  w = −1: σ+ at 0.2, σ− at 1 (1.05538 µS) → std 0.0609.
  const double gMin = 5e-6, dG = kGmax - gMin;
  DeviceNoiseParams n;
  n.variation = VariationModel::Pcm;
  const CrossbarCore core(xbarParams(gMin), n);
  const float groupWeight[3] = {0.5f, 0.0f, -1.0f};
  ColMatrix w(kSide, kSide);
  for (Eigen::Index c = 0; c < kSide; ++c)
    for (Eigen::Index r = 0; r < kSide; ++r) w(r, c) = groupWeight[c % 3];
  const ColMatrix g = core.program(w, 41, 0.0).gEff[0];
  auto sigmaS = [](double gS) {
    const double x = gS / kGmax;
    return (0.26348 + 1.9650 * x - 1.1731 * x * x) * 1e-6;
  };
  std::vector<double> dev[3];
  for (Eigen::Index c = 0; c < kSide; ++c)
    for (Eigen::Index r = 0; r < kSide; ++r) dev[c % 3].push_back(static_cast<double>(g(r, c)) - w(r, c));
  const char* names[3] = {"pcm w = 0.5", "pcm w = 0", "pcm w = -1"};
  for (int k = 0; k < 3; ++k) {
    const double wk = groupWeight[k];
    const double sp = sigmaS(gMin + dG * std::max(wk, 0.0)), sn = sigmaS(gMin + dG * std::max(-wk, 0.0));
    expectNormal(dev[k], 0.0, std::sqrt(sp * sp + sn * sn) / dG, names[k]);
  }
}

// -------------------------------------------------------------------------------------- read variance

double pcmReadSigma(double gS, double gNorm, double t) {
  const double qs = std::min(0.0088 / std::pow(gNorm, 0.65), 0.2);
  return gS * qs * std::sqrt(std::log((t + kT0 + 250e-9) / (2 * 250e-9)));
}

TEST(CrossbarPhysicsTest, PcmReadVarianceIsSumOfBothDevices) {
  // readVar = (σ+² + σ−²)/ΔG² with σ = G·Qs(g_target)·√(ln((t + t0 + t_read)/(2 t_read))) evaluated at the
  // device's conductance at time t (after drift), Qs at its normalised target.
  const double gMin = 2e-6, dG = kGmax - gMin;
  DeviceNoiseParams n = quiet();
  n.read = ReadNoiseModel::Pcm;
  n.drift = DriftModel::Constant;
  n.nuMean = 0.05;
  n.nuStd = 0.0;
  const CrossbarCore core(xbarParams(gMin, 8, 8), n);
  EXPECT_EQ(core.uniformReadVariance(), -1.0);
  ColMatrix w(5, 1);
  w << 1.0f, 0.5f, 0.0f, -0.25f, -1.0f;
  for (double t : {0.0, kHour}) {
    const double f = t > 0 ? std::pow((t + kT0) / kT0, -0.05) : 1.0;
    const ProgrammedBlock b = core.program(w, 6, t);
    ASSERT_EQ(b.readVar.size(), 1u);
    for (int i = 0; i < 5; ++i) {
      const double wi = w(i, 0);
      const double tp = gMin + dG * std::max(wi, 0.0), tn = gMin + dG * std::max(-wi, 0.0);
      const double sp = pcmReadSigma(f * tp, tp / kGmax, t), sn = pcmReadSigma(f * tn, tn / kGmax, t);
      const double expected = (sp * sp + sn * sn) / (dG * dG);
      EXPECT_NEAR(b.readVar[0](i, 0), expected, 1e-6 * expected) << "w=" << wi << " t=" << t;
    }
  }
  // Offset mapping: one device, factor 2/ΔG on the std → 4σ²/ΔG².
  CrossbarParams p = xbarParams(gMin, 8, 8);
  p.mapping = WeightMapping::Offset;
  const ProgrammedBlock b = CrossbarCore(p, n).program(w, 6, kHour);
  const double f = std::pow((kHour + kT0) / kT0, -0.05);
  for (int i = 0; i < 5; ++i) {
    const double tg = gMin + dG * (w(i, 0) + 1.0) / 2.0;
    const double sg = pcmReadSigma(f * tg, tg / kGmax, kHour);
    const double expected = 4 * sg * sg / (dG * dG);
    EXPECT_NEAR(b.readVar[0](i, 0), expected, 1e-6 * expected) << "offset w=" << w(i, 0);
  }
}

TEST(CrossbarPhysicsTest, UniformReadVariancePerModelAndMapping) {
  // Absolute: each device σ·Gmax; in w_eff units σ·Gmax/ΔG = 0.02·25/20 = 0.025 → 2·0.025² = 1.25e-3 for a
  // pair; the offset mapping's factor 2/ΔG gives 4·0.025² = 2.5e-3.
  DeviceNoiseParams n = quiet();
  n.read = ReadNoiseModel::Absolute;
  n.readSigma = 0.02;
  CrossbarParams p = xbarParams(5e-6, 8, 8);
  EXPECT_NEAR(CrossbarCore(p, n).uniformReadVariance(), 1.25e-3, 1e-15);
  EXPECT_TRUE(CrossbarCore(p, n).program(ColMatrix::Ones(4, 4), 1, 0.0).readVar.empty())
      << "uniform read noise needs no per-weight matrix";
  p.mapping = WeightMapping::Offset;
  EXPECT_NEAR(CrossbarCore(p, n).uniformReadVariance(), 2.5e-3, 1e-15);
  n.read = ReadNoiseModel::Pcm;
  EXPECT_EQ(CrossbarCore(p, n).uniformReadVariance(), -1.0);
  n.read = ReadNoiseModel::None;
  EXPECT_EQ(CrossbarCore(p, n).uniformReadVariance(), 0.0);
  EXPECT_TRUE(CrossbarCore(p, n).program(ColMatrix::Ones(4, 4), 1, 0.0).readVar.empty());
}

// ----------------------------------------------------------------------------------- array read noise

TEST(ArrayCoreReadNoiseTest, PerWeightVarianceGivesStandardisedUnitVariance) {
  // out = x·g + √(Σ_i x_i²·readVar_i)·z per output. With z from fillStandardNormal, the standardised
  // deviation (out − x·g)/√(Σ_i x_i² readVar_i) must (i) reproduce z to float precision and (ii) have mean 0
  // and variance 1 within 5 SE over N = 4096 × 16 = 65536 outputs (mean ±5/√N = ±0.0195; variance
  // ±5·√(2/(N − 1)) = ±0.028). readVar differs per column by (c + 1)², so swapping columns or rows of the
  // variance matrix, or using x instead of x², fails (i).
  const int N = 4096, K = 24, C = 16;
  ArrayParams ap;
  const ArrayCore core(ap, quiet());
  const RowMatrix x = randomWeights(N, K, streamKey(50, {1})).cwiseAbs();  // non-negative inputs in [0, 1)
  const ColMatrix g = randomWeights(K, C, streamKey(50, {2}));
  ColMatrix readVar(K, C);
  const ColMatrix u = randomWeights(K, C, streamKey(50, {3}));
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < K; ++i) readVar(i, c) = 1e-3f * (c + 1) * (c + 1) * (1.5f + u(i, c));
  RowMatrix z(N, C);
  Rng rng(streamKey(50, {4}));
  fillStandardNormal(rng, z.data(), static_cast<std::size_t>(z.size()));
  RowMatrix out;
  const RowMatrix xT = x.transpose();  // pass takes the inputs as a patch matrix (k × vectors)
  core.pass(PatchRows::dense(xT), g, readVar, z, 0.0f, out);
  ASSERT_EQ(out.rows(), N);
  ASSERT_EQ(out.cols(), C);
  std::vector<double> std01;
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      double xg = 0, var = 0;
      for (int i = 0; i < K; ++i) {
        xg += static_cast<double>(x(n, i)) * g(i, c);
        var += static_cast<double>(x(n, i)) * x(n, i) * readVar(i, c);
      }
      const double sd = std::sqrt(var);
      const double zs = (out(n, c) - xg) / sd;
      // Float error of out: ~K·2^−24·Σ|x g| ≲ 2e-5 absolute, relative to sd ≥ 0.03 → < 1e-3 on zs.
      ASSERT_NEAR(zs, z(n, c), 2e-3 * (1 + std::abs(z(n, c)))) << "n=" << n << " c=" << c;
      std01.push_back(zs);
    }
  }
  expectNormal(std01, 0.0, 1.0, "standardised read-noise deviation");
}

TEST(ArrayCoreReadNoiseTest, UniformOverloadEqualsConstantMatrix) {
  const int N = 500, K = 40, C = 12;
  const ArrayCore core(ArrayParams{}, quiet());
  const RowMatrix x = randomWeights(N, K, streamKey(51, {1}));  // signed inputs: x² still positive
  const ColMatrix g = randomWeights(K, C, streamKey(51, {2}));
  RowMatrix z(N, C);
  Rng rng(streamKey(51, {3}));
  fillStandardNormal(rng, z.data(), static_cast<std::size_t>(z.size()));
  const float v = 2.5e-3f;
  RowMatrix a, b, clean;
  const RowMatrix xT = x.transpose();  // pass takes the inputs as a patch matrix (k × vectors)
  const PatchRows px = PatchRows::dense(xT);
  core.pass(px, g, v, z, 0.0f, a);
  core.pass(px, g, ColMatrix::Constant(K, C, v), z, 0.0f, b);
  core.pass(px, g, 0.0f, clean);
  EXPECT_GT((a - clean).cwiseAbs().maxCoeff(), 0.1f) << "noise is applied";
  for (int i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a.data()[i], b.data()[i], 1e-5 * std::max(1.0f, std::abs(b.data()[i]))) << i;
  }
  // And the std is exactly √(v·Σ x²)·|z|.
  for (int n = 0; n < 5; ++n) {
    const double sd = std::sqrt(v * static_cast<double>(x.row(n).squaredNorm()));
    for (int c = 0; c < C; ++c) EXPECT_NEAR(a(n, c) - clean(n, c), sd * z(n, c), 1e-5 * (1 + sd * std::abs(z(n, c))));
  }
}

}  // namespace
}  // namespace mxsim
