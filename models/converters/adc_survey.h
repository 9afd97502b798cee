// Contract: sample-rate-aware ADC energy and area from B. Murmann's ADC Performance Survey 1997-2023, as fitted by
// Andrulis et al. (CiMLoop's ADC model), plus the counter of a ramp (single-slope) ADC. Pure functions, no SystemC.
#pragma once

namespace mxsim::adcsurvey {

/// Fitted coefficients of T. Andrulis, R. Chen, H.-S. Lee, J. Emer, V. Sze, "Modeling analog-digital-converter
/// energy and area for compute-in-memory accelerator design", arXiv:2404.06553 (2024), to the ISSCC and VLSI
/// designs of B. Murmann, "ADC Performance Survey 1997-2023" (github.com/bmurmann/ADC-survey). Numbers as
/// published in the fit's data file, Accelergy-Project/hwcomponents-adc hwcomponents_adc/adc_data/model.yaml
/// (commit 246af7e); facts only, the evaluation below is mxsim's (docs/converters.md, "Survey model").
struct SurveyFit {
  // Schreier FOM bound vs sample rate f_s (Pareto front of the survey): FOMS ≤ a0 + a1·ln(f_s / Hz) dB ...
  static constexpr double kFomsIntercept = 213.7806687348118;
  static constexpr double kFomsPerLnHz = -2.8719030399529957;
  // ... and vs resolution: FOMS ≤ m0 + m1·k dB with k = ceil(bits), clamped to 0 … 20 (the file's max_by_enob list).
  static constexpr double kFomsMaxAt0Bits = 128.3068287398817;
  static constexpr double kFomsMaxPerBit = 3.2205115109778;  // (192.71705895943293 − 128.3068287398817) / 20
  static constexpr int kFomsMaxBitsIndex = 20;
  // Technology and resolution correction of the energy: × exp(t0 + t1·ln(node/nm) + t2·ln(bits) + r) (this also
  // turns the bound, in J, into pJ).
  static constexpr double kTechIntercept = 26.0496215686518;
  static constexpr double kTechPerLnNm = 1.8800369206815004;
  static constexpr double kPerLnBits = -2.8291256050594527;
  static constexpr double kEnergyResidual = -1.4702022133784405;
  // Area: ln(A/µm²) = g0 + g1·ln(node/nm) + g2·ln(f_s/Hz) + g3·ln(E/pJ).
  static constexpr double kAreaIntercept = 1.3461916439910742;
  static constexpr double kAreaPerLnNm = 0.9932794744745022;
  static constexpr double kAreaPerLnHz = 0.18071538424508238;
  static constexpr double kAreaPerLnPj = 0.29912426192653485;
  /// The fit asserts at least 4 bits (hwcomponents-adc ADCRequest).
  static constexpr int kMinBits = 4;
};

/// SNDR of an ideal `bits`-bit quantiser with a full-scale sine: 6.02·bits + 1.76 dB (20·log10(2)·bits + 10·log10(1.5)).
double sndrDb(double bits);
/// The survey's best Schreier FOM at `bits` and `sampleRateHz`: min(a0 + a1·ln f_s, m0 + m1·ceil(bits)), dB.
double schreierFomDb(double bits, double sampleRateHz);
/// Energy per conversion, J: E = 10^((SNDR − FOMS)/10) / 2 · exp(t0 + t1·ln node + t2·ln bits + r) pJ. The first
/// factor is the Schreier FOM's P/f_s: FOMS = SNDR + 10·log10((f_s/2)/P). Throws std::invalid_argument for
/// bits < 4, a non-positive rate or node.
double energyPerConversionJ(double bits, double sampleRateHz, double nodeNm);
/// Area of one ADC, m²: exp(g0 + g1·ln node + g2·ln f_s + g3·ln(E/pJ)) µm², E = energyPerConversionJ(...).
double areaM2(double bits, double sampleRateHz, double nodeNm);

/// The b-bit counter of a ramp ADC: Aladdin's 40 nm 32-bit counter (Shao et al., ISCA 2014, as tabulated in the
/// Accelergy hwcomponents-library, aladdin.py): 0.25074 pJ per count and 495.5 µm², both linear in width.
struct RampCounter {
  static constexpr double kNodeNm = 40.0;
  static constexpr double kEnergyPerCount32J = 0.25074e-12;
  static constexpr double kArea32M2 = 495.5e-12;
};
/// Energy of the counter over one conversion: 2^bits counts × bits/32 × 0.25074 pJ, moved from 40 nm to nodeNm
/// with tech::energyScale.
double rampCounterEnergyJ(int bits, double nodeNm);
/// Area of the counter: bits/32 × 495.5 µm², moved from 40 nm to nodeNm with tech::areaScale.
double rampCounterAreaM2(int bits, double nodeNm);

}  // namespace mxsim::adcsurvey
