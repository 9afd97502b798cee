// Contract: ADC functional core and parameters. Each array column's analog partial sum (in normalised
// units: Σ x_norm · w_eff, so |p| ≤ rows) is clipped to ±fullScale and rounded to 2^(bits−1) − 1 levels per
// sign. Columns share ADCs through a mux (column c → ADC c mod perArray), so converting c columns takes
// ceil(c / perArray) conversions of `cyclesPerConversion()` cycles (SAR: bits + 1, flash: 1, ramp: 2^bits + 1,
// or an explicit override); energy and area per ADC from its bits, type, sample rate and node. Optional static non-idealities per ADC (offset, gain, INL bow) are drawn once per
// chip instance by drawInstance(); with none the conversion is the ideal one. See docs/converters.md.
#pragma once
#include <cstdint>
#include <string>

#include "sim/core/config.h"
#include "sim/core/rng.h"
#include "sim/core/types.h"

namespace mxsim {

enum class AdcRange {
  Calibrated,  // per layer: max (or calibration_percentile) |partial sum| observed on calibration images
  FullScale,   // the largest sum the array can produce: rows used × 1 × 1
  Fixed,       // full_scale_value, the same for every layer
};

enum class AdcType {
  Sar,    // successive approximation: one comparison per bit plus sampling → bits + 1 cycles
  Flash,  // 2^bits − 1 comparators in parallel → 1 cycle
  Ramp,   // single slope: one sampling/reset cycle, then a counter runs 2^bits steps of the ramp → 2^bits + 1 cycles
};

enum class AdcEnergyModel {
  Walden,     // E = FOM · 2^bits per conversion
  Table,      // the energy table's adc.convert entry
  ScaledSar,  // the 32 nm SAR ADC of kScaledSar32nm at the configured bits (energy and area)
  Survey,     // Murmann's survey as fitted by Andrulis et al. 2024, at the configured sample rate and node
              // (adc_survey.h); a ramp ADC adds its counter
};

/// One row of the resolution-scaled 32 nm SAR ADC table (docs/converters.md, "Energy and area").
struct SarAdcPoint {
  int bits;
  double energyJ;  // per conversion
  double areaM2;   // per ADC
};
/// ISAAC's 8-bit SAR ADC, anchored at Kull et al., "A 3.1 mW 8b 1.2 GS/s single-channel asynchronous SAR
/// ADC ...", ISSCC 2013 (32 nm SOI), scaled to 4–10 bits with the capacitive-DAC energy and area analysis of
/// Saberi et al., "Analysis of power consumption and linearity in capacitive DACs used in SAR ADCs", IEEE
/// TCAS-I 58(8), 2011. Numbers as tabulated by the Accelergy hwcomponents-library ISAAC ADC table (facts,
/// no code); its 8-bit row's area is ISAAC's 0.0012 mm² per ADC. Valid at the anchor's ~1.2 GS/s.
inline constexpr SarAdcPoint kScaledSar32nm[] = {
    {4, 0.79e-12, 361.04e-12},  {5, 0.99e-12, 476.91e-12},   {6, 1.20e-12, 626.91e-12},
    {7, 1.42e-12, 845.18e-12},  {8, 1.67e-12, 1200.0e-12},   {9, 1.969e-12, 1827.9e-12},
    {10, 2.379e-12, 3002.0e-12},
};
/// The table at `bits`: exact for 4–10 bits; outside, extended geometrically with the ratio of the two
/// nearest rows per bit (an extrapolation, flagged in docs/converters.md).
SarAdcPoint scaledSar32nm(int bits);

struct AdcParams {
  static constexpr int kDefaultBits = 8;  // ISAAC's 8-bit SAR ADC (Shafiee et al., ISCA 2016)
  static constexpr double kDefaultWaldenFomJ = 1.56e-12 / 256;  // ISAAC: 1.56 pJ per 8-bit conversion / 2^8
  int bits = kDefaultBits;
  int perArray = 8;  // ADCs per array; columns are multiplexed onto them
  /// Cycles per conversion override; 0 = derive from `type` (SAR bits + 1, flash 1). The struct default
  /// of 1 keeps programmatic construction as before; fromConfig's default (key absent) is 0 = derive: the one
  /// key whose configuration default differs from the struct's on purpose.
  int conversionCycles = 1;
  AdcType type = AdcType::Sar;
  AdcRange range = AdcRange::Calibrated;
  float fullScaleValue = 0.0f;         // range: fixed — F in normalised partial-sum units (≤ rows)
  double calibrationPercentile = 100;  // range: calibrated — percentile of |p| used as F (100 = max)
  double offsetSigmaLsb = 0.0;         // σ of the static input-referred offset per ADC, in LSB
  double gainSigma = 0.0;              // relative σ of the static gain error per ADC
  double inlLsb = 0.0;                 // peak INL bow amplitude bound, in LSB
  bool ideal = false;                  // functional model only: no quantisation or clipping (timing/energy unchanged)
  AdcEnergyModel energyModel = AdcEnergyModel::ScaledSar;
  double waldenFomJ = kDefaultWaldenFomJ;  // J per conversion step

  /// Whether any static non-ideality (offset, gain, INL) is drawn per chip instance.
  bool staticErrors() const { return offsetSigmaLsb > 0.0 || gainSigma > 0.0 || inlLsb > 0.0; }
  static AdcParams fromConfig(ConfigReader& r);
};

/// Static non-idealities of the perArray ADCs of one array (drawn once per chip instance).
struct AdcInstance {
  Eigen::VectorXf offsetLsb;  // input-referred offset, LSB
  Eigen::VectorXf gain;       // relative gain error g (transfer gain is 1 + g)
  Eigen::VectorXf inlAmp;     // signed INL bow amplitude A (LSB), |A| ≤ inl_lsb
  /// True if every entry is exactly zero (conversion is then the ideal one).
  bool ideal() const;
};

class AdcCore {
 public:
  explicit AdcCore(const AdcParams& p);
  /// Quantise partial sums in place to the ADC's codes (returned as values in the same units). Ideal ADC
  /// (no static errors). With adc.ideal the sums pass unchanged.
  void convert(Eigen::Ref<RowMatrix> partial, float fullScale) const;
  /// Quantise partial sums in place. Column c (0-based within the array) is converted by ADC
  /// (c % perArray). inst == nullptr (or an all-zero instance): bit-identical to convert(partial, F).
  /// Non-ideal ADC j, with Δ = F/L and L = levelsPerSign():
  ///   v = p·(1 + g_j)/Δ + o_j;  t = clip(v, −L, L);  code = clip(round(t + A_j·(1 − (t/L)²)), −L, L);
  ///   output = code·Δ (the digital side reads the code as ideal).
  void convert(Eigen::Ref<RowMatrix> partial, float fullScale, const AdcInstance* inst) const;
  /// Draw this array's ADC non-idealities: per ADC j (in order j = 0 … perArray−1) one normal for the
  /// offset, one normal for the gain and one uniform for the INL amplitude, each scaled by its σ / bound
  /// (a zero σ gives exact zeros, and does not shift the other draws).
  AdcInstance drawInstance(Rng& rng) const;

  int levelsPerSign() const { return m_levels; }
  /// Cycles of one conversion: the override conversion_cycles if > 0, else SAR bits + 1, flash 1, ramp 2^bits + 1.
  int cyclesPerConversion() const;
  /// Conversions per second of one ADC on a chip clocked at clockHz: clockHz / cyclesPerConversion().
  double sampleRateHz(double clockHz) const;
  /// Cycles to convert all `cols` columns of one MVM (one pass): ceil(cols/perArray) × cyclesPerConversion().
  std::uint64_t cyclesPerVector(int cols) const;
  /// range: fixed — the configured full scale F.
  float fixedFullScale() const { return m_p.fullScaleValue; }
  /// Energy of one conversion on a chip clocked at clockHz, at node nodeNm: Walden FOM · 2^bits (walden, not
  /// moved with the node); the scaled SAR table at `bits` moved from 32 nm to nodeNm (scaled_sar); the survey fit
  /// at sampleRateHz(clockHz) and nodeNm, plus the counter for a ramp ADC (survey); negative for energy_model:
  /// table (use the energy table's adc.convert entry). Survey below 4 bits: std::invalid_argument.
  double energyPerConversionJ(double clockHz, double nodeNm) const;
  /// Area of one ADC: a SAR ADC priced by walden, table or scaled_sar takes the scaled SAR table at `bits`
  /// moved from 32 nm to nodeNm (ISAAC's 1200 µm² at 8 bits); otherwise (energy_model: survey, or a flash or
  /// ramp ADC) the survey fit's area at sampleRateHz(clockHz) and nodeNm, plus the counter for a ramp ADC.
  double areaM2(double clockHz, double nodeNm) const;
  /// Whether areaM2 uses the survey fit (see areaM2).
  bool surveyArea() const;
  const AdcParams& params() const { return m_p; }

  /// The value of |v| at `percentile` (0 < percentile ≤ 100) by the nearest-rank rule: sort |v| ascending
  /// as a_1 ≤ … ≤ a_n and return a_k, k = max(1, ceil(percentile/100 · n)). 100 gives max |v|; empty → 0.
  static float percentileAbs(const Eigen::Ref<const RowMatrix>& values, double percentile);

 private:
  AdcParams m_p;
  int m_levels;
};

}  // namespace mxsim
