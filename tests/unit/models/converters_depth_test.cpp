// Tests for the deeper DAC/ADC models (models/converters): the DAC's pass decomposition (multibit /
// bit-serial × two-phase / offset) against the identity Σ_k w_k·(x_k·G) = xq·G + offsetScale·1ᵀG for random
// G, pass counts and cycles, energies (DAC levels, Walden), the ADC's static non-idealities (statistics,
// column→ADC mapping, INL bound, determinism), conversion timing by type, percentileAbs against a hand-sorted
// list, and the new configuration keys. Expected values are derived by hand or in double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "models/converters/adc.h"
#include "models/converters/dac.h"
#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

DacCore makeDac(int bits, DacMode mode, SignedInputs si, int cycles = 1) {
  DacParams p;
  p.bits = bits;
  p.cycles = cycles;
  p.mode = mode;
  p.signedInputs = si;
  return DacCore(p);
}

RowMatrix randomMatrix(Eigen::Index r, Eigen::Index c, Rng& rng, double lo, double hi) {
  RowMatrix m(r, c);
  for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return m;
}

std::string name(DacMode m, SignedInputs s, bool signedInput) {
  return std::string(m == DacMode::Multibit ? "multibit" : "bit_serial") + "/" +
         (s == SignedInputs::TwoPhase ? "two_phase" : "offset") + "/" + (signedInput ? "signed" : "unsigned");
}

// ---------------------------------------------------------------------------------------------------
// DAC decomposition

TEST(DacDepthTest, DecomposeSatisfiesTheIdentityForEveryMode) {
  Rng rng(streamKey(21, {1}));
  const Eigen::Index vectors = 9, rows = 37, cols = 13;
  for (DacMode mode : {DacMode::Multibit, DacMode::BitSerial}) {
    for (SignedInputs si : {SignedInputs::TwoPhase, SignedInputs::Offset}) {
      for (bool signedInput : {true, false}) {
        for (int bits : {1, 3, 8}) {
          const DacCore dac = makeDac(bits, mode, si);
          RowMatrix xq = randomMatrix(vectors, rows, rng, signedInput ? -1.2 : -0.1, 1.2);
          dac.convert(xq, signedInput);
          const Eigen::MatrixXd G = randomMatrix(rows, cols, rng, -1, 1).cast<double>();
          std::vector<InputPass> passes;
          dac.decompose(xq, signedInput, passes);
          ASSERT_EQ(static_cast<int>(passes.size()), dac.passCount(signedInput)) << name(mode, si, signedInput);
          // Left side in double from the float planes; right side from xq.
          Eigen::MatrixXd lhs = Eigen::MatrixXd::Zero(vectors, cols);
          for (const InputPass& p : passes) {
            ASSERT_EQ(p.x.rows(), vectors);
            ASSERT_EQ(p.x.cols(), rows);
            lhs += static_cast<double>(p.weight) * (p.x.cast<double>() * G);
          }
          const Eigen::RowVectorXd colSum = G.colwise().sum();
          Eigen::MatrixXd rhs = xq.cast<double>() * G;
          rhs.rowwise() += static_cast<double>(dac.offsetScale(signedInput)) * colSum;
          // xq carries float rounding of k/L (and of 2u − 1): ≤ ~1e-7 relative per entry, times Σ|G| ≤ rows.
          const double tol = 4e-7 * static_cast<double>(rows);
          EXPECT_LE((lhs - rhs).cwiseAbs().maxCoeff(), tol) << name(mode, si, signedInput) << " bits=" << bits;
          // And the identity is not vacuous: the left side is a real MVM of magnitude ~ rows.
          EXPECT_GT(lhs.cwiseAbs().maxCoeff(), 0.5) << name(mode, si, signedInput) << " bits=" << bits;
        }
      }
    }
  }
}

TEST(DacDepthTest, IdealDacPassesTheClippedInputsUnquantised) {
  Rng rng(streamKey(21, {9}));
  for (DacMode mode : {DacMode::Multibit, DacMode::BitSerial}) {
    for (SignedInputs si : {SignedInputs::TwoPhase, SignedInputs::Offset}) {
      for (bool signedInput : {true, false}) {
        DacParams p;
        p.bits = 3;
        p.mode = mode;
        p.signedInputs = si;
        p.ideal = true;
        const DacCore dac(p);
        const RowMatrix x = randomMatrix(7, 11, rng, -1.3, 1.3);
        RowMatrix xq = x;
        dac.convert(xq, signedInput);
        // Clipped to the full scale ([−1, 1], or [0, 1] unsigned), not rounded to the 3-bit grid.
        const RowMatrix clipped = x.array().max(signedInput ? -1.0f : 0.0f).min(1.0f).matrix();
        ASSERT_TRUE(xq == clipped) << name(mode, si, signedInput);
        std::vector<InputPass> passes;
        dac.decompose(xq, signedInput, passes);
        RowMatrix sum = RowMatrix::Zero(7, 11);
        for (const InputPass& ps : passes) sum += ps.weight * ps.x;
        sum.array() -= dac.offsetScale(signedInput);  // offset mode: 2u − 1 = x
        EXPECT_LT((sum - xq).cwiseAbs().maxCoeff(), 1e-6) << name(mode, si, signedInput);
        EXPECT_LE(static_cast<int>(passes.size()), 2) << name(mode, si, signedInput) << ": analog passes, no planes";
      }
    }
  }
}

TEST(AdcDepthTest, IdealAdcPassesSumsUnchangedAndRejectsStaticErrors) {
  AdcParams p;
  p.bits = 2;
  p.ideal = true;
  const AdcCore adc(p);
  Rng rng(streamKey(21, {10}));
  const RowMatrix sums = randomMatrix(5, 8, rng, -40, 40);
  RowMatrix out = sums;
  adc.convert(out, 10.0f);  // full scale 10: a real 2-bit ADC would clip and round to ±10/3 steps
  EXPECT_TRUE(out == sums);
  const YAML::Node bad = YAML::Load("ideal: true\ngain_sigma: 0.01\n");
  ConfigReader r(bad, "chip.tile.array.adc");
  try {
    AdcParams::fromConfig(r);
    ADD_FAILURE() << "an ideal ADC with a gain error must be rejected";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("chip.tile.array.adc.gain_sigma"), std::string::npos) << e.what();
  }
}

TEST(DacDepthTest, MultibitTwoPhasePlanesAreExactlyThePositiveAndNegativeParts) {
  const DacCore dac = makeDac(8, DacMode::Multibit, SignedInputs::TwoPhase);
  Rng rng(streamKey(21, {2}));
  RowMatrix xq = randomMatrix(4, 20, rng, -1, 1);
  dac.convert(xq, true);
  std::vector<InputPass> passes;
  dac.decompose(xq, true, passes);
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_TRUE(passes[0].x == xq.cwiseMax(0.0f));
  EXPECT_EQ(passes[0].weight, 1.0f);
  EXPECT_TRUE(passes[1].x == (-xq).cwiseMax(0.0f));
  EXPECT_EQ(passes[1].weight, -1.0f);
  dac.decompose(xq.cwiseAbs(), false, passes);
  ASSERT_EQ(passes.size(), 1u);
  EXPECT_TRUE(passes[0].x == xq.cwiseAbs());
  EXPECT_EQ(passes[0].weight, 1.0f);
  EXPECT_EQ(dac.offsetScale(true), 0.0f);
  EXPECT_EQ(dac.offsetScale(false), 0.0f);
}

TEST(DacDepthTest, BitSerialPlanesAreTheBinaryDigitsOfTheCode) {
  // bits = 3, L = 7: x = 5/7 → code 101b; x = −6/7 → code 110b in the negative phase.
  const DacCore dac = makeDac(3, DacMode::BitSerial, SignedInputs::TwoPhase);
  RowMatrix xq(1, 2);
  xq << 5.0f / 7.0f, -6.0f / 7.0f;
  dac.convert(xq, true);
  std::vector<InputPass> passes;
  dac.decompose(xq, true, passes);
  ASSERT_EQ(passes.size(), 6u);
  const float expectPos[3][2] = {{1, 0}, {0, 0}, {1, 0}};
  const float expectNeg[3][2] = {{0, 0}, {0, 1}, {0, 1}};
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(passes[b].x(0, 0), expectPos[b][0]) << "b=" << b;
    EXPECT_EQ(passes[b].x(0, 1), expectPos[b][1]) << "b=" << b;
    EXPECT_FLOAT_EQ(passes[b].weight, static_cast<float>((1 << b) / 7.0));
    EXPECT_EQ(passes[3 + b].x(0, 0), expectNeg[b][0]) << "b=" << b;
    EXPECT_EQ(passes[3 + b].x(0, 1), expectNeg[b][1]) << "b=" << b;
    EXPECT_FLOAT_EQ(passes[3 + b].weight, static_cast<float>(-(1 << b) / 7.0));
  }
}

TEST(DacDepthTest, OffsetModeQuantisesUAndKeepsXUnits) {
  // bits = 2, L = 3: u grid {0, 1/3, 2/3, 1} ↔ x grid {−1, −1/3, 1/3, 1}.
  const DacCore dac = makeDac(2, DacMode::Multibit, SignedInputs::Offset);
  RowMatrix xq(1, 6);
  xq << -1.0f, -0.5f, -0.1f, 0.2f, 0.9f, 3.0f;
  dac.convert(xq, true);
  const double expect[6] = {-1.0, -1.0 / 3, -1.0 / 3, 1.0 / 3, 1.0, 1.0};
  // −0.5 → u = 0.25 → 0.75 levels → 1 → x = −1/3; 0.9 → u = 0.95 → 2.85 → 3 → 1.
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(xq(0, i), expect[i], 1e-6) << i;
  std::vector<InputPass> passes;
  dac.decompose(xq, true, passes);
  ASSERT_EQ(passes.size(), 1u);
  EXPECT_EQ(passes[0].weight, 2.0f);
  const double u[6] = {0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(passes[0].x(0, i), u[i], 1e-7) << i;
  EXPECT_EQ(dac.offsetScale(true), 1.0f);
  EXPECT_EQ(dac.offsetScale(false), 0.0f);
  // Error of the offset encoding is at most one x-step/2 = 1/L.
  Rng rng(streamKey(21, {3}));
  const DacCore d8 = makeDac(8, DacMode::Multibit, SignedInputs::Offset);
  RowMatrix x = randomMatrix(1, 5000, rng, -1, 1);
  RowMatrix q = x;
  d8.convert(q, true);
  EXPECT_LE((q - x).cwiseAbs().maxCoeff(), 1.0 / 255 + 1e-6);
  // Unsigned inputs in offset mode are unchanged from the default (one phase, no offset).
  const DacCore ref = makeDac(8, DacMode::Multibit, SignedInputs::TwoPhase);
  RowMatrix a = randomMatrix(3, 50, rng, -0.2, 1.2), b = a;
  d8.convert(a, false);
  ref.convert(b, false);
  EXPECT_TRUE(a == b);
}

TEST(DacDepthTest, DefaultParamsConvertExactlyAsBefore) {
  // The default (multibit, two-phase) convert() is the documented round(|x|·L)/L, bit for bit.
  const DacCore dac{DacParams{}};
  Rng rng(streamKey(21, {4}));
  RowMatrix x = randomMatrix(5, 300, rng, -1.3, 1.3), q = x;
  dac.convert(q, true);
  const float L = 255.0f;
  const RowMatrix ref = ((x.array().max(-1.0f).min(1.0f) * L).round() * (1.0f / L)).matrix();
  EXPECT_EQ(std::memcmp(q.data(), ref.data(), sizeof(float) * static_cast<size_t>(q.size())), 0);
}

TEST(DacDepthTest, PassCountAndCycles) {
  struct Case {
    DacMode mode;
    SignedInputs si;
    int bits;
    int signedPasses, unsignedPasses;
  };
  const std::vector<Case> cases = {
      {DacMode::Multibit, SignedInputs::TwoPhase, 8, 2, 1},
      {DacMode::Multibit, SignedInputs::Offset, 8, 1, 1},
      {DacMode::BitSerial, SignedInputs::TwoPhase, 8, 16, 8},
      {DacMode::BitSerial, SignedInputs::Offset, 8, 8, 8},
      {DacMode::BitSerial, SignedInputs::TwoPhase, 4, 8, 4},
      {DacMode::BitSerial, SignedInputs::Offset, 1, 1, 1},
  };
  for (const Case& c : cases) {
    const DacCore dac = makeDac(c.bits, c.mode, c.si, 3);
    const std::string n = name(c.mode, c.si, true) + " bits=" + std::to_string(c.bits);
    EXPECT_EQ(dac.passCount(true), c.signedPasses) << n;
    EXPECT_EQ(dac.passCount(false), c.unsignedPasses) << n;
    EXPECT_EQ(dac.cyclesPerVector(dac.passCount(true)), 3u * c.signedPasses) << n;
    EXPECT_EQ(dac.cyclesPerVector(dac.passCount(false)), 3u * c.unsignedPasses) << n;
    // The old per-phase interface is unchanged.
    EXPECT_EQ(dac.cyclesPerVector(2), 6u) << n;
    EXPECT_EQ(dac.cyclesPerVector(1), 3u) << n;
  }
}

TEST(DacDepthTest, ExplicitUnitEnergyScalesWithLevelsForMultibitAndIsOneUnitForBitSerial) {
  for (int bits : {1, 4, 8}) {
    DacParams p;
    p.bits = bits;
    // ISAAC: 4 mW for 1024 1-bit DACs at 100 ns per step = 0.390625 pJ per unit conversion.
    p.energyPerLevelJ = 4e-3 * 100e-9 / 1024;
    p.mode = DacMode::Multibit;
    // An explicit price includes the word line: the load arguments do not change it.
    EXPECT_DOUBLE_EQ(DacCore(p).energyPerConversionJ(5e-15, 0.3), 4e-3 * 100e-9 / 1024 * ((1 << bits) - 1)) << bits;
    p.mode = DacMode::BitSerial;
    EXPECT_DOUBLE_EQ(DacCore(p).energyPerConversionJ(5e-15, 0.3), 4e-3 * 100e-9 / 1024) << bits;
  }
  DacParams p;
  p.energyPerLevelJ = 2e-15;
  p.bits = 3;
  EXPECT_NEAR(DacCore(p).energyPerConversionJ(0.0, 0.2), 14e-15, 1e-28);
}

// ---------------------------------------------------------------------------------------------------
// ADC timing and energy

AdcParams adcParams(int bits, AdcType type, int override = 0, int perArray = 8) {
  AdcParams p;
  p.bits = bits;
  p.type = type;
  p.conversionCycles = override;
  p.perArray = perArray;
  return p;
}

TEST(AdcDepthTest, ConversionCyclesBySarFlashAndOverride) {
  for (int bits : {2, 4, 8, 12}) {
    EXPECT_EQ(AdcCore(adcParams(bits, AdcType::Sar)).cyclesPerConversion(), bits + 1);
    EXPECT_EQ(AdcCore(adcParams(bits, AdcType::Flash)).cyclesPerConversion(), 1);
    EXPECT_EQ(AdcCore(adcParams(bits, AdcType::Sar, 3)).cyclesPerConversion(), 3);
    EXPECT_EQ(AdcCore(adcParams(bits, AdcType::Flash, 5)).cyclesPerConversion(), 5);
  }
  // 128 columns over 8 SAR 8-bit ADCs: 16 conversions × 9 cycles.
  EXPECT_EQ(AdcCore(adcParams(8, AdcType::Sar)).cyclesPerVector(128), 144u);
  EXPECT_EQ(AdcCore(adcParams(4, AdcType::Flash)).cyclesPerVector(128), 16u);
  EXPECT_EQ(AdcCore(adcParams(8, AdcType::Sar, 1)).cyclesPerVector(128), 16u);
  EXPECT_EQ(AdcCore(adcParams(8, AdcType::Sar, 0, 3)).cyclesPerVector(10), 36u);  // ceil(10/3) = 4 × 9
  // A default-constructed AdcParams keeps the old one cycle per conversion.
  EXPECT_EQ(AdcCore(AdcParams{}).cyclesPerConversion(), 1);
}

TEST(AdcDepthTest, WaldenEnergyIsFomTimesTwoToTheBits) {
  for (int bits : {4, 8, 12}) {
    AdcParams p = adcParams(bits, AdcType::Sar);
    p.energyModel = AdcEnergyModel::Walden;
    const AdcCore adc(p);
    EXPECT_NEAR(adc.energyPerConversionJ(1e9, 32.0), 1.56e-12 / 256 * std::pow(2.0, bits), 1e-26) << bits;
  }
  // 8 bits at the default FOM reproduces ISAAC's 1.56 pJ per conversion.
  AdcParams w;
  w.energyModel = AdcEnergyModel::Walden;
  EXPECT_NEAR(AdcCore(w).energyPerConversionJ(1e9, 32.0), 1.56e-12, 0.01e-12);
  AdcParams t;
  t.energyModel = AdcEnergyModel::Table;
  EXPECT_LT(AdcCore(t).energyPerConversionJ(1e9, 32.0), 0.0);
  AdcParams f;
  f.energyModel = AdcEnergyModel::Walden;
  f.waldenFomJ = 1e-15;
  f.bits = 10;
  EXPECT_NEAR(AdcCore(f).energyPerConversionJ(1e9, 32.0), 1024e-15, 1e-27);
}

// ---------------------------------------------------------------------------------------------------
// ADC non-idealities

AdcParams noisyParams(int perArray, double offSigma, double gainSigma, double inl, int bits = 8) {
  AdcParams p;
  p.bits = bits;
  p.perArray = perArray;
  p.offsetSigmaLsb = offSigma;
  p.gainSigma = gainSigma;
  p.inlLsb = inl;
  return p;
}

TEST(AdcDepthTest, IdealInstanceEqualsIdealConvertBitExactly) {
  const AdcCore adc(noisyParams(8, 0, 0, 0));
  Rng drawRng(streamKey(22, {1}));
  const AdcInstance inst = adc.drawInstance(drawRng);
  ASSERT_EQ(inst.offsetLsb.size(), 8);
  EXPECT_TRUE(inst.ideal());
  EXPECT_TRUE((inst.offsetLsb.array() == 0).all() && (inst.gain.array() == 0).all() &&
              (inst.inlAmp.array() == 0).all());
  Rng rng(streamKey(22, {2}));
  const RowMatrix p = randomMatrix(17, 40, rng, -12, 12);
  for (float fs : {10.0f, 3.3f}) {
    RowMatrix a = p, b = p, c = p;
    adc.convert(a, fs);
    adc.convert(b, fs, &inst);
    adc.convert(c, fs, nullptr);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())), 0);
    EXPECT_EQ(std::memcmp(a.data(), c.data(), sizeof(float) * static_cast<size_t>(a.size())), 0);
  }
}

TEST(AdcDepthTest, OffsetStatisticsMatchSigma) {
  const int n = 4096;
  const double sigma = 0.7;
  const AdcCore adc(noisyParams(n, sigma, 0, 0));
  Rng rng(streamKey(22, {3}));
  const AdcInstance inst = adc.drawInstance(rng);
  const Eigen::ArrayXd o = inst.offsetLsb.cast<double>().array();
  const double mean = o.mean();
  const double sd = std::sqrt((o - mean).square().sum() / (n - 1));
  // 5-sigma sample-size bounds: mean ± 5σ/√n, sd ± 5σ/√(2n).
  EXPECT_LE(std::fabs(mean), 5 * sigma / std::sqrt(n));
  EXPECT_NEAR(sd, sigma, 5 * sigma / std::sqrt(2.0 * n));
  EXPECT_TRUE((inst.gain.array() == 0).all());
  EXPECT_TRUE((inst.inlAmp.array() == 0).all());
  // Functional effect: p = 0 converts to round(o_j) LSB (clipped to ±L).
  const float fs = 127.0f;  // Δ = 1
  RowMatrix zero = RowMatrix::Zero(1, n);
  adc.convert(zero, fs, &inst);
  for (int j = 0; j < n; ++j) ASSERT_EQ(zero(0, j), std::round(inst.offsetLsb(j))) << j;
}

TEST(AdcDepthTest, GainStatisticsMatchSigmaAndScaleTheTransfer) {
  const int n = 4096;
  const double sigma = 0.02;
  const AdcCore adc(noisyParams(n, 0, sigma, 0, 12));
  Rng rng(streamKey(22, {4}));
  const AdcInstance inst = adc.drawInstance(rng);
  const Eigen::ArrayXd g = inst.gain.cast<double>().array();
  const double mean = g.mean();
  const double sd = std::sqrt((g - mean).square().sum() / (n - 1));
  EXPECT_LE(std::fabs(mean), 5 * sigma / std::sqrt(n));
  EXPECT_NEAR(sd, sigma, 5 * sigma / std::sqrt(2.0 * n));
  // A half-scale input reads (1 + g_j)·p to within half an LSB.
  const float fs = 2047.0f;  // 12 bits: L = 2047, Δ = 1
  RowMatrix half = RowMatrix::Constant(1, n, 1000.0f);
  adc.convert(half, fs, &inst);
  for (int j = 0; j < n; ++j) ASSERT_NEAR(half(0, j), 1000.0 * (1 + inst.gain(j)), 0.5 + 1e-3) << j;
}

TEST(AdcDepthTest, InlBowIsBoundedZeroAtTheEndsAndPeaksAtMidScale) {
  const int n = 4096;
  const double inl = 1.5;
  const AdcCore adc(noisyParams(n, 0, 0, inl));
  Rng rng(streamKey(22, {5}));
  const AdcInstance inst = adc.drawInstance(rng);
  EXPECT_LE(inst.inlAmp.cwiseAbs().maxCoeff(), inl);
  EXPECT_GT(inst.inlAmp.cwiseAbs().maxCoeff(), 0.95 * inl);  // U(−1, 1) amplitudes reach near the bound
  EXPECT_LT(inst.inlAmp.minCoeff(), 0.0f);                  // both signs occur
  EXPECT_GT(inst.inlAmp.maxCoeff(), 0.0f);
  // Sweep each ADC over the full range: |output − ideal| ≤ inl + 1 LSB (round of both), and full-scale
  // inputs convert exactly (the bow vanishes at ±L).
  const float fs = 127.0f;  // Δ = 1, L = 127
  const int steps = 255;
  RowMatrix sweep(steps, n);
  for (int s = 0; s < steps; ++s) sweep.row(s).setConstant(static_cast<float>(-127.0 + 254.0 * s / (steps - 1)));
  RowMatrix ideal = sweep, real = sweep;
  adc.convert(ideal, fs);
  adc.convert(real, fs, &inst);
  EXPECT_LE((real - ideal).cwiseAbs().maxCoeff(), inl + 1.0 + 1e-4);
  for (int j = 0; j < n; ++j) {
    ASSERT_EQ(real(0, j), -127.0f) << j;
    ASSERT_EQ(real(steps - 1, j), 127.0f) << j;
    // Mid-scale (input 0) reads round(A_j).
    ASSERT_EQ(real(127, j), std::round(inst.inlAmp(j))) << j;
  }
}

TEST(AdcDepthTest, ColumnsMapRoundRobinOntoAdcs) {
  const int perArray = 5;
  const AdcCore adc(noisyParams(perArray, 3.0, 0.05, 1.0));
  Rng rng(streamKey(22, {6}));
  const AdcInstance inst = adc.drawInstance(rng);
  const int cols = 23;
  Rng prng(streamKey(22, {7}));
  const RowMatrix one = randomMatrix(6, 1, prng, -20, 20);
  RowMatrix p(6, cols);
  for (int c = 0; c < cols; ++c) p.col(c) = one.col(0);  // same input on every column
  RowMatrix q = p;
  adc.convert(q, 40.0f, &inst);
  for (int c = perArray; c < cols; ++c) EXPECT_TRUE(q.col(c) == q.col(c - perArray)) << "c=" << c;
  // ... and the ADCs differ from each other (σ large enough that two of 5 disagree somewhere).
  bool anyDiffer = false;
  for (int c = 1; c < perArray; ++c) anyDiffer |= !(q.col(c) == q.col(0));
  EXPECT_TRUE(anyDiffer);
  // Column c equals a single-column conversion by ADC c mod perArray, computed independently in double.
  const double L = 127, step = 40.0 / L;
  for (int c = 0; c < cols; ++c) {
    const int j = c % perArray;
    for (int r = 0; r < 6; ++r) {
      const double v = p(r, c) * (1.0 + inst.gain(j)) / step + inst.offsetLsb(j);
      const double t = std::clamp(v, -L, L);
      const double pre = t + inst.inlAmp(j) * (1 - (t / L) * (t / L));
      if (std::fabs(pre - std::floor(pre) - 0.5) < 1e-3) continue;  // float vs double may round a tie apart
      const double code = std::clamp(std::round(pre), -L, L);
      EXPECT_NEAR(q(r, c), code * step, 1e-4) << "r=" << r << " c=" << c;
    }
  }
}

TEST(AdcDepthTest, SameKeySameInstanceAndZeroSigmaDoesNotShiftOtherDraws) {
  const AdcCore adc(noisyParams(64, 0.5, 0.01, 0.8));
  Rng a(streamKey(5, {1, 2})), b(streamKey(5, {1, 2})), c(streamKey(5, {1, 3}));
  const AdcInstance ia = adc.drawInstance(a), ib = adc.drawInstance(b), ic = adc.drawInstance(c);
  EXPECT_TRUE(ia.offsetLsb == ib.offsetLsb && ia.gain == ib.gain && ia.inlAmp == ib.inlAmp);
  EXPECT_FALSE(ia.offsetLsb == ic.offsetLsb);
  // Turning the gain σ off leaves the offsets and INL amplitudes unchanged.
  const AdcCore noGain(noisyParams(64, 0.5, 0.0, 0.8));
  Rng d(streamKey(5, {1, 2}));
  const AdcInstance id = noGain.drawInstance(d);
  EXPECT_TRUE(id.offsetLsb == ia.offsetLsb);
  EXPECT_TRUE(id.inlAmp == ia.inlAmp);
  EXPECT_TRUE((id.gain.array() == 0).all());
}

TEST(AdcDepthTest, InstanceOfTheWrongSizeIsRejected) {
  const AdcCore adc(noisyParams(8, 1, 0, 0));
  Rng rng(streamKey(1, {1}));
  const AdcCore other(noisyParams(4, 1, 0, 0));
  const AdcInstance wrong = other.drawInstance(rng);
  RowMatrix p = RowMatrix::Zero(2, 8);
  EXPECT_THROW(adc.convert(p, 1.0f, &wrong), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------
// percentileAbs

TEST(AdcDepthTest, PercentileAbsIsTheNearestRankOrderStatistic) {
  RowMatrix v(2, 5);
  v << -9.0f, 1.0f, 4.0f, -2.0f, 7.0f,  //
      3.0f, -5.0f, 0.5f, 8.0f, -6.0f;
  // |v| sorted by hand: 0.5 1 2 3 4 5 6 7 8 9 (n = 10); rank k = ceil(p/100 · 10).
  EXPECT_EQ(AdcCore::percentileAbs(v, 100), 9.0f);
  EXPECT_EQ(AdcCore::percentileAbs(v, 95), 9.0f);    // k = 10
  EXPECT_EQ(AdcCore::percentileAbs(v, 90), 8.0f);    // k = 9
  EXPECT_EQ(AdcCore::percentileAbs(v, 85), 8.0f);    // k = 9
  EXPECT_EQ(AdcCore::percentileAbs(v, 50), 4.0f);    // k = 5
  EXPECT_EQ(AdcCore::percentileAbs(v, 10), 0.5f);    // k = 1
  EXPECT_EQ(AdcCore::percentileAbs(v, 0.01), 0.5f);  // k = 1
  EXPECT_EQ(AdcCore::percentileAbs(RowMatrix(0, 0), 100), 0.0f);
  // 100 = max on a large random matrix; 99.99 of 10000 = the second largest.
  Rng rng(streamKey(23, {1}));
  RowMatrix big = randomMatrix(100, 100, rng, -3, 3);
  std::vector<float> s(big.data(), big.data() + big.size());
  for (float& x : s) x = std::fabs(x);
  std::sort(s.begin(), s.end());
  EXPECT_EQ(AdcCore::percentileAbs(big, 100), big.cwiseAbs().maxCoeff());
  EXPECT_EQ(AdcCore::percentileAbs(big, 99.99), s[9998]);
  EXPECT_EQ(AdcCore::percentileAbs(big, 99), s[9899]);
  EXPECT_EQ(AdcCore::percentileAbs(big, 12.345), s[1234]);  // ceil(1234.5) = 1235 → index 1234
  EXPECT_THROW(AdcCore::percentileAbs(v, 0), std::invalid_argument);
  EXPECT_THROW(AdcCore::percentileAbs(v, 100.5), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------
// Configuration

std::string configErrorOf(const char* yaml, bool dac) {
  try {
    ConfigReader r(YAML::Load(yaml), dac ? "chip.tile.array.dac" : "chip.tile.array.adc");
    if (dac) {
      DacParams::fromConfig(r);
    } else {
      AdcParams::fromConfig(r);
    }
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConvertersConfigTest, DacNewKeysParseAndDefault) {
  ConfigReader def(YAML::Node(), "dac");
  const DacParams d = DacParams::fromConfig(def);
  EXPECT_EQ(d.mode, DacMode::Multibit);
  EXPECT_EQ(d.signedInputs, SignedInputs::TwoPhase);
  EXPECT_DOUBLE_EQ(d.energyPerLevelJ, DacParams::kDeriveEnergy);  // absent: the circuit model
  EXPECT_DOUBLE_EQ(d.unitCapacitanceF, 1e-15);
  EXPECT_EQ(d.bits, 8);
  EXPECT_EQ(d.cycles, 1);
  ConfigReader r(YAML::Load("mode: bit_serial\nsigned_inputs: offset\nenergy_per_level: 1 fJ\nbits: 4"), "dac");
  const DacParams p = DacParams::fromConfig(r);
  EXPECT_EQ(p.mode, DacMode::BitSerial);
  EXPECT_EQ(p.signedInputs, SignedInputs::Offset);
  EXPECT_NEAR(p.energyPerLevelJ, 1e-15, 1e-27);
  EXPECT_EQ(p.bits, 4);
}

TEST(ConvertersConfigTest, DacBadValuesNameTheKey) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"mode: serial", "chip.tile.array.dac.mode"},
      {"signed_inputs: sign_magnitude", "chip.tile.array.dac.signed_inputs"},
      {"energy_per_level: 1", "chip.tile.array.dac.energy_per_level"},      // missing unit
      {"energy_per_level: 1 mW", "chip.tile.array.dac.energy_per_level"},   // wrong unit
      {"energy_per_level: 5 nJ", "chip.tile.array.dac.energy_per_level"},   // out of range
      {"modee: multibit", "chip.tile.array.dac.modee"},
  };
  for (const auto& [yaml, key] : cases) {
    const std::string msg = configErrorOf(yaml, true);
    EXPECT_NE(msg.find(key), std::string::npos) << yaml << " -> '" << msg << "'";
  }
  EXPECT_NE(configErrorOf("mode: serial", true).find("bit_serial"), std::string::npos);  // lists the choices
}

TEST(ConvertersConfigTest, AdcNewKeysParseAndDefault) {
  ConfigReader def(YAML::Node(), "adc");
  const AdcParams d = AdcParams::fromConfig(def);
  EXPECT_EQ(d.type, AdcType::Sar);
  EXPECT_EQ(d.conversionCycles, 0);  // absent = derive from type
  EXPECT_EQ(AdcCore(d).cyclesPerConversion(), 9);
  EXPECT_EQ(d.range, AdcRange::Calibrated);
  EXPECT_DOUBLE_EQ(d.calibrationPercentile, 100.0);
  EXPECT_EQ(d.offsetSigmaLsb, 0.0);
  EXPECT_EQ(d.gainSigma, 0.0);
  EXPECT_EQ(d.inlLsb, 0.0);
  EXPECT_EQ(d.energyModel, AdcEnergyModel::ScaledSar);
  EXPECT_NEAR(d.waldenFomJ, 1.56e-12 / 256, 1e-27);  // ISAAC: 1.56 pJ per 8-bit conversion

  ConfigReader preset(YAML::Load("bits: 8\nper_array: 8\nconversion_cycles: 1\nrange: calibrated"), "adc");
  const AdcParams pr = AdcParams::fromConfig(preset);
  EXPECT_EQ(AdcCore(pr).cyclesPerConversion(), 1);  // today's preset keeps its timing

  ConfigReader r(YAML::Load("type: flash\nbits: 4\nrange: fixed\nfull_scale_value: 12.5\n"
                            "calibration_percentile: 99.9\noffset_sigma_lsb: 0.3\ngain_sigma: 0.01\n"
                            "inl_lsb: 0.5\nenergy_model: table\nwalden_fom: 2 fJ"),
                 "adc");
  const AdcParams p = AdcParams::fromConfig(r);
  EXPECT_EQ(p.type, AdcType::Flash);
  EXPECT_EQ(AdcCore(p).cyclesPerConversion(), 1);
  EXPECT_EQ(p.range, AdcRange::Fixed);
  EXPECT_EQ(AdcCore(p).fixedFullScale(), 12.5f);
  EXPECT_DOUBLE_EQ(p.calibrationPercentile, 99.9);
  EXPECT_DOUBLE_EQ(p.offsetSigmaLsb, 0.3);
  EXPECT_DOUBLE_EQ(p.gainSigma, 0.01);
  EXPECT_DOUBLE_EQ(p.inlLsb, 0.5);
  EXPECT_EQ(p.energyModel, AdcEnergyModel::Table);
  EXPECT_NEAR(p.waldenFomJ, 2e-15, 1e-27);
  ConfigReader s(YAML::Load("type: sar\nbits: 10\nconversion_cycles: 4"), "adc");
  EXPECT_EQ(AdcCore(AdcParams::fromConfig(s)).cyclesPerConversion(), 4);  // override wins
}

TEST(ConvertersConfigTest, AdcBadValuesNameTheKey) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"type: pipelined", "chip.tile.array.adc.type"},
      {"range: auto", "chip.tile.array.adc.range"},
      {"range: fixed", "chip.tile.array.adc.full_scale_value"},  // fixed needs a value
      {"range: fixed\nfull_scale_value: 0", "chip.tile.array.adc.full_scale_value"},
      {"full_scale_value: -1", "chip.tile.array.adc.full_scale_value"},
      {"calibration_percentile: 101", "chip.tile.array.adc.calibration_percentile"},
      {"calibration_percentile: 10", "chip.tile.array.adc.calibration_percentile"},
      {"offset_sigma_lsb: -0.1", "chip.tile.array.adc.offset_sigma_lsb"},
      {"gain_sigma: 0.9", "chip.tile.array.adc.gain_sigma"},
      {"inl_lsb: many", "chip.tile.array.adc.inl_lsb"},
      {"energy_model: murmann", "chip.tile.array.adc.energy_model"},
      {"walden_fom: 6.1", "chip.tile.array.adc.walden_fom"},
      {"conversion_cycles: -1", "chip.tile.array.adc.conversion_cycles"},
      {"typ: sar", "chip.tile.array.adc.typ"},
  };
  for (const auto& [yaml, key] : cases) {
    const std::string msg = configErrorOf(yaml, false);
    EXPECT_NE(msg.find(key), std::string::npos) << yaml << " -> '" << msg << "'";
  }
}

}  // namespace
}  // namespace mxsim
