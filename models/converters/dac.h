// Contract: DAC functional core and parameters. Inputs arrive normalised to [-1, 1] (the digital side
// divides each image's layer input by its max |x|); the DAC drives |x| quantised to 2^bits − 1 levels.
// Signed inputs use two phases (positive part, then negative part), each a full pass through the array.
#pragma once
#include <cstdint>

#include "sim/core/config.h"
#include "sim/core/types.h"

namespace mxsim {

struct DacParams {
  static constexpr int kDefaultBits = 8;
  int bits = kDefaultBits;  // input resolution per phase
  int cycles = 1;           // clock cycles to settle one input vector (per phase)

  static DacParams fromConfig(ConfigReader& r);
};

class DacCore {
 public:
  explicit DacCore(const DacParams& p);
  /// Quantise normalised inputs in place: clip to [-1, 1] (or [0, 1] when unsigned), round |x| to levels.
  void convert(Eigen::Ref<RowMatrix> xNorm, bool signedInput) const;
  int levels() const { return m_levels; }
  /// Cycles to drive one input vector through the DAC, all phases included.
  std::uint64_t cyclesPerVector(int phases) const { return static_cast<std::uint64_t>(m_p.cycles) * phases; }
  const DacParams& params() const { return m_p; }

 private:
  DacParams m_p;
  int m_levels;
};

}  // namespace mxsim
