// Contract: crossbar functional core. Weights normalised to [-1, 1] map to a differential conductance
// pair G± = Gmin + (Gmax − Gmin)·max(±w, 0); programming adds static variation per device; the array
// computes Σ_i x_i (G+_i − G−_i) / (Gmax − Gmin), i.e. an MVM with the effective normalised weights.
#pragma once
#include <cstdint>

#include "models/noise/device_noise.h"
#include "sim/core/config.h"
#include "sim/core/rng.h"
#include "sim/core/types.h"

namespace mxsim {

struct CrossbarParams {
  static constexpr int kDefaultRows = 128;  // ISAAC uses 128×128 arrays (Shafiee et al., ISCA 2016)
  int rows = kDefaultRows;
  int cols = kDefaultRows;
  int readCycles = 10;    // integrate-and-sample time of one MVM; ISAAC: ~100 ns per array read step
  double gMinS = 0.1e-6;  // low-conductance state
  double gMaxS = 25e-6;   // aihwkit PCM model: Gmax = 25 µS

  static CrossbarParams fromConfig(ConfigReader& r);
};

class CrossbarCore {
 public:
  CrossbarCore(const CrossbarParams& p, const DeviceNoiseParams& noise);
  /// Program normalised weights (any block up to rows × cols) and return the effective normalised weights
  /// the array multiplies by. `rng` is the chip instance's stream for this block; unused when σ = 0.
  ColMatrix program(const Eigen::Ref<const ColMatrix>& wNorm, Rng& rng) const;
  /// Devices per weight (2: differential pair).
  static constexpr int kDevicesPerWeight = 2;
  std::uint64_t cyclesPerVector(int phases) const { return static_cast<std::uint64_t>(m_p.readCycles) * phases; }
  const CrossbarParams& params() const { return m_p; }

 private:
  CrossbarParams m_p;
  DeviceNoiseParams m_noise;
};

}  // namespace mxsim
