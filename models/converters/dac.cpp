#include "models/converters/dac.h"

#include <cmath>
#include <stdexcept>

namespace mxsim {

DacParams DacParams::fromConfig(ConfigReader& r) {
  DacParams p;
  p.bits = static_cast<int>(r.getInt("bits", p.bits, 1, 16, "input DAC resolution per phase", "bits"));
  p.cycles = static_cast<int>(r.getInt("cycles", p.cycles, 1, 1024,
                                       "cycles to apply one input vector (per pass: per phase, and per bit "
                                       "in bit_serial mode)",
                                       "cycles"));
  p.mode = r.getEnum<DacMode>("mode", p.mode, {{"multibit", DacMode::Multibit}, {"bit_serial", DacMode::BitSerial}},
                              "multibit: one multi-level pass per phase; bit_serial: a 1-bit DAC applies the input's "
                              "magnitude bits one per pass, recombined digitally by shift-and-add",
                              {"bit_serial: ISAAC, Shafiee et al. ISCA 2016 (1-bit DACs, 16 × 1-bit input steps)"});
  p.signedInputs = r.getEnum<SignedInputs>(
      "signed_inputs", p.signedInputs, {{"two_phase", SignedInputs::TwoPhase}, {"offset", SignedInputs::Offset}},
      "how signed inputs are applied: two_phase = x⁺ then x⁻ (subtracted digitally); offset = "
      "u = (x+1)/2 in one phase, x·w = 2·(u·w) − Σw with Σw added back digitally");
  p.energyPerLevelJ =
      r.getOptionalQuantity("energy_per_level", Dimension::Energy, "derived (circuit model)", 0.0, 1e-9,
                            "explicit energy of one unit (1-bit) DAC conversion per driven line, word line included; "
                            "a multibit DAC costs this × (2^bits − 1). Absent: the circuit model (docs/converters.md)",
                            {"e.g. ISAAC, Shafiee et al. ISCA 2016: 4 mW for 1024 1-bit DACs at 100 ns per step = "
                             "0.39 pJ (sim/presets/isaac.yaml)"})
          .value_or(kDeriveEnergy);
  p.unitCapacitanceF = r.getQuantity(
      "unit_capacitance", Dimension::Capacitance, p.unitCapacitanceF, 1e-18, 1e-12,
      "unit capacitor C_u of a multibit (binary-weighted capacitive) DAC; full-scale energy (2^bits − 1)·C_u·V_read²",
      {"assumption above the thermal-noise bound 12kT·4^bits/V_read² / (2^bits − 1) = 0.32 fF at 8 bits, 0.2 V "
       "(docs/converters.md)"});
  p.range =
      r.getEnum<DacRange>("range", p.range, {{"dynamic", DacRange::Dynamic}, {"calibrated", DacRange::Calibrated}},
                          "DAC full scale: each image's max |x| of the layer input (dynamic), or the "
                          "layer's max |x| over the calibration images, clipping larger inputs");
  p.ideal = r.getBool("ideal", p.ideal,
                      "functional model only: inputs reach the array unquantised (clipped to the full scale; a "
                      "peer's 'ideal DAC' setting); timing, energy and area stay those of the configured DAC");
  r.finish();
  return p;
}

DacCore::DacCore(const DacParams& p) : m_p(p), m_levels((1 << p.bits) - 1) {}

void DacCore::convert(Eigen::Ref<RowMatrix> xNorm, bool signedInput) const {
  if (m_p.ideal) {  // the full scale's clip only
    xNorm = xNorm.array().max(signedInput ? -1.0f : 0.0f).min(1.0f).matrix();
    return;
  }
  const float L = static_cast<float>(m_levels);
  if (signedInput && m_p.signedInputs == SignedInputs::Offset) {
    // u = (x + 1)/2 ∈ [0, 1] on L levels, reported back in x units: xq = 2·u_q − 1.
    const float invL = 1.0f / L;
    xNorm = ((((xNorm.array().max(-1.0f).min(1.0f) + 1.0f) * (0.5f * L)).round() * invL) * 2.0f - 1.0f).matrix();
    return;
  }
  const float lo = signedInput ? -1.0f : 0.0f;
  // Round half away from zero on the magnitude: the same code for either phase of a signed input.
  xNorm = ((xNorm.array().max(lo).min(1.0f) * L).round() * (1.0f / L)).matrix();
}

int DacCore::passCount(bool signedInput) const {
  const int phases = (signedInput && m_p.signedInputs == SignedInputs::TwoPhase) ? 2 : 1;
  return phases * (m_p.mode == DacMode::BitSerial ? m_p.bits : 1);
}

float DacCore::offsetScale(bool signedInput) const {
  return (signedInput && m_p.signedInputs == SignedInputs::Offset) ? 1.0f : 0.0f;
}

double DacCore::energyPerConversionJ(double lineCapF, double readVoltageV) const {
  const bool multibit = m_p.mode == DacMode::Multibit;
  if (m_p.energyPerLevelJ >= 0.0) {
    return multibit ? m_p.energyPerLevelJ * static_cast<double>(m_levels) : m_p.energyPerLevelJ;
  }
  const double v2 = readVoltageV * readVoltageV;
  const double line = lineCapF * v2;
  return multibit ? static_cast<double>(m_levels) * m_p.unitCapacitanceF * v2 + line : line;
}

namespace {
/// Nearest integer codes of non-negative levels v ≤ L ≤ 65535, halves away from zero: floor(v + 0.5) equals
/// round(v) there (v + 0.5 is exact in float below 2²²) and, unlike std::round, vectorises.
template <class Levels>
DacCodeMatrix codesOf(const Levels& v, float L) {
  return (v + 0.5f).floor().max(0.0f).min(L).template cast<std::int32_t>();
}
}  // namespace

float CodePhase::passWeight(int b) const { return static_cast<float>(sign * scale * std::ldexp(1.0, b)); }

void DacCore::decomposeCodes(const RowMatrix& xq, bool signedInput, std::vector<CodePhase>& phases) const {
  if (!m_p.bitPlanes()) throw std::logic_error("DacCore::decomposeCodes: quantising bit_serial DACs only");
  phases.clear();
  const float L = static_cast<float>(m_levels);
  if (signedInput && m_p.signedInputs == SignedInputs::Offset) {
    // Recover u's integer code k = round((xq + 1)/2 · L) (exact: xq lies on the grid (2k − L)/L).
    phases.push_back({codesOf((xq.array() + 1.0f).max(0.0f) * (0.5f * L), L), m_p.bits, 1.0f, 2.0 / m_levels});
    return;
  }
  const double scale = 1.0 / m_levels;
  phases.push_back({codesOf(xq.array().max(0.0f) * L, L), m_p.bits, 1.0f, scale});
  if (signedInput) phases.push_back({codesOf((-xq.array()).max(0.0f) * L, L), m_p.bits, -1.0f, scale});
}

void DacCore::decompose(RowMatrix&& xq, bool signedInput, std::vector<InputPass>& passes) const {
  if (!signedInput && !m_p.bitPlanes()) {
    passes.clear();
    passes.push_back({std::move(xq), 1.0f});
    return;
  }
  decompose(static_cast<const RowMatrix&>(xq), signedInput, passes);
}

void DacCore::decompose(const RowMatrix& xq, bool signedInput, std::vector<InputPass>& passes) const {
  passes.clear();
  passes.reserve(static_cast<size_t>(passCount(signedInput)));
  if (m_p.bitPlanes()) {
    // One 0/1 plane per bit of each phase's codes (LSB first).
    std::vector<CodePhase> phases;
    decomposeCodes(xq, signedInput, phases);
    for (const CodePhase& ph : phases)
      for (int b = 0; b < ph.bits; ++b)
        passes.push_back({ph.codes.unaryExpr([b](std::int32_t m) { return static_cast<float>((m >> b) & 1); }),
                          ph.passWeight(b)});
    return;
  }
  if (signedInput && m_p.signedInputs == SignedInputs::Offset) {
    if (m_p.ideal) {
      passes.push_back({((xq.array() + 1.0f) * 0.5f).matrix(), 2.0f});  // u itself
    } else {
      const float L = static_cast<float>(m_levels);
      const DacCodeMatrix k = codesOf((xq.array() + 1.0f).max(0.0f) * (0.5f * L), L);
      passes.push_back({(k.cast<float>().array() * (1.0f / L)).matrix(), 2.0f});  // same u_q as convert()
    }
  } else if (!signedInput) {
    passes.push_back({xq, 1.0f});
  } else {
    // Exactly the planes ArrayCore::mvm applies today.
    passes.push_back({xq.cwiseMax(0.0f), 1.0f});
    passes.push_back({(-xq).cwiseMax(0.0f), -1.0f});
  }
}

}  // namespace mxsim
