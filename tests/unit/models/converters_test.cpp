// Tests for the DAC and ADC functional cores (models/converters): level counts, quantisation error bounds,
// clipping, grid invariance, sign symmetry and the cycle rules, with expected values derived by hand or by
// an independent double-precision re-implementation of the contract.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "models/converters/adc.h"
#include "models/converters/dac.h"
#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

RowMatrix rowOf(const std::vector<float>& v) {
  RowMatrix m(1, static_cast<Eigen::Index>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) m(0, static_cast<Eigen::Index>(i)) = v[i];
  return m;
}

DacCore makeDac(int bits, int cycles = 1) {
  DacParams p;
  p.bits = bits;
  p.cycles = cycles;
  return DacCore(p);
}

AdcCore makeAdc(int bits, int perArray = 8, int conversionCycles = 1) {
  AdcParams p;
  p.bits = bits;
  p.perArray = perArray;
  p.conversionCycles = conversionCycles;
  return AdcCore(p);
}

// Float results of a rounding chain may differ from the exact grid value by an ulp or two; grid steps are
// ≥ 1/65535 ≈ 1.5e-5, so this slack cannot hide a wrong level.
constexpr float kUlpSlack = 3e-7f;

// ---------------------------------------------------------------------------------------------------
// DAC

TEST(DacTest, LevelsAreTwoToTheBitsMinusOne) {
  EXPECT_EQ(makeDac(1).levels(), 1);
  EXPECT_EQ(makeDac(2).levels(), 3);
  EXPECT_EQ(makeDac(4).levels(), 15);
  EXPECT_EQ(makeDac(8).levels(), 255);
  EXPECT_EQ(makeDac(16).levels(), 65535);
}

TEST(DacTest, QuantisationErrorAtMostHalfAStepAndOnTheGrid) {
  Rng rng(streamKey(11, {1}));
  for (int bits : {1, 3, 8, 12}) {
    const DacCore dac = makeDac(bits);
    const double L = (1 << bits) - 1;
    for (bool signedInput : {true, false}) {
      // A dense sweep over the valid range plus random points.
      std::vector<float> xs;
      for (int i = 0; i <= 4000; ++i) xs.push_back(static_cast<float>((signedInput ? -1.0 : 0.0) +
                                                                      (signedInput ? 2.0 : 1.0) * i / 4000.0));
      for (int i = 0; i < 2000; ++i) {
        const double u = rng.uniform();
        xs.push_back(static_cast<float>(signedInput ? 2 * u - 1 : u));
      }
      RowMatrix q = rowOf(xs);
      dac.convert(q, signedInput);
      for (size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i], y = q(0, static_cast<Eigen::Index>(i));
        ASSERT_LE(std::fabs(y - x), 0.5 / L + kUlpSlack) << "bits=" << bits << " x=" << x << " -> " << y;
        const double code = y * L;
        ASSERT_NEAR(code, std::round(code), 1e-3) << "bits=" << bits << " x=" << x << " -> " << y << " off-grid";
      }
    }
  }
}

TEST(DacTest, ClipsSignedToPlusMinusOne) {
  const DacCore dac = makeDac(8);
  RowMatrix q = rowOf({1.7f, -3.0f, 1.0f, -1.0f, 100.0f});
  dac.convert(q, true);
  EXPECT_NEAR(q(0, 0), 1.0f, kUlpSlack);
  EXPECT_NEAR(q(0, 1), -1.0f, kUlpSlack);
  EXPECT_NEAR(q(0, 2), 1.0f, kUlpSlack);
  EXPECT_NEAR(q(0, 3), -1.0f, kUlpSlack);
  EXPECT_NEAR(q(0, 4), 1.0f, kUlpSlack);
}

TEST(DacTest, UnsignedClipsNegativesToZeroAndLargeToOne) {
  const DacCore dac = makeDac(8);
  RowMatrix q = rowOf({-0.4f, -1.0f, -1e-3f, 2.0f, 0.0f});
  dac.convert(q, false);
  EXPECT_EQ(q(0, 0), 0.0f);
  EXPECT_EQ(q(0, 1), 0.0f);
  EXPECT_EQ(q(0, 2), 0.0f);
  EXPECT_NEAR(q(0, 3), 1.0f, kUlpSlack);
  EXPECT_EQ(q(0, 4), 0.0f);
}

TEST(DacTest, ValuesOnTheGridAreUnchanged) {
  for (int bits : {2, 5, 8}) {
    const DacCore dac = makeDac(bits);
    const int L = (1 << bits) - 1;
    std::vector<float> xs;
    for (int k = -L; k <= L; ++k) xs.push_back(static_cast<float>(static_cast<double>(k) / L));
    RowMatrix q = rowOf(xs);
    dac.convert(q, true);
    for (int k = -L; k <= L; ++k) {
      EXPECT_NEAR(q(0, k + L), static_cast<double>(k) / L, kUlpSlack) << "bits=" << bits << " k=" << k;
    }
  }
}

TEST(DacTest, SignedConversionIsSymmetric) {
  // The contract rounds |x| (half away from zero), so convert(−x) = −convert(x), ties included.
  const DacCore dac = makeDac(3);  // L = 7: ties at (k + 0.5)/7
  std::vector<float> xs;
  for (int k = 0; k < 7; ++k) xs.push_back(static_cast<float>((k + 0.5) / 7.0));
  for (int i = 1; i < 100; ++i) xs.push_back(static_cast<float>(i / 100.0));
  RowMatrix pos = rowOf(xs);
  RowMatrix neg = -pos;
  dac.convert(pos, true);
  dac.convert(neg, true);
  for (Eigen::Index i = 0; i < pos.cols(); ++i) EXPECT_EQ(neg(0, i), -pos(0, i)) << "x=" << xs[i];
}

TEST(DacTest, CyclesPerVectorIsCyclesTimesPhases) {
  const DacCore dac = makeDac(8, 3);
  EXPECT_EQ(dac.cyclesPerVector(1), 3u);
  EXPECT_EQ(dac.cyclesPerVector(2), 6u);
  EXPECT_EQ(makeDac(8, 1).cyclesPerVector(2), 2u);
}

TEST(DacTest, FromConfigValidatesBits) {
  ConfigReader ok(YAML::Load("bits: 4\ncycles: 2"), "dac");
  const DacParams p = DacParams::fromConfig(ok);
  EXPECT_EQ(p.bits, 4);
  EXPECT_EQ(p.cycles, 2);
  for (const char* bad : {"bits: 0", "bits: 17", "cycles: 0", "bitz: 4"}) {
    ConfigReader r(YAML::Load(bad), "dac");
    EXPECT_THROW(DacParams::fromConfig(r), ConfigError) << bad;
  }
}

// ---------------------------------------------------------------------------------------------------
// ADC

TEST(AdcTest, LevelsPerSignAreTwoToBitsMinusOneMinusOne) {
  EXPECT_EQ(makeAdc(2).levelsPerSign(), 1);
  EXPECT_EQ(makeAdc(4).levelsPerSign(), 7);
  EXPECT_EQ(makeAdc(8).levelsPerSign(), 127);
  EXPECT_EQ(makeAdc(16).levelsPerSign(), 32767);
}

TEST(AdcTest, ClipsToFullScale) {
  const AdcCore adc = makeAdc(8);
  const float fs = 3.5f;
  RowMatrix p = rowOf({10.0f, -10.0f, 3.6f, -3.5f, 1e9f});
  adc.convert(p, fs);
  EXPECT_NEAR(p(0, 0), fs, 1e-6);
  EXPECT_NEAR(p(0, 1), -fs, 1e-6);
  EXPECT_NEAR(p(0, 2), fs, 1e-6);
  EXPECT_NEAR(p(0, 3), -fs, 1e-6);
  EXPECT_NEAR(p(0, 4), fs, 1e-6);
}

TEST(AdcTest, ErrorAtMostHalfAStepAndOutputsAreMultiplesOfTheStep) {
  Rng rng(streamKey(12, {2}));
  for (int bits : {2, 4, 8, 12}) {
    for (float fs : {1.0f, 37.5f, 0.003f}) {
      const AdcCore adc = makeAdc(bits);
      const double L = (1 << (bits - 1)) - 1;
      const double step = fs / L;
      std::vector<float> xs;
      for (int i = 0; i <= 3000; ++i) xs.push_back(static_cast<float>(fs * (-1.0 + 2.0 * i / 3000.0)));
      for (int i = 0; i < 2000; ++i) xs.push_back(static_cast<float>(fs * (2 * rng.uniform() - 1)));
      RowMatrix q = rowOf(xs);
      adc.convert(q, fs);
      for (size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i], y = q(0, static_cast<Eigen::Index>(i));
        // Float arithmetic on values up to fs: allow a few ulps of fs on top of step/2.
        ASSERT_LE(std::fabs(y - x), 0.5 * step + 4e-7 * fs) << "bits=" << bits << " fs=" << fs << " x=" << x;
        const double k = y / step;
        ASSERT_NEAR(k, std::round(k), 1e-3) << "bits=" << bits << " fs=" << fs << " x=" << x << " -> " << y;
        ASSERT_LE(std::fabs(std::round(k)), L);
      }
    }
  }
}

TEST(AdcTest, UsesAllLevelsOfEachSign) {
  // A sweep over ±fullScale must reach every code −L … L (2L + 1 distinct outputs).
  const AdcCore adc = makeAdc(4);  // L = 7
  const float fs = 2.0f;
  std::vector<float> xs;
  for (int i = 0; i <= 1000; ++i) xs.push_back(static_cast<float>(fs * (-1.0 + 2.0 * i / 1000.0)));
  RowMatrix q = rowOf(xs);
  adc.convert(q, fs);
  std::vector<bool> seen(15, false);
  for (Eigen::Index i = 0; i < q.cols(); ++i) {
    const long k = std::lround(q(0, i) / (fs / 7.0));
    ASSERT_GE(k, -7);
    ASSERT_LE(k, 7);
    seen[static_cast<size_t>(k + 7)] = true;
  }
  for (int k = -7; k <= 7; ++k) EXPECT_TRUE(seen[static_cast<size_t>(k + 7)]) << "code " << k << " never produced";
}

TEST(AdcTest, CyclesPerVectorIsCeilColsOverPerArrayTimesConversionCycles) {
  const AdcCore a = makeAdc(8, 8, 1);
  EXPECT_EQ(a.cyclesPerVector(128), 16u);  // 128 / 8
  EXPECT_EQ(a.cyclesPerVector(1), 1u);
  EXPECT_EQ(a.cyclesPerVector(8), 1u);
  EXPECT_EQ(a.cyclesPerVector(9), 2u);
  EXPECT_EQ(a.cyclesPerVector(0), 0u);
  const AdcCore b = makeAdc(8, 3, 4);
  EXPECT_EQ(b.cyclesPerVector(10), 16u);  // ceil(10/3) = 4 conversions × 4 cycles
  EXPECT_EQ(b.cyclesPerVector(9), 12u);   // 3 × 4
  const AdcCore c = makeAdc(8, 128, 5);
  EXPECT_EQ(c.cyclesPerVector(128), 5u);
  EXPECT_EQ(c.cyclesPerVector(129), 10u);
}

TEST(AdcTest, FromConfigReadsRangeAndValidates) {
  ConfigReader ok(YAML::Load("bits: 6\nper_array: 4\nconversion_cycles: 2\nrange: full_scale"), "adc");
  const AdcParams p = AdcParams::fromConfig(ok);
  EXPECT_EQ(p.bits, 6);
  EXPECT_EQ(p.perArray, 4);
  EXPECT_EQ(p.conversionCycles, 2);
  EXPECT_EQ(p.range, AdcRange::FullScale);
  ConfigReader def(YAML::Node(), "adc");
  EXPECT_EQ(AdcParams::fromConfig(def).range, AdcRange::Calibrated);
  for (const char* bad : {"bits: 1", "bits: 17", "per_array: 0", "range: auto", "bitz: 8"}) {
    ConfigReader r(YAML::Load(bad), "adc");
    EXPECT_THROW(AdcParams::fromConfig(r), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace mxsim
