// Contract: static device-to-device programming variation of crossbar conductances. Drawn once per chip
// instance from its seed (never per read): G' = max(0, G + σ_abs·ε) with σ_abs = sigma·Gmax ("absolute")
// or σ_abs = sigma·G ("relative"), ε ~ N(0, 1) per device.
#pragma once
#include "sim/core/config.h"

namespace mxsim {

enum class VariationMode { Absolute, Relative };

struct DeviceNoiseParams {
  // aihwkit's PCM programming-noise polynomial gives σ = 0.26 + 1.97g − 1.17g² µS at g = G/Gmax with
  // Gmax = 25 µS, i.e. between 1 % and 4.2 % of Gmax; 3 % sits in that band.
  static constexpr double kDefaultSigma = 0.03;
  VariationMode mode = VariationMode::Absolute;
  double sigma = kDefaultSigma;

  static DeviceNoiseParams fromConfig(ConfigReader& r);
};

}  // namespace mxsim
