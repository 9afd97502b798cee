// Contract: crossbar functional core. Normalised weights ŵ ∈ [−1, 1] are (optionally) quantised to
// weight_bits and bit-sliced over cells of cell_bits, each slice in its own columns; every weight maps to
// a differential pair G± = Gmin + ΔG·max(±d, 0) or to one device G = Gmin + ΔG·(d + 1)/2 against a
// reference Gref = Gmin + ΔG/2 (offset). Programming applies the static non-idealities of DeviceNoiseParams
// (variation, stuck-at faults, drift to time t, first-order IR drop); the result is the effective
// normalised weight the array multiplies by, w_eff = (G+ − G−)/ΔG or 2(G − Gref)/ΔG, per slice, plus each
// weight's read-noise variance in the same units.
#pragma once
#include <cstdint>
#include <vector>

#include "models/noise/device_noise.h"
#include "sim/core/config.h"
#include "sim/core/rng.h"
#include "sim/core/types.h"

namespace mxsim {

enum class WeightMapping { Differential, Offset };
/// Which weights share one normalisation (max |W| → Gmax): the whole layer, or each array's block (finer
/// use of the conductance range; the digital side rescales each array's outputs).
enum class WeightScaling { Layer, Array };

struct CrossbarParams {
  static constexpr int kDefaultRows = 128;  // ISAAC uses 128×128 arrays (Shafiee et al., ISCA 2016)
  int rows = kDefaultRows;
  int cols = kDefaultRows;
  int readCycles = 10;    // integrate-and-sample time of one MVM; ISAAC: ~100 ns per array read step
  int writeCyclesPerRow = 150;  // program one row (its cells in parallel); PCM write 150 ns (Lee et al. ISCA 2009)
  double gMinS = 0.1e-6;  // low-conductance state
  double gMaxS = 25e-6;   // aihwkit PCM model: Gmax = 25 µS
  WeightMapping mapping = WeightMapping::Differential;
  int weightBits = 0;     // 0: analog (continuous) conductances; else weights quantised to this many bits
  int cellBits = 2;       // bits per cell when weightBits > 0 (slices = ceil(weightBits / cellBits)); ISAAC: 2
  WeightScaling weightScaling = WeightScaling::Layer;
  bool irDrop = false;
  double wireOhms = 2.5;  // wire resistance per cell segment
  /// Read voltage across a cell driven at full scale (the DAC's full-scale output).
  static constexpr double kDefaultReadVoltageV = 0.2;
  double readVoltageV = kDefaultReadVoltageV;
  /// Word-line capacitance per cell segment: NeuroSim's 0.2 fF/µm wire capacitance × a 39 nm cell pitch
  /// (ISAAC's 25 µm² per 128×128 array → √(25 µm² / 16384) = 39 nm).
  static constexpr double kDefaultWireCapacitanceF = 0.2e-15 / 1e-6 * 39.06e-9;
  double wireCapacitanceF = kDefaultWireCapacitanceF;

  int slices() const { return weightBits > 0 ? (weightBits + cellBits - 1) / cellBits : 1; }
  int devicesPerWeight() const { return mapping == WeightMapping::Differential ? 2 : 1; }
  /// Capacitance of one word line: every device of the row (cols × devices per weight) adds a segment.
  double wordLineCapacitanceF() const { return wireCapacitanceF * cols * devicesPerWeight(); }
  /// Energy of one device read at full scale (V_read across it, G = Gmax) for `readSeconds`: V²·Gmax·t.
  /// A device at conductance G driven at level v dissipates (v·V_read)²·G·t, i.e. this × v²·G/Gmax.
  double cellReadEnergyJ(double readSeconds) const { return readVoltageV * readVoltageV * gMaxS * readSeconds; }
  static CrossbarParams fromConfig(ConfigReader& r);
};

/// Signed cell digits per weight of one slice (−L … L, L = 2^min(cell_bits, weight_bits) − 1), a row per array row.
using DigitMatrix = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One cell as programmed: its effective normalised weight, the conductance of its device(s) and the
/// variance of one read in w_eff² units.
struct CellValue {
  float gEff;
  double conductanceS;
  float readVar;
};

/// One programmed block: effective weights and read-noise variances per slice.
struct ProgrammedBlock {
  std::vector<ColMatrix> gEff;     // per slice: rows × cols effective normalised slice weights
  std::vector<ColMatrix> readVar;  // per slice: variance of one read per weight, in w_eff² units (empty: none
                                   // or uniform, see CrossbarCore::uniformReadVariance)
  double conductanceSumS = 0.0;    // Σ G over every programmed device (all slices, both devices of a pair)
  double devices = 0.0;            // devices programmed (the count behind conductanceSumS)
};

class CrossbarCore {
 public:
  CrossbarCore(const CrossbarParams& p, const DeviceNoiseParams& noise);
  /// Program normalised weights (a block of at most rows × cols, placed at the array's origin) at time
  /// t since programming. Random draws come from streams keyed by `blockKey`, and do not depend on t, so
  /// the same chip instance ages consistently.
  ProgrammedBlock program(const Eigen::Ref<const ColMatrix>& wNorm, std::uint64_t blockKey, double tSeconds) const;
  /// The same, writing slice s's effective weights into gEffOut[s] (each wNorm's size; e.g. the block's place
  /// in a layer's matrix) instead of ProgrammedBlock::gEff, which stays empty: no per-block copy.
  ProgrammedBlock program(const Eigen::Ref<const ColMatrix>& wNorm, std::uint64_t blockKey, double tSeconds,
                          std::vector<Eigen::Ref<ColMatrix>>& gEffOut) const;
  /// Quantised weights on ideal devices (no variation, drift, faults, IR drop or per-weight read noise):
  /// every cell is a function of its signed digit alone (digitCells()).
  bool exactCells() const { return m_p.weightBits > 0 && idealDevices(); }
  /// The cell of each signed digit d = −L … L on ideal devices, at index d + L (L = cellLevels()); the same
  /// values program() gives such a cell.
  std::vector<CellValue> digitCells() const;
  /// Largest digit of a cell: 2^min(cell_bits, weight_bits) − 1 (0 for analog weights).
  int cellLevels() const;
  /// exactCells() only: program a block as signed digits, digitsOut[s](r, c) = ±digit of weight (r, c) in
  /// slice s (its effective weight is digitCells()[digit + L].gEff), with program()'s conductance sums.
  ProgrammedBlock programDigits(const Eigen::Ref<const ColMatrix>& wNorm,
                                std::vector<Eigen::Ref<DigitMatrix>>& digitsOut) const;
  /// Read-noise variance per weight (w_eff² units) when it is the same for every weight (absolute model:
  /// devices·(σ·Gmax)²/ΔG², ×4 for the offset mapping's 2/ΔG scale), else −1 (use ProgrammedBlock::readVar).
  double uniformReadVariance() const;
  /// Digital recombination weight of slice s: ŵ = Σ_s sliceWeight(s)·d_s.
  float sliceWeight(int s) const;
  std::uint64_t cyclesPerVector(int phases) const { return static_cast<std::uint64_t>(m_p.readCycles) * phases; }
  /// Cycles to program `rows` rows of an array: rows one after another, each row's cells in parallel.
  std::uint64_t writeCycles(int rows) const { return static_cast<std::uint64_t>(m_p.writeCyclesPerRow) * rows; }
  const CrossbarParams& params() const { return m_p; }
  const DeviceNoiseParams& noise() const { return m_noise; }

 private:
  struct StaticEffects {
    bool varies, drifts, faults;  // programming variation (σ > 0 or a σ that is not the absolute/relative 0), drift, stuck-at faults
  };
  StaticEffects staticEffects() const;
  bool idealDevices() const;
  /// Each weight's quantised magnitude code round(|clamp(w, −1, 1)|·(2^weight_bits − 1)), column-major.
  std::vector<std::uint64_t> magnitudeCodes(const Eigen::Ref<const ColMatrix>& wNorm) const;
  /// The conductance sum and device count of ideal cells, from how many cells hold each signed digit.
  ProgrammedBlock idealCellSums(const std::vector<std::int64_t>& cellsPerDigit, const std::vector<CellValue>& cells) const;

  CrossbarParams m_p;
  DeviceNoiseParams m_noise;
};

}  // namespace mxsim
