#include "models/noise/device_noise.h"

#include <algorithm>
#include <cmath>

#include "sim/core/error.h"

namespace mxsim {

DeviceNoiseParams DeviceNoiseParams::fromConfig(ConfigReader& r) {
  DeviceNoiseParams p;
  p.timeSeconds = r.getQuantity("time", Dimension::Time, p.timeSeconds, 0.0, 1e10,
                                "time since programming at which the chip is evaluated (run --times sweeps it)");

  ConfigReader v = r.child("variation");
  p.variation = v.getEnum<VariationModel>(
      "model", p.variation,
      {{"absolute", VariationModel::Absolute}, {"relative", VariationModel::Relative}, {"pcm", VariationModel::Pcm}},
      "programming variation: σ·Gmax (absolute), σ·G (relative), or aihwkit's "
      "PCM polynomial σ(g) = c0 + c1·g + c2·g²");
  p.distribution = v.getEnum<VariationDistribution>(
      "distribution", p.distribution,
      {{"normal", VariationDistribution::Normal}, {"lognormal", VariationDistribution::Lognormal}},
      "normal: G + σ·ε; lognormal: G·exp(s·ε − s²/2) with s = σ/G (mean-preserving)");
  p.sigma = v.getReal("sigma", p.sigma, 0.0, 1.0,
                      "programming variation σ as a fraction (of Gmax or of G, see model); unused by pcm",
                      {"aihwkit PCM programming noise: 1-4.2 % of Gmax (Nandakumar et al. 2019 fit)"});
  p.pcmC0S = v.getQuantity("pcm_c0", Dimension::Conductance, p.pcmC0S, -1e-3, 1e-3, "PCM polynomial c0",
                           {"aihwkit PCMLikeNoiseModel: 0.26348 uS (Nandakumar et al. 2019)"});
  p.pcmC1S = v.getQuantity("pcm_c1", Dimension::Conductance, p.pcmC1S, -1e-3, 1e-3, "PCM polynomial c1",
                           {"aihwkit PCMLikeNoiseModel: 1.9650 uS"});
  p.pcmC2S = v.getQuantity("pcm_c2", Dimension::Conductance, p.pcmC2S, -1e-3, 1e-3, "PCM polynomial c2",
                           {"aihwkit PCMLikeNoiseModel: -1.1731 uS"});
  p.sigmaGrowthPerDecade = v.getReal("growth_per_decade", p.sigmaGrowthPerDecade, 0.0, 10.0,
                                     "aging: σ(t) = σ0·(1 + a·log10((t + t0)/t0)); a per decade of time");
  v.finish();

  ConfigReader d = r.child("drift");
  p.drift = d.getEnum<DriftModel>(
      "model", p.drift, {{"none", DriftModel::None}, {"constant", DriftModel::Constant}, {"pcm", DriftModel::Pcm}},
      "conductance drift G·((t+t0)/t0)^(−ν): ν ~ N(nu_mean, nu_std) (constant) or "
      "aihwkit's PCM ν(g), σν(g)");
  p.nuMean = d.getReal("nu_mean", p.nuMean, 0.0, 1.0, "mean drift exponent (constant model)",
                       {"PCM: 0.05-0.06 (aihwkit; Le Gallo et al.)"});
  p.nuStd = d.getReal("nu_std", p.nuStd, 0.0, 1.0, "device-to-device σ of the drift exponent (constant model)",
                      {"PCM: 0.008-0.023 (aihwkit)"});
  p.t0Seconds = d.getQuantity("t0", Dimension::Time, p.t0Seconds, 1e-9, 1e6, "reference time of drift after programming",
                              {"aihwkit: t0 = 20 s"});
  p.driftCompensation = d.getBool("compensation", p.driftCompensation,
                                  "global drift compensation: rescale each layer's outputs by a known reference read");
  d.finish();

  ConfigReader rd = r.child("read");
  p.read = rd.getEnum<ReadNoiseModel>(
      "model", p.read,
      {{"none", ReadNoiseModel::None}, {"absolute", ReadNoiseModel::Absolute}, {"pcm", ReadNoiseModel::Pcm}},
      "read noise per MVM: σ·Gmax per device (absolute) or aihwkit's PCM 1/f model");
  p.readSigma = rd.getReal("sigma", p.readSigma, 0.0, 1.0, "absolute read noise σ per device, fraction of Gmax");
  p.tReadSeconds = rd.getQuantity("t_read", Dimension::Time, p.tReadSeconds, 1e-12, 1.0, "read pulse duration (1/f model)",
                                  {"aihwkit PCMLikeNoiseModel: 250 ns"});
  rd.finish();

  ConfigReader f = r.child("faults");
  p.stuckAtGminRate = f.getReal("stuck_at_gmin", p.stuckAtGminRate, 0.0, 1.0, "fraction of devices stuck at Gmin");
  p.stuckAtGmaxRate = f.getReal("stuck_at_gmax", p.stuckAtGmaxRate, 0.0, 1.0, "fraction of devices stuck at Gmax");
  f.finish();
  if (p.stuckAtGminRate + p.stuckAtGmaxRate > 1.0) {
    throw ConfigError(f.path() + ": stuck_at_gmin + stuck_at_gmax exceeds 1");
  }
  if (p.distribution == VariationDistribution::Lognormal && p.variation == VariationModel::Absolute) {
    throw ConfigError(v.path() +
                      ".distribution: lognormal needs model relative or pcm (a lognormal spread scales "
                      "with G)");
  }
  return p;
}

double DeviceNoiseParams::programmingSigmaS(double gTargetS, double gMaxS, double tSeconds) const {
  double s = 0.0;
  switch (variation) {
    case VariationModel::Absolute:
      s = sigma * gMaxS;
      break;
    case VariationModel::Relative:
      s = sigma * gTargetS;
      break;
    case VariationModel::Pcm: {
      const double g = gTargetS / gMaxS;
      s = std::max(0.0, pcmC0S + pcmC1S * g + pcmC2S * g * g) * (gMaxS / 25e-6);
      break;
    }
  }
  if (sigmaGrowthPerDecade > 0.0) s *= 1.0 + sigmaGrowthPerDecade * std::log10((tSeconds + t0Seconds) / t0Seconds);
  return s;
}

double DeviceNoiseParams::nuMeanFor(double g) const {
  if (drift == DriftModel::Constant) return nuMean;
  const double lg = std::log(std::max(g, 1e-7));
  return std::clamp(-0.0155 * lg + 0.0244, 0.049, 0.1);
}

double DeviceNoiseParams::nuStdFor(double g) const {
  if (drift == DriftModel::Constant) return nuStd;
  const double lg = std::log(std::max(g, 1e-7));
  return std::clamp(-0.0125 * lg - 0.0059, 0.008, 0.045);
}

double DeviceNoiseParams::driftFactor(double nu, double tSeconds) const {
  if (drift == DriftModel::None || tSeconds <= 0.0) return 1.0;
  return std::pow((tSeconds + t0Seconds) / t0Seconds, -nu);
}

double DeviceNoiseParams::readSigmaS(double gS, double gTargetNorm, double gMaxS, double tSeconds) const {
  switch (read) {
    case ReadNoiseModel::None:
      return 0.0;
    case ReadNoiseModel::Absolute:
      return readSigma * gMaxS;
    case ReadNoiseModel::Pcm: {
      const double qs = std::min(0.0088 / std::pow(std::max(gTargetNorm, 1e-7), 0.65), 0.2);
      const double t = tSeconds + t0Seconds;
      return gS * qs * std::sqrt(std::max(0.0, std::log((t + tReadSeconds) / (2.0 * tReadSeconds))));
    }
  }
  return 0.0;
}

}  // namespace mxsim
