// Tests for the device-physics functions of models/noise/device_noise.h against the published aihwkit
// PCMLikeNoiseModel formulas (re-implemented here independently of the code under test) and hand-derived
// values, plus the validation done by DeviceNoiseParams::fromConfig.
//   programming σ(g) = 0.26348 + 1.9650·g − 1.1731·g² µS, g = G_T/Gmax, scaled by Gmax/25 µS
//   ν mean μ(g) = clamp(−0.0155·ln g + 0.0244, 0.049, 0.1);  σν(g) = clamp(−0.0125·ln g − 0.0059, 0.008, 0.045)
//   drift G(t) = G·((t + t0)/t0)^(−ν), t0 = 20 s
//   read σ = G·Qs·√(ln((t + t0 + t_read)/(2·t_read))), Qs = min(0.0088/g^0.65, 0.2), t_read = 250 ns
#include "models/noise/device_noise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/core/error.h"

namespace mxsim {
namespace {

constexpr double kGmax = 25e-6;
constexpr double kT0 = 20.0;

/// aihwkit's programming-noise polynomial in µS, evaluated at normalised g.
double pcmPolyMicroS(double g) { return 0.26348 + 1.9650 * g - 1.1731 * g * g; }

double clampTo(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

DeviceNoiseParams fromYaml(const char* yaml) {
  ConfigReader r(YAML::Load(yaml), "noise");
  return DeviceNoiseParams::fromConfig(r);
}

TEST(DeviceNoiseTest, PcmProgrammingSigmaEqualsPolynomial) {
  DeviceNoiseParams p;
  p.variation = VariationModel::Pcm;
  // Hand values of the polynomial: g = 0 → 0.26348; 0.25 → 0.26348 + 0.49125 − 0.07331875 = 0.68141125;
  // 0.5 → 0.26348 + 0.9825 − 0.293275 = 0.952705; 1 → 0.26348 + 1.9650 − 1.1731 = 1.05538 µS.
  const double g[4] = {0.0, 0.25, 0.5, 1.0};
  const double handMicroS[4] = {0.26348, 0.68141125, 0.952705, 1.05538};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(pcmPolyMicroS(g[i]), handMicroS[i], 1e-12) << "test's own polynomial at g=" << g[i];
    const double s = p.programmingSigmaS(g[i] * kGmax, kGmax, 0.0);
    EXPECT_NEAR(s, handMicroS[i] * 1e-6, 1e-12 * 1e-6) << "g=" << g[i];
  }
  // Gmax = 50 µS: the same g gives twice the σ (scaled by Gmax/25 µS).
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(p.programmingSigmaS(g[i] * 50e-6, 50e-6, 0.0), 2.0 * handMicroS[i] * 1e-6, 1e-17) << "g=" << g[i];
  }
  // Time does not matter without growth.
  EXPECT_DOUBLE_EQ(p.programmingSigmaS(0.5 * kGmax, kGmax, 3.15e7), p.programmingSigmaS(0.5 * kGmax, kGmax, 0.0));
}

TEST(DeviceNoiseTest, AbsoluteAndRelativeProgrammingSigma) {
  DeviceNoiseParams p;
  p.sigma = 0.04;
  p.variation = VariationModel::Absolute;
  // σ·Gmax = 0.04 · 25 µS = 1 µS whatever the target.
  EXPECT_NEAR(p.programmingSigmaS(0.0, kGmax, 0.0), 1e-6, 1e-18);
  EXPECT_NEAR(p.programmingSigmaS(3e-6, kGmax, 0.0), 1e-6, 1e-18);
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 100.0), 1e-6, 1e-18);
  p.variation = VariationModel::Relative;
  // σ·G: 0.04 · 3 µS = 0.12 µS, 0.04 · 25 µS = 1 µS, 0 at G = 0.
  EXPECT_EQ(p.programmingSigmaS(0.0, kGmax, 0.0), 0.0);
  EXPECT_NEAR(p.programmingSigmaS(3e-6, kGmax, 0.0), 0.12e-6, 1e-18);
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 0.0), 1e-6, 1e-18);
}

TEST(DeviceNoiseTest, SigmaGrowthPerDecade) {
  DeviceNoiseParams p;
  p.variation = VariationModel::Absolute;
  p.sigma = 0.04;  // σ0 = 1 µS at Gmax = 25 µS
  p.sigmaGrowthPerDecade = 0.3;
  // Growth factor 1 + a·log10((t + t0)/t0): t = 0 → 1; t = 9·t0 → 1 + a; t = 99·t0 → 1 + 2a.
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 0.0), 1e-6, 1e-18);
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 9 * kT0), 1.3e-6, 1e-18);
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 99 * kT0), 1.6e-6, 1e-18);
  // Growth multiplies every model: relative at G = 5 µS, t = 9·t0 → 0.04·5 µS·1.3 = 0.26 µS.
  p.variation = VariationModel::Relative;
  EXPECT_NEAR(p.programmingSigmaS(5e-6, kGmax, 9 * kT0), 0.26e-6, 1e-18);
  // PCM at g = 0.5, t = 9·t0: 0.952705 µS · 1.3.
  p.variation = VariationModel::Pcm;
  EXPECT_NEAR(p.programmingSigmaS(0.5 * kGmax, kGmax, 9 * kT0), 0.952705e-6 * 1.3, 1e-18);
  // t0 is the configured one: t0 = 2 s, t = 18 s is one decade.
  p.t0Seconds = 2.0;
  p.variation = VariationModel::Absolute;
  EXPECT_NEAR(p.programmingSigmaS(kGmax, kGmax, 18.0), 1.3e-6, 1e-18);
}

TEST(DeviceNoiseTest, PcmDriftExponentMeanAndStdFollowClampedFormula) {
  DeviceNoiseParams p;
  p.drift = DriftModel::Pcm;
  auto mu = [](double g) { return clampTo(-0.0155 * std::log(g) + 0.0244, 0.049, 0.1); };
  auto sd = [](double g) { return clampTo(-0.0125 * std::log(g) - 0.0059, 0.008, 0.045); };
  for (double g : {1e-3, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0}) {
    EXPECT_NEAR(p.nuMeanFor(g), mu(g), 1e-15) << "g=" << g;
    EXPECT_NEAR(p.nuStdFor(g), sd(g), 1e-15) << "g=" << g;
  }
  // Hand values, so the test's formula is itself checked. Small g clamps at the top:
  // g = 1e-3: −0.0155·ln(1e-3) + 0.0244 = 0.13147 → 0.1; −0.0125·ln(1e-3) − 0.0059 = 0.08045 → 0.045.
  EXPECT_DOUBLE_EQ(p.nuMeanFor(1e-3), 0.1);
  EXPECT_DOUBLE_EQ(p.nuStdFor(1e-3), 0.045);
  // Large g clamps at the bottom: g = 0.5: 0.03514 → 0.049, 0.00276 → 0.008; g = 1: 0.0244 → 0.049, −0.0059 → 0.008.
  EXPECT_DOUBLE_EQ(p.nuMeanFor(0.5), 0.049);
  EXPECT_DOUBLE_EQ(p.nuStdFor(0.5), 0.008);
  EXPECT_DOUBLE_EQ(p.nuMeanFor(1.0), 0.049);
  EXPECT_DOUBLE_EQ(p.nuStdFor(1.0), 0.008);
  // Unclamped at g = 0.05 (ln 0.05 = −2.995732): μ = 0.046434 + 0.0244 = 0.070834, σν = 0.037447 − 0.0059 = 0.031547.
  EXPECT_NEAR(p.nuMeanFor(0.05), 0.0708339, 1e-6);
  EXPECT_NEAR(p.nuStdFor(0.05), 0.0315467, 1e-6);
  // g = 0 (a device at zero conductance) must give finite, top-clamped values.
  EXPECT_DOUBLE_EQ(p.nuMeanFor(0.0), 0.1);
  EXPECT_DOUBLE_EQ(p.nuStdFor(0.0), 0.045);
}

TEST(DeviceNoiseTest, ConstantDriftExponentIgnoresConductance) {
  DeviceNoiseParams p;
  p.drift = DriftModel::Constant;
  p.nuMean = 0.07;
  p.nuStd = 0.02;
  for (double g : {0.0, 1e-3, 0.5, 1.0}) {
    EXPECT_EQ(p.nuMeanFor(g), 0.07);
    EXPECT_EQ(p.nuStdFor(g), 0.02);
  }
}

TEST(DeviceNoiseTest, DriftFactorIsPowerLawFromT0) {
  DeviceNoiseParams p;
  p.drift = DriftModel::Constant;
  // ((t + t0)/t0)^(−ν): t = 0 → 1; t = 9·t0, ν = 1 → 1/10; t = 99·t0, ν = 0.5 → 1/10.
  EXPECT_EQ(p.driftFactor(0.05, 0.0), 1.0);
  EXPECT_NEAR(p.driftFactor(1.0, 9 * kT0), 0.1, 1e-15);
  EXPECT_NEAR(p.driftFactor(0.5, 99 * kT0), 0.1, 1e-15);
  // One hour, ν = 0.05: (3620/20)^−0.05 = 181^−0.05 = exp(−0.05·5.198497) = 0.771110.
  EXPECT_NEAR(p.driftFactor(0.05, 3600.0), 0.771110, 1e-6);
  const double year = 365.25 * 86400.0;
  EXPECT_NEAR(p.driftFactor(0.06, year), std::pow((year + kT0) / kT0, -0.06), 1e-15);
  p.drift = DriftModel::Pcm;
  EXPECT_NEAR(p.driftFactor(0.05, 3600.0), 0.771110, 1e-6);
  // No drift model: no drift whatever ν and t.
  p.drift = DriftModel::None;
  EXPECT_EQ(p.driftFactor(0.05, year), 1.0);
}

TEST(DeviceNoiseTest, PcmReadSigmaFollowsOneOverFFormula) {
  DeviceNoiseParams p;
  p.read = ReadNoiseModel::Pcm;
  const double tRead = 250e-9;
  auto expected = [&](double gS, double gNorm, double t) {
    const double qs = std::min(0.0088 / std::pow(gNorm, 0.65), 0.2);
    return gS * qs * std::sqrt(std::log((t + kT0 + tRead) / (2.0 * tRead)));
  };
  for (double gNorm : {0.05, 0.2, 0.4, 1.0}) {
    for (double t : {0.0, 3600.0, 3.15e7}) {
      const double gS = 0.9 * gNorm * kGmax;  // G after drift below its target
      EXPECT_NEAR(p.readSigmaS(gS, gNorm, kGmax, t), expected(gS, gNorm, t), 1e-12 * expected(gS, gNorm, t))
          << "g=" << gNorm << " t=" << t;
    }
  }
  // Hand value: G = 10 µS, g = 0.4, t = 3600 s: 0.4^0.65 = 0.551238, Qs = 0.0088/0.551238 = 0.0159641;
  // ln((3620 + 2.5e-7)/5e-7) = ln(7.24e9) = 22.702887, √ = 4.764755; σ = 10 µS·0.0159641·4.764755 = 7.60649e-7 S.
  EXPECT_NEAR(p.readSigmaS(10e-6, 0.4, kGmax, 3600.0), 7.60649e-7, 1e-12);
  // Qs saturates at 0.2 for small g: g = 1e-4 → 0.0088/1e-4^0.65 = 3.50 > 0.2.
  EXPECT_NEAR(p.readSigmaS(1e-9, 1e-4, kGmax, 0.0), 1e-9 * 0.2 * std::sqrt(std::log((kT0 + tRead) / (2 * tRead))),
              1e-21);
  // Zero conductance reads without noise.
  EXPECT_EQ(p.readSigmaS(0.0, 0.0, kGmax, 10.0), 0.0);
}

TEST(DeviceNoiseTest, AbsoluteAndNoReadSigma) {
  DeviceNoiseParams p;
  p.read = ReadNoiseModel::Absolute;
  p.readSigma = 0.02;
  // σ·Gmax = 0.5 µS for any G, target and time.
  EXPECT_NEAR(p.readSigmaS(0.0, 0.0, kGmax, 0.0), 0.5e-6, 1e-18);
  EXPECT_NEAR(p.readSigmaS(20e-6, 0.8, kGmax, 1e6), 0.5e-6, 1e-18);
  p.read = ReadNoiseModel::None;
  EXPECT_EQ(p.readSigmaS(20e-6, 0.8, kGmax, 1e6), 0.0);
}

TEST(DeviceNoiseTest, FromConfigReadsEverySection) {
  const DeviceNoiseParams p = fromYaml(
      "time: 1 h\n"
      "variation: {model: pcm, distribution: lognormal, growth_per_decade: 0.2}\n"
      "drift: {model: constant, nu_mean: 0.06, nu_std: 0.02, t0: 10 s, compensation: true}\n"
      "read: {model: absolute, sigma: 0.01, t_read: 100 ns}\n"
      "faults: {stuck_at_gmin: 0.01, stuck_at_gmax: 0.02}\n");
  EXPECT_DOUBLE_EQ(p.timeSeconds, 3600.0);
  EXPECT_EQ(p.variation, VariationModel::Pcm);
  EXPECT_EQ(p.distribution, VariationDistribution::Lognormal);
  EXPECT_DOUBLE_EQ(p.sigmaGrowthPerDecade, 0.2);
  EXPECT_EQ(p.drift, DriftModel::Constant);
  EXPECT_DOUBLE_EQ(p.nuMean, 0.06);
  EXPECT_DOUBLE_EQ(p.nuStd, 0.02);
  EXPECT_DOUBLE_EQ(p.t0Seconds, 10.0);
  EXPECT_TRUE(p.driftCompensation);
  EXPECT_EQ(p.read, ReadNoiseModel::Absolute);
  EXPECT_DOUBLE_EQ(p.readSigma, 0.01);
  EXPECT_NEAR(p.tReadSeconds, 100e-9, 1e-21);
  EXPECT_DOUBLE_EQ(p.stuckAtGminRate, 0.01);
  EXPECT_DOUBLE_EQ(p.stuckAtGmaxRate, 0.02);

  // Empty section: the documented defaults (aihwkit constants for the PCM polynomial, t0, t_read).
  const DeviceNoiseParams d = fromYaml("{}");
  EXPECT_EQ(d.variation, VariationModel::Absolute);
  EXPECT_EQ(d.distribution, VariationDistribution::Normal);
  EXPECT_DOUBLE_EQ(d.sigma, 0.03);
  EXPECT_NEAR(d.pcmC0S, 0.26348e-6, 1e-18);
  EXPECT_NEAR(d.pcmC1S, 1.9650e-6, 1e-18);
  EXPECT_NEAR(d.pcmC2S, -1.1731e-6, 1e-18);
  EXPECT_EQ(d.drift, DriftModel::None);
  EXPECT_DOUBLE_EQ(d.t0Seconds, 20.0);
  EXPECT_EQ(d.read, ReadNoiseModel::None);
  EXPECT_NEAR(d.tReadSeconds, 250e-9, 1e-21);
  EXPECT_EQ(d.stuckAtGminRate + d.stuckAtGmaxRate, 0.0);
}

TEST(DeviceNoiseTest, FromConfigRejectsLognormalAbsolute) {
  EXPECT_THROW(fromYaml("variation: {model: absolute, distribution: lognormal}"), ConfigError);
  EXPECT_THROW(fromYaml("variation: {distribution: lognormal}"), ConfigError);  // absolute is the default
  EXPECT_NO_THROW(fromYaml("variation: {model: relative, distribution: lognormal}"));
  EXPECT_NO_THROW(fromYaml("variation: {model: pcm, distribution: lognormal}"));
}

TEST(DeviceNoiseTest, FromConfigRejectsStuckRatesAboveOne) {
  EXPECT_THROW(fromYaml("faults: {stuck_at_gmin: 0.6, stuck_at_gmax: 0.5}"), ConfigError);
  EXPECT_NO_THROW(fromYaml("faults: {stuck_at_gmin: 0.5, stuck_at_gmax: 0.5}"));  // exactly 1 is allowed
  EXPECT_THROW(fromYaml("faults: {stuck_at_gmax: 1.5}"), ConfigError);            // each rate ≤ 1
}

TEST(DeviceNoiseTest, FromConfigRejectsUnknownKeysAndChoices) {
  EXPECT_THROW(fromYaml("variation: {sigmaa: 0.1}"), ConfigError);
  EXPECT_THROW(fromYaml("drift: {nu: 0.1}"), ConfigError);
  EXPECT_THROW(fromYaml("read: {model: absolute, sigma_abs: 0.1}"), ConfigError);
  EXPECT_THROW(fromYaml("faults: {stuck_at_zero: 0.1}"), ConfigError);
  EXPECT_THROW(fromYaml("variation: {model: gaussian}"), ConfigError);
  EXPECT_THROW(fromYaml("drift: {model: linear}"), ConfigError);
  EXPECT_THROW(fromYaml("read: {model: pink}"), ConfigError);
  EXPECT_THROW(fromYaml("drift: {t0: 20}"), ConfigError);  // a time needs a unit
}

}  // namespace
}  // namespace mxsim
