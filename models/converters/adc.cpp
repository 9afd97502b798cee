#include "models/converters/adc.h"

#include <cmath>

namespace mxsim {

AdcParams AdcParams::fromConfig(ConfigReader& r) {
  AdcParams p;
  p.bits = static_cast<int>(r.getInt("bits", kDefaultBits, 2, 16, "ADC resolution", "bits",
                                     {"ISAAC, Shafiee et al. ISCA 2016: 8-bit SAR ADC"}));
  p.perArray = static_cast<int>(
      r.getInt("per_array", 8, 1, 4096, "ADCs per array; columns are time-multiplexed onto them", "ADCs"));
  p.conversionCycles = static_cast<int>(
      r.getInt("conversion_cycles", 1, 1, 1024, "clock cycles per conversion", "cycles",
               {"ISAAC: 1.28 GS/s ADC, i.e. about one conversion per cycle at 1.2 GHz"}));
  const std::string range = r.getChoice("range", "calibrated", {"calibrated", "full_scale"},
                                        "how the ADC input range is set: per-layer max over calibration "
                                        "images, or the array's largest possible sum");
  p.range = range == "calibrated" ? AdcRange::Calibrated : AdcRange::FullScale;
  r.finish();
  return p;
}

AdcCore::AdcCore(const AdcParams& p) : m_p(p), m_levels((1 << (p.bits - 1)) - 1) {}

void AdcCore::convert(Eigen::Ref<RowMatrix> partial, float fullScale) const {
  const float step = fullScale / static_cast<float>(m_levels);
  const float inv = 1.0f / step;
  partial = ((partial.array().max(-fullScale).min(fullScale) * inv).round() * step).matrix();
}

std::uint64_t AdcCore::cyclesPerVector(int cols) const {
  const std::uint64_t conversions = (static_cast<std::uint64_t>(cols) + m_p.perArray - 1) / m_p.perArray;
  return conversions * static_cast<std::uint64_t>(m_p.conversionCycles);
}

}  // namespace mxsim
