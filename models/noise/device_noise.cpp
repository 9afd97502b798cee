#include "models/noise/device_noise.h"

namespace mxsim {

DeviceNoiseParams DeviceNoiseParams::fromConfig(ConfigReader& r) {
  DeviceNoiseParams p;
  const std::string mode = r.getChoice("mode", "absolute", {"absolute", "relative"},
                                       "σ is a fraction of Gmax (absolute) or of each device's G (relative)");
  p.mode = mode == "absolute" ? VariationMode::Absolute : VariationMode::Relative;
  p.sigma = r.getReal("sigma", kDefaultSigma, 0.0, 1.0,
                      "standard deviation of static programming variation (fraction, see mode)",
                      {"aihwkit PCM programming noise: 1-4.2 % of Gmax (Nandakumar et al. 2019 fit)"});
  r.finish();
  return p;
}

}  // namespace mxsim
