// Contract: DAC functional core and parameters. Inputs arrive normalised to [-1, 1] (the digital side
// divides each image's layer input by its max |x|); the DAC drives |x| quantised to L = 2^bits − 1 levels.
// Signed inputs use two phases (positive part, then negative part), each a full pass through the array,
// or (signed_inputs: offset) one phase of u = (x + 1)/2 with the offset term removed digitally.
// mode: bit_serial applies the magnitude code one bit per pass through a 1-bit DAC (ISAAC style); the
// passes are recombined digitally by shift-and-add. decompose() states exactly which planes reach the
// array and with which digital weights; see docs/converters.md.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/config.h"
#include "sim/core/types.h"

namespace mxsim {

enum class DacMode {
  Multibit,   // one multi-level pass per phase (current-steering DAC with 2^bits − 1 unit sources)
  BitSerial,  // 1-bit DAC, one pass per magnitude bit (ISAAC, Shafiee et al. ISCA 2016)
};

enum class SignedInputs {
  TwoPhase,  // x⁺ then x⁻, subtracted digitally
  Offset,    // u = (x + 1)/2 in one phase; x·w = 2·(u·w) − Σw
};

/// How the digital side sets the DAC's full scale for a layer's inputs.
enum class DacRange {
  Dynamic,     // per image: max |x| of the layer input (needs a max-reduction before the DAC)
  Calibrated,  // per layer: max |x| over the calibration images; larger inputs clip
};

struct DacParams {
  static constexpr int kDefaultBits = 8;
  /// Unit capacitor of a multibit (binary-weighted capacitive) DAC. Assumption, bounded below by thermal
  /// noise: kT/C ≤ LSB²/12 needs C_total ≥ 12·kT·4^bits/V² = 81 fF for 8 bits over 0.2 V, i.e. ≥ 0.32 fF per
  /// unit; 1 fF is of the order of the smallest matched metal (MOM) unit capacitors. docs/converters.md.
  static constexpr double kDefaultUnitCapacitanceF = 1e-15;
  static constexpr double kDeriveEnergy = -1.0;  // energyPerLevelJ: derive from the circuit
  int bits = kDefaultBits;  // input resolution per phase
  int cycles = 1;           // clock cycles to settle one input vector (per pass)
  DacMode mode = DacMode::Multibit;
  SignedInputs signedInputs = SignedInputs::TwoPhase;
  /// E_1bit, an explicit price of one unit (1-bit) conversion (e.g. ISAAC's table), or kDeriveEnergy: the
  /// circuit model of energyPerConversionJ().
  double energyPerLevelJ = kDeriveEnergy;
  double unitCapacitanceF = kDefaultUnitCapacitanceF;  // C_u of a multibit capacitive DAC
  DacRange range = DacRange::Dynamic;
  bool ideal = false;  // functional model only: inputs reach the array unquantised (timing/energy unchanged)

  /// Whether the array sees 0/1 bit planes (a bit-serial DAC that quantises).
  bool bitPlanes() const { return mode == DacMode::BitSerial && !ideal; }
  static DacParams fromConfig(ConfigReader& r);
};

/// One input plane applied to the array and the digital weight its ADC-converted result is scaled by.
struct InputPass {
  RowMatrix x;
  float weight = 1.0f;
};

/// Integer magnitude codes (≥ 0) in xq's layout, a row-major int32 matrix.
using DacCodeMatrix = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One phase of a bit-serial DAC as integer codes: its passes are the bit planes b = 0 … bits − 1 of
/// `codes`, pass b with digital weight sign·scale·2^b (decompose() expands them to 0/1 planes).
struct CodePhase {
  DacCodeMatrix codes;
  int bits = 0;
  float sign = 1.0f;
  double scale = 1.0;
  float passWeight(int b) const;
};

class DacCore {
 public:
  explicit DacCore(const DacParams& p);
  /// Quantise normalised inputs in place. Two-phase or unsigned: clip to [-1, 1] (or [0, 1] when
  /// unsigned), round |x| to L levels (half away from zero). Offset mode with signed inputs: clip to
  /// [-1, 1], u = (x + 1)/2 rounded to L levels on [0, 1], returned as xq = 2·u_q − 1 (so xq stays in
  /// x units; its grid is (2k − L)/L, k = 0 … L).
  void convert(Eigen::Ref<RowMatrix> xNorm, bool signedInput) const;
  int levels() const { return m_levels; }
  /// Unit cells of one DAC, each of the size of a 1-bit driver (area.dac): a multibit binary-weighted DAC has
  /// 2^bits − 1 of them (the same units its energy model charges), a bit-serial 1-bit DAC one.
  double unitCells() const { return m_p.mode == DacMode::BitSerial ? 1.0 : static_cast<double>(m_levels); }

  /// Decompose DAC-converted inputs xq (from convert()) into the passes actually applied to the array,
  /// so that for every G (exactly in real arithmetic; to float rounding here)
  ///   Σ_k weight_k · (x_k · G)  ==  xq · G  + offsetScale(signedInput) · (1ᵀ·G),
  /// i.e. the digital side recovers xq·G = Σ_k weight_k·(x_k·G) − offsetScale·(1ᵀ·G). (Offset mode:
  /// 2·(u·G) = (2u − 1)·G + 1ᵀ·G, so the Σw term is subtracted with coefficient offsetScale = 1.)
  /// Order: phase by phase (x⁺ before x⁻), and within a phase bit 0 (LSB) first.
  ///   multibit, two-phase signed: {x⁺, +1}, {x⁻, −1};   unsigned: {xq, +1}
  ///   multibit, offset signed:    {u, 2}                     (offsetScale 1)
  ///   bit_serial: per phase, one 0/1 plane per magnitude bit b with weight ±2^b / L
  ///               (offset signed: planes of u's code, weight 2·2^b / L; offsetScale 1)
  ///   ideal (either mode): the multibit passes of the unquantised inputs
  /// `passes` is resized to passCount(signedInput) (ideal bit_serial: the multibit count; timing still
  /// charges passCount()).
  void decompose(const RowMatrix& xq, bool signedInput, std::vector<InputPass>& passes) const;
  /// The same, taking xq over: a single unsigned multibit pass is xq itself (moved, not copied).
  void decompose(RowMatrix&& xq, bool signedInput, std::vector<InputPass>& passes) const;
  /// bit_serial only: the phases decompose() turns into planes, as integer codes (the same passes, in the
  /// same order: phase by phase, bit 0 first), for callers that read the bits without float planes.
  void decomposeCodes(const RowMatrix& xq, bool signedInput, std::vector<CodePhase>& phases) const;
  /// Passes per input vector: phases × (bit_serial ? bits : 1); offset mode has one phase.
  int passCount(bool signedInput) const;
  /// Coefficient of the Σw (= 1ᵀ·G, per column) correction term: 1 for offset-mode signed inputs, else 0.
  /// The digital side forms  Σ_k weight_k·ADC(x_k·G) − offsetScale·(1ᵀ·G).
  float offsetScale(bool signedInput) const;

  /// Cycles to drive one input vector applied in `passes` passes (passCount(signedInput) for a layer).
  std::uint64_t cyclesPerVector(int passes) const { return static_cast<std::uint64_t>(m_p.cycles) * passes; }
  /// Energy per driven line per pass at full scale, driving a word line of capacitance `lineCapF` to
  /// `readVoltageV`:
  ///   circuit model (energy_per_level absent):
  ///     bit_serial: C_line·V_read²                       (a 1-bit word-line driver, as in NeuroSim)
  ///     multibit:   (2^bits − 1)·C_u·V_read² + C_line·V_read²  (binary-weighted capacitive DAC with its
  ///                 reference at the read voltage: the full-scale code charges all 2^bits − 1 units)
  ///   explicit E_1bit: E_1bit·(2^bits − 1) multibit, E_1bit bit_serial (the line is inside E_1bit).
  /// The data-aware factor (mean driven level) scales it at report time.
  double energyPerConversionJ(double lineCapF, double readVoltageV) const;
  const DacParams& params() const { return m_p; }

 private:
  DacParams m_p;
  int m_levels;
};

}  // namespace mxsim
