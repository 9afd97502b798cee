// Contract: the device-level non-idealities of crossbar conductances, as parameters and pure functions
// of a device's target conductance and time. Static effects (programming variation, drift exponent,
// stuck-at faults) are drawn once per chip instance; read noise is drawn fresh on every MVM by the array.
// Time t is time since programming; effects that age use t + t0 (aihwkit's convention).
#pragma once
#include <string>

#include "sim/core/config.h"

namespace mxsim {

enum class VariationModel { Absolute, Relative, Pcm };
enum class VariationDistribution { Normal, Lognormal };
enum class DriftModel { None, Constant, Pcm };
enum class ReadNoiseModel { None, Absolute, Pcm };

struct DeviceNoiseParams {
  // --- programming (device-to-device) variation, static per chip instance
  // aihwkit's PCM programming-noise polynomial gives 1-4.2 % of Gmax; 3 % sits in that band.
  static constexpr double kDefaultSigma = 0.03;
  VariationModel variation = VariationModel::Absolute;
  VariationDistribution distribution = VariationDistribution::Normal;
  double sigma = kDefaultSigma;  // fraction of Gmax (absolute) or of G (relative)
  // Nandakumar et al. 2019 fit used by aihwkit: σ(g) = c0 + c1·g + c2·g² [S] at g = G_T/Gmax, Gmax = 25 µS.
  double pcmC0S = 0.26348e-6, pcmC1S = 1.9650e-6, pcmC2S = -1.1731e-6;
  double sigmaGrowthPerDecade = 0.0;  // σ(t) = σ0·(1 + a·log10((t + t0)/t0)): transistor/RRAM aging

  // --- conductance drift G(t) = G·((t + t0)/t0)^(−ν), ν per device
  DriftModel drift = DriftModel::None;
  double nuMean = 0.05, nuStd = 0.01;  // constant model; PCM: ν ≈ 0.05-0.06, σν 0.008-0.023
  double t0Seconds = 20.0;             // aihwkit: t0 = 20 s after programming
  bool driftCompensation = false;      // global per-layer rescale from a known reference read

  // --- read noise, fresh on every MVM
  ReadNoiseModel read = ReadNoiseModel::None;
  double readSigma = 0.0;          // absolute model: fraction of Gmax per device
  double tReadSeconds = 250e-9;    // PCM 1/f model: read pulse duration (aihwkit)

  // --- stuck-at faults, static per chip instance
  double stuckAtGminRate = 0.0, stuckAtGmaxRate = 0.0;

  /// Time since programming at which the chip is evaluated (the run's --times sweep overrides it).
  double timeSeconds = 0.0;

  static DeviceNoiseParams fromConfig(ConfigReader& noiseSection);

  // --- pure device physics (g = G_T/Gmax ∈ [0, 1])
  /// σ of programming variation [S] for a device of target conductance gTargetS at time t.
  double programmingSigmaS(double gTargetS, double gMaxS, double tSeconds) const;
  /// Mean and σ of the drift exponent for a device of normalised target g.
  double nuMeanFor(double g) const;
  double nuStdFor(double g) const;
  /// Drift factor ((t + t0)/t0)^(−ν).
  double driftFactor(double nu, double tSeconds) const;
  /// σ of one read of a device [S] at time t (G is its conductance then, g its normalised target).
  double readSigmaS(double gS, double gTargetNorm, double gMaxS, double tSeconds) const;
};

}  // namespace mxsim
