#include "models/converters/adc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "models/common/technology.h"
#include "models/converters/adc_survey.h"
#include "sim/core/error.h"

namespace mxsim {

AdcParams AdcParams::fromConfig(ConfigReader& r) {
  AdcParams p;
  p.bits = static_cast<int>(r.getInt("bits", p.bits, 2, 16, "ADC resolution", "bits",
                                     {"ISAAC, Shafiee et al. ISCA 2016: 8-bit SAR ADC"}));
  p.perArray = static_cast<int>(
      r.getInt("per_array", p.perArray, 1, 4096, "ADCs per array; columns are time-multiplexed onto them", "ADCs"));
  p.type = r.getEnum<AdcType>(
      "type", p.type, {{"sar", AdcType::Sar}, {"flash", AdcType::Flash}, {"ramp", AdcType::Ramp}},
      "ADC architecture, sets the cycles per conversion: sar = bits + 1 (sample + one comparison per bit), "
      "flash = 1 (2^bits − 1 comparators in parallel), ramp = 2^bits + 1 (single slope: sample/reset, then a "
      "counter runs the 2^bits steps of the ramp); flash and ramp areas come from the survey model (docs/converters.md)",
      {"ISAAC, Shafiee et al. ISCA 2016: SAR ADC"});
  p.conversionCycles = static_cast<int>(
      r.getInt("conversion_cycles", 0, 0, 1024,
               "clock cycles per conversion; 0 = derive from type (sar: bits + 1, flash: 1, ramp: 2^bits + 1), any "
               "other value overrides it; with the chip clock it sets the sample rate the survey model prices",
               "cycles", {"ISAAC: 1.28 GS/s ADC, i.e. about one conversion per cycle at 1.2 GHz (an override of 1)"}));
  p.range = r.getEnum<AdcRange>(
      "range", p.range,
      {{"calibrated", AdcRange::Calibrated}, {"full_scale", AdcRange::FullScale}, {"fixed", AdcRange::Fixed}},
      "how the ADC input range ±F is set: per-layer over calibration "
      "images (see calibration_percentile), the array's largest possible "
      "sum (rows used), or full_scale_value");
  p.fullScaleValue = static_cast<float>(
      r.getReal("full_scale_value", p.fullScaleValue, 0.0, 1e6,
                "range: fixed — full scale F in normalised partial-sum units (Σ x·w with x, w in [−1, 1], so "
                "at most the rows used); required > 0 when range is fixed"));
  if (p.range == AdcRange::Fixed && !(p.fullScaleValue > 0.0f)) {
    throw ConfigError(fmt::format("{}: must be > 0 when {} is fixed (got {:g})", r.keyPath("full_scale_value"),
                                  r.keyPath("range"), p.fullScaleValue));
  }
  p.calibrationPercentile =
      r.getReal("calibration_percentile", p.calibrationPercentile, 50.0, 100.0,
                "range: calibrated — F is this percentile of the absolute partial sums over the calibration images "
                "(nearest rank; 100 = max, e.g. 99.99 clips rare outliers)");
  p.offsetSigmaLsb = r.getReal("offset_sigma_lsb", p.offsetSigmaLsb, 0.0, 64.0,
                               "σ of each ADC's static input-referred offset, in LSB, drawn once per chip "
                               "instance (0 = ideal; uncalibrated comparator offsets are typically a few "
                               "tenths of an LSB to ~1 LSB at 8 bits)");
  p.gainSigma = r.getReal("gain_sigma", p.gainSigma, 0.0, 0.5,
                          "relative σ of each ADC's static gain error (transfer gain 1 + g), drawn once per chip "
                          "instance (0 = ideal; typically 0.1–1 %)");
  p.inlLsb = r.getReal("inl_lsb", p.inlLsb, 0.0, 64.0,
                       "peak integral non-linearity bound, in LSB: each ADC gets a bow A·(1 − (code/L)²) with A "
                       "uniform in ±inl_lsb, drawn once per chip instance (0 = ideal; 8-bit SAR ADCs typically "
                       "specify INL within ±0.5–1 LSB)");
  p.ideal = r.getBool("ideal", p.ideal,
                      "functional model only: partial sums pass unquantised and unclipped (a peer's 'ideal ADC' "
                      "setting, e.g. CrossSim's or aihwkit's); timing, energy and area stay those of the configured "
                      "ADC. The static errors must then be 0");
  if (p.ideal) {
    const std::pair<const char*, double> errors[] = {
        {"offset_sigma_lsb", p.offsetSigmaLsb}, {"gain_sigma", p.gainSigma}, {"inl_lsb", p.inlLsb}};
    for (const auto& [key, value] : errors) {
      if (value > 0.0)
        throw ConfigError(fmt::format("{}: an ideal ADC has no static errors, but {} > 0 would be ignored; set it to 0 "
                                      "or leave it out",
                                      r.keyPath("ideal"), r.keyPath(key)));
    }
  }
  p.energyModel = r.getEnum<AdcEnergyModel>(
      "energy_model", p.energyModel,
      {{"walden", AdcEnergyModel::Walden},
       {"table", AdcEnergyModel::Table},
       {"scaled_sar", AdcEnergyModel::ScaledSar},
       {"survey", AdcEnergyModel::Survey}},
      "energy per conversion: scaled_sar = ISAAC's 32 nm 8-bit SAR ADC scaled with resolution (4–10 bits tabulated, "
      "docs/converters.md); survey = Murmann's ADC survey fit at the ADC's sample rate (chip.clock / cycles per "
      "conversion) and chip.technology_node, energy and area, any type (ramp adds its counter; 4 bits or more); "
      "walden = walden_fom × 2^bits; table = the energy table's adc.convert entry",
      {"scaled_sar: Kull et al. ISSCC 2013 (8b 1.2 GS/s SAR, 32 nm) scaled per Saberi et al. TCAS-I 2011, as "
       "tabulated by the Accelergy hwcomponents-library ISAAC ADC table; "
       "survey: B. Murmann, ADC Performance Survey 1997-2023, fitted by Andrulis et al., arXiv:2404.06553 (2024) "
       "(coefficients: Accelergy hwcomponents-adc model.yaml)"});
  if (p.energyModel == AdcEnergyModel::ScaledSar && p.type != AdcType::Sar) {
    throw ConfigError(fmt::format("{}: scaled_sar prices a SAR ADC, but {} is not sar; use walden or table",
                                  r.keyPath("energy_model"), r.keyPath("type")));
  }
  if (p.energyModel == AdcEnergyModel::Survey && p.bits < adcsurvey::SurveyFit::kMinBits) {
    throw ConfigError(fmt::format("{}: the survey model is fitted for {} bits and more, but {} is {}; use walden or table",
                                  r.keyPath("energy_model"), adcsurvey::SurveyFit::kMinBits, r.keyPath("bits"), p.bits));
  }
  p.waldenFomJ =
      r.getQuantity("walden_fom", Dimension::Energy, p.waldenFomJ, 0.0, 1e-9,
                    "Walden figure of merit: energy per conversion step (E = FOM × 2^bits per conversion)",
                    {"ISAAC 8-bit ADC: 2 mW at 1.28 GS/s = 1.56 pJ = FOM × 2^8 → 6.09 fJ, within the 1–10 fJ range of "
                     "Murmann's ADC performance survey; Walden, IEEE JSAC 1999"});
  r.finish();
  return p;
}

bool AdcInstance::ideal() const {
  auto zero = [](const Eigen::VectorXf& v) { return v.size() == 0 || (v.array() == 0.0f).all(); };
  return zero(offsetLsb) && zero(gain) && zero(inlAmp);
}

AdcCore::AdcCore(const AdcParams& p) : m_p(p), m_levels((1 << (p.bits - 1)) - 1) {}

void AdcCore::convert(Eigen::Ref<RowMatrix> partial, float fullScale) const {
  if (m_p.ideal) return;  // the partial sums as they are
  const float step = fullScale / static_cast<float>(m_levels);
  const float inv = 1.0f / step;
  partial = ((partial.array().max(-fullScale).min(fullScale) * inv).round() * step).matrix();
}

void AdcCore::convert(Eigen::Ref<RowMatrix> partial, float fullScale, const AdcInstance* inst) const {
  if (!inst || inst->ideal()) {
    convert(partial, fullScale);
    return;
  }
  const Eigen::Index n = m_p.perArray;
  if (inst->offsetLsb.size() != n || inst->gain.size() != n || inst->inlAmp.size() != n) {
    throw std::invalid_argument(fmt::format("AdcCore::convert: instance has {}/{}/{} entries, expected {} ADCs",
                                            inst->offsetLsb.size(), inst->gain.size(), inst->inlAmp.size(), n));
  }
  const Eigen::Index cols = partial.cols();
  if (partial.size() == 0) return;
  const float L = static_cast<float>(m_levels);
  const float step = fullScale / L;
  const float inv = 1.0f / step;
  // Per-column parameters of the ADC that converts it (column c → ADC c mod perArray).
  Eigen::Array<float, 1, Eigen::Dynamic> scale(cols), offset(cols), amp(cols);
  for (Eigen::Index c = 0; c < cols; ++c) {
    const Eigen::Index j = c % n;
    scale(c) = (1.0f + inst->gain(j)) * inv;
    offset(c) = inst->offsetLsb(j);
    amp(c) = inst->inlAmp(j);
  }
  const float invL = 1.0f / L;
  Eigen::Array<float, 1, Eigen::Dynamic> t(cols), u(cols);  // reused row buffers
  for (Eigen::Index r = 0; r < partial.rows(); ++r) {
    auto row = partial.row(r).array();
    t = (row * scale + offset).max(-L).min(L);  // input in LSB after gain and offset, clipped to the range
    u = t * invL;                               // position in the range, −1 … 1
    row = (t + amp * (1.0f - u * u)).round().max(-L).min(L) * step;
  }
}

AdcInstance AdcCore::drawInstance(Rng& rng) const {
  AdcInstance inst;
  const Eigen::Index n = m_p.perArray;
  inst.offsetLsb.resize(n);
  inst.gain.resize(n);
  inst.inlAmp.resize(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    // Always draw all three so that one σ being zero does not shift the others' values.
    const double o = rng.normal(), g = rng.normal(), a = 2.0 * rng.uniform() - 1.0;
    inst.offsetLsb(j) = m_p.offsetSigmaLsb > 0 ? static_cast<float>(m_p.offsetSigmaLsb * o) : 0.0f;
    inst.gain(j) = m_p.gainSigma > 0 ? static_cast<float>(m_p.gainSigma * g) : 0.0f;
    inst.inlAmp(j) = m_p.inlLsb > 0 ? static_cast<float>(m_p.inlLsb * a) : 0.0f;
  }
  return inst;
}

int AdcCore::cyclesPerConversion() const {
  if (m_p.conversionCycles > 0) return m_p.conversionCycles;
  switch (m_p.type) {
    case AdcType::Sar: return m_p.bits + 1;
    case AdcType::Ramp: return (1 << m_p.bits) + 1;
    case AdcType::Flash: break;
  }
  return 1;
}

double AdcCore::sampleRateHz(double clockHz) const { return clockHz / cyclesPerConversion(); }

std::uint64_t AdcCore::cyclesPerVector(int cols) const {
  const std::uint64_t conversions = (static_cast<std::uint64_t>(cols) + m_p.perArray - 1) / m_p.perArray;
  return conversions * static_cast<std::uint64_t>(cyclesPerConversion());
}

SarAdcPoint scaledSar32nm(int bits) {
  constexpr int n = static_cast<int>(std::size(kScaledSar32nm));
  const int lo = kScaledSar32nm[0].bits, hi = kScaledSar32nm[n - 1].bits;
  if (bits >= lo && bits <= hi) return kScaledSar32nm[bits - lo];
  // Geometric extension with the per-bit ratio of the two nearest rows.
  const SarAdcPoint& a = bits < lo ? kScaledSar32nm[0] : kScaledSar32nm[n - 1];
  const SarAdcPoint& b = bits < lo ? kScaledSar32nm[1] : kScaledSar32nm[n - 2];
  const double steps = static_cast<double>(bits - a.bits) / static_cast<double>(a.bits - b.bits);
  return {bits, a.energyJ * std::pow(a.energyJ / b.energyJ, steps), a.areaM2 * std::pow(a.areaM2 / b.areaM2, steps)};
}

double AdcCore::energyPerConversionJ(double clockHz, double nodeNm) const {
  switch (m_p.energyModel) {
    case AdcEnergyModel::Table: return -1.0;
    case AdcEnergyModel::ScaledSar:
      return scaledSar32nm(m_p.bits).energyJ * tech::energyScale(tech::kIsaacNodeNm, nodeNm);
    case AdcEnergyModel::Survey: {
      const double e = adcsurvey::energyPerConversionJ(m_p.bits, sampleRateHz(clockHz), nodeNm);
      return m_p.type == AdcType::Ramp ? e + adcsurvey::rampCounterEnergyJ(m_p.bits, nodeNm) : e;
    }
    case AdcEnergyModel::Walden: break;
  }
  return m_p.waldenFomJ * std::ldexp(1.0, m_p.bits);
}

bool AdcCore::surveyArea() const { return m_p.energyModel == AdcEnergyModel::Survey || m_p.type != AdcType::Sar; }

double AdcCore::areaM2(double clockHz, double nodeNm) const {
  if (!surveyArea()) return scaledSar32nm(m_p.bits).areaM2 * tech::areaScale(tech::kIsaacNodeNm, nodeNm);
  const double a = adcsurvey::areaM2(m_p.bits, sampleRateHz(clockHz), nodeNm);
  return m_p.type == AdcType::Ramp ? a + adcsurvey::rampCounterAreaM2(m_p.bits, nodeNm) : a;
}

float AdcCore::percentileAbs(const Eigen::Ref<const RowMatrix>& values, double percentile) {
  const auto n = static_cast<std::size_t>(values.size());
  if (n == 0) return 0.0f;
  if (!(percentile > 0.0) || percentile > 100.0) {
    throw std::invalid_argument(fmt::format("percentileAbs: percentile {} is outside (0, 100]", percentile));
  }
  std::vector<float> a;
  a.reserve(n);
  for (Eigen::Index r = 0; r < values.rows(); ++r) {
    for (Eigen::Index c = 0; c < values.cols(); ++c) a.push_back(std::fabs(values(r, c)));
  }
  if (percentile >= 100.0) return *std::max_element(a.begin(), a.end());
  // Nearest rank; the small slack keeps e.g. 99.99 % of 10000 at rank 9999 despite rounding in p/100·n.
  const double rank = std::ceil(percentile / 100.0 * static_cast<double>(n) - 1e-9);
  const std::size_t k = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(n))) - 1;
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
  return a[k];
}

}  // namespace mxsim
