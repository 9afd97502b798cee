// Contract: the papers' abstraction of analog non-ideality as additive Gaussian noise on each analog
// layer's output: y' = y + σ_l·ε, ε ~ N(0, 1) independent per element and per inference. σ_l is `sigma`
// itself (absolute, in the units of the activations), or sigma × the layer's output range measured on
// the calibration images: max |y| (relative_max) or the standard deviation of y (relative_std). A per-layer
// map overrides `sigma` by layer name. The training tools inject exactly this noise (docs/models.md).
#pragma once
#include <map>
#include <string>

#include "sim/core/config.h"

namespace mxsim {

enum class ActivationNoiseMode { None, Absolute, RelativeMax, RelativeStd };

struct ActivationNoiseParams {
  ActivationNoiseMode mode = ActivationNoiseMode::None;
  double sigma = 0.0;
  std::map<std::string, double> perLayer;  // layer name -> sigma

  double sigmaFor(const std::string& layer) const {
    auto it = perLayer.find(layer);
    return it == perLayer.end() ? sigma : it->second;
  }
  /// Absolute σ of layer `layer` given its calibration statistics.
  double absoluteSigma(const std::string& layer, double maxAbs, double stdDev) const {
    switch (mode) {
      case ActivationNoiseMode::None:
        return 0.0;
      case ActivationNoiseMode::Absolute:
        return sigmaFor(layer);
      case ActivationNoiseMode::RelativeMax:
        return sigmaFor(layer) * maxAbs;
      case ActivationNoiseMode::RelativeStd:
        return sigmaFor(layer) * stdDev;
    }
    return 0.0;
  }
  static ActivationNoiseParams fromConfig(ConfigReader& r) {
    ActivationNoiseParams p;
    p.mode = r.getEnum<ActivationNoiseMode>("mode", "none",
                                            {{"none", ActivationNoiseMode::None},
                                             {"absolute", ActivationNoiseMode::Absolute},
                                             {"relative_max", ActivationNoiseMode::RelativeMax},
                                             {"relative_std", ActivationNoiseMode::RelativeStd}},
                                            "additive Gaussian on analog layer outputs: σ absolute or relative to the "
                                            "layer's output max |y| or std over calibration images",
                                            {"Wang et al. arXiv:2501.14531 (absolute); Azizi et al. arXiv:2409.18553"});
    p.sigma = r.getReal("sigma", 0.0, 0.0, 1e3, "activation-noise σ for every analog layer (see mode)");
    p.perLayer = r.getRealMap("layers", 0.0, 1e3, "per-layer σ overrides, keyed by layer (ONNX node) name");
    r.finish();
    return p;
  }
};

}  // namespace mxsim
