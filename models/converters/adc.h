// Contract: ADC functional core and parameters. Each array column's analog partial sum (in normalised
// units: Σ x_norm · w_eff, so |p| ≤ rows) is clipped to ±fullScale and rounded to 2^(bits−1) − 1 levels per
// sign. Columns share ADCs through a mux, so converting c columns takes ceil(c / perArray) conversions.
#pragma once
#include <cstdint>
#include <string>

#include "sim/core/config.h"
#include "sim/core/types.h"

namespace mxsim {

enum class AdcRange {
  Calibrated,  // per layer: max |partial sum| observed on calibration images
  FullScale,   // the largest sum the array can produce: rows used × 1 × 1
};

struct AdcParams {
  static constexpr int kDefaultBits = 8;  // ISAAC's 8-bit SAR ADC (Shafiee et al., ISCA 2016)
  int bits = kDefaultBits;
  int perArray = 8;          // ADCs per array; columns are multiplexed onto them
  int conversionCycles = 1;  // cycles per conversion
  AdcRange range = AdcRange::Calibrated;

  static AdcParams fromConfig(ConfigReader& r);
};

class AdcCore {
 public:
  explicit AdcCore(const AdcParams& p);
  /// Quantise partial sums in place to the ADC's codes (returned as values in the same units).
  void convert(Eigen::Ref<RowMatrix> partial, float fullScale) const;
  int levelsPerSign() const { return m_levels; }
  /// Cycles to convert all `cols` columns of one MVM (one phase).
  std::uint64_t cyclesPerVector(int cols) const;
  const AdcParams& params() const { return m_p; }

 private:
  AdcParams m_p;
  int m_levels;
};

}  // namespace mxsim
