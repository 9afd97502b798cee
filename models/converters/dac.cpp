#include "models/converters/dac.h"

#include <cmath>

namespace mxsim {

DacParams DacParams::fromConfig(ConfigReader& r) {
  DacParams p;
  p.bits = static_cast<int>(r.getInt("bits", kDefaultBits, 1, 16, "input DAC resolution per phase", "bits"));
  p.cycles = static_cast<int>(r.getInt("cycles", 1, 1, 1024, "cycles to apply one input vector (per phase)",
                                       "cycles"));
  r.finish();
  return p;
}

DacCore::DacCore(const DacParams& p) : m_p(p), m_levels((1 << p.bits) - 1) {}

void DacCore::convert(Eigen::Ref<RowMatrix> xNorm, bool signedInput) const {
  const float L = static_cast<float>(m_levels);
  const float lo = signedInput ? -1.0f : 0.0f;
  // Round half away from zero on the magnitude: the same code for either phase of a signed input.
  xNorm = ((xNorm.array().max(lo).min(1.0f) * L).round() * (1.0f / L)).matrix();
}

}  // namespace mxsim
