// Contract: the whole chip's validated parameters, read from the architecture YAML (nested like the
// hardware) plus --set overrides. Unknown keys and out-of-range values are ConfigErrors naming the key.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/denoiser/denoiser.h"
#include "models/digital/digital.h"
#include "models/memory/sram.h"
#include "models/noise/activation_noise.h"
#include "models/noise/box_muller.h"
#include "models/noc/noc.h"
#include "models/noise/device_noise.h"
#include "models/tile/array_core.h"
#include "sim/core/config.h"

namespace mxsim {

/// Energy reference table: joules per action (action names as in sim/core/actions.h).
class EnergyTable {
 public:
  /// Defaults declared at a reference node are moved to `technologyNodeNm`; `derived` replaces the default of
  /// an action whose price a model derives from the chip's parameters (e.g. sram.read_bit).
  static EnergyTable fromConfig(ConfigReader& r, double technologyNodeNm = 45.0,
                                const std::map<std::string, double>& derived = {});
  double joulesPer(const std::string& actionName) const;  // throws if the action has no price
  bool has(const std::string& actionName) const { return m_perAction.count(actionName) > 0; }
  /// `source`: where the price comes from, as the report shows it (energy.prices).
  void set(const std::string& actionName, double joules, std::string source);
  const std::map<std::string, double>& entries() const { return m_perAction; }
  /// Where each price comes from: the architecture file's key, or the default with its citation, or the
  /// block model that derives it.
  const std::map<std::string, std::string>& sources() const { return m_source; }

 private:
  std::map<std::string, double> m_perAction;
  std::map<std::string, std::string> m_source;
};

/// Static (leakage) power per component instance, in watts. The defaults derive from cited figures at the
/// chip's node (leakageDefaults(); docs/models.md, "Leakage").
struct LeakageParams {
  double perArrayW = 0.0;
  double sramW = 0.0;        // the global buffer (bit-cell leakage, plus refresh when it is eDRAM)
  double tileMemoryW = 0.0;  // one tile memory (chip.tile.memory), likewise
  double digitalW = 0.0;     // every digital lane: the chip's unit and, with tile memories, the tiles' units
  double denoiserW = 0.0;    // the denoiser engine (when the chip has one)
  bool gateUnusedArrays = true;  // arrays holding no weights are power-gated (no leakage)
  /// `defaults` carries the derived default of every power (the declared defaults; a config value replaces it).
  static LeakageParams fromConfig(ConfigReader& r, const LeakageParams& defaults);
};

/// What the mapper does when the model needs more arrays than the chip has (docs/mapping.md).
enum class MappingOverflow {
  Error,          // a MappingError stating needed vs available arrays
  TimeMultiplex,  // analog layers grouped into rounds that each fit the chip; arrays reprogrammed between rounds
};
/// Whether spare arrays hold extra copies of layers (docs/mapping.md).
enum class Replication {
  None,  // one copy of every layer
  Auto,  // spare arrays replicate the layers that stream the most vectors per copy
};

inline const char* policyName(MappingOverflow o) {
  return o == MappingOverflow::Error ? "error" : "time_multiplex";
}
inline const char* policyName(Replication r) {
  return r == Replication::None ? "none" : "auto";
}

/// chip.mapping: the placement policies.
struct MappingParams {
  MappingOverflow overflow = MappingOverflow::Error;
  /// Images streamed through each round per reprogramming: the per-image reprogramming cost is divided by it.
  int multiplexBatch = 1;
  Replication replication = Replication::None;
  /// Each layer (and the group of its copies) starts on a fresh tile: a tile's memory serves one layer's inputs.
  bool tileAligned = false;
  static MappingParams fromConfig(ConfigReader& r);
};

/// How the controller orders the mapped program (docs/chip.md).
enum class Schedule {
  Sequential,  // one step after another; a layer starts when the previous one has written its output
  Pipelined,   // ISAAC-style: every step runs on its own hardware and starts as soon as enough of its input is
               // ready, so consecutive layers overlap
};
/// Whether the chip has a denoiser engine.
enum class DenoiserPresence {
  Auto,  // present exactly when the model has denoiser blocks
  On,    // always (its area and leakage count even if unused)
  Off,   // never: a model with denoiser blocks is an error
};

/// How analog layers compute in the functional engine (noise.array).
enum class ArrayModel {
  Physical,  // DAC/ADC quantisation and device noise as configured
  Ideal,     // exact float x·W + b: only activation noise (if any) perturbs the layer; timing, energy, area as physical
};

/// Tile-local buffers between the interconnect and the arrays (ISAAC: input/output registers per IMA).
struct TileParams {
  double inputBufferBytes = 2048;   // holds the layer input slice the tile's arrays read
  double outputBufferBytes = 256;   // holds the tile's partial sums before they leave
  int bufferWordBits = 128;         // bits per buffer access (one access per cycle per buffer)
  int partialSumBits = 16;          // width of a partial sum sent from a tile to the digital unit
  /// Per-tile activation memory (SRAM/eDRAM) holding the rows of the layer inputs the tile's arrays and
  /// digital unit consume; 0: none (activations live in the global buffer). With it, the chip runs the
  /// dataflow model (sim/timing/dataflow.h): layers stream rows tile to tile over the interconnect.
  double memoryBytes = 0;
  int memoryWordBits = 256;         // bits per memory access, one access per cycle (read or write)
  MemoryTechnology memoryTechnology = MemoryTechnology::Sram;  // bit cell of the tile memory (docs/memory.md)
  int digitalLanes = 8;             // ALU lanes of the tile's digital unit (shift-and-add, accumulate, act., pool)
  /// A tile-level output register holding the tile's merged outputs before they leave (ISAAC: 3 KB per tile);
  /// 0: none (the arrays' output buffers send directly).
  double outputRegisterBytes = 0;
  static TileParams fromConfig(ConfigReader& tile);
};

/// The chip's off-chip links (chip.io): images arrive and results leave through them.
struct IoParams {
  int links = 0;                      // 0: off-chip I/O not modelled (no time, energy or area)
  double linkBytesPerSecond = 6.4e9;  // per link, one direction
  static IoParams fromConfig(ConfigReader& r);
};

/// Area per component instance (m²), priced like energy: instance counts × this table (docs/chip.md).
struct AreaParams {
  double arrayM2 = 25e-12;              // one crossbar array (cells); sources in arch.cpp
  double dacM2 = 0.0;
  static constexpr double kDeriveArea = -1.0;  // adcM2 from the ADC model (AdcCore::areaM2), set by fromYaml
  double adcM2 = 0.0;
  double sramPerKibM2 = 0.0;
  double tileBufferPerKibM2 = 0.0;
  double digitalPerLaneM2 = 0.0;
  double sampleHoldM2 = 0.0;            // one sample-and-hold (one per array column)
  double outputBufferPerKibM2 = 0.0;    // the arrays' output registers (chip.tile.output_buffer)
  double outputRegisterPerKibM2 = 0.0;  // a tile's output register (chip.tile.output_register)
  double busPerArrayM2 = 0.0;           // tile memory-to-arrays bus, per array it serves (tiles with memory)
  double accumulatorM2 = 0.0;           // one accumulator (chip.digital.accumulators)
  double activationUnitM2 = 0.0;        // one activation unit (chip.digital.activation_units)
  double poolUnitM2 = 0.0;              // one pooling unit (chip.digital.pool_units)
  double ioLinkM2 = 0.0;                // one off-chip link with its PHY (chip.io.links)
  /// CMOS defaults declared at a reference node are moved to `technologyNodeNm` (crossbar cells are not).
  static AreaParams fromConfig(ConfigReader& r, double technologyNodeNm = 32.0);
};

/// Peak-power reporting.
struct PowerParams {
  double windowSeconds = 1e-6;  // peak power = the largest energy in any window of this length / the window
  static PowerParams fromConfig(ConfigReader& r);
};

struct ChipParams {
  std::string name = "mxsim-default";
  /// CMOS node of the digital/CMOS parts (chip.technology_node); scales every default declared at another node.
  static constexpr double kDefaultTechnologyNodeNm = 32.0;
  double technologyNodeNm = kDefaultTechnologyNodeNm;
  /// Operating (junction) temperature, K (chip.temperature): scales every default leakage with NeuroSim's
  /// off-current tables; 300 K is the temperature the shipped leakage figures are taken at (docs/models.md).
  static constexpr double kDefaultTemperatureK = 300.0;
  double temperatureK = kDefaultTemperatureK;
  double clockHz = 1e9;
  int tiles = 128;
  int arraysPerTile = 8;
  ArrayParams array;
  SramParams sram;
  DigitalParams digital;
  TileParams tile;
  NocParams noc;
  IoParams io;
  DenoiserParams denoiser;  // includes its Box-Muller GRNG units (chip.denoiser.grng)
  DenoiserPresence denoiserPresence = DenoiserPresence::Auto;
  Schedule schedule = Schedule::Sequential;
  MappingParams mapping;
  AreaParams area;
  PowerParams power;
  DeviceNoiseParams deviceNoise;
  ArrayModel arrayModel = ArrayModel::Physical;  // noise.array
  ActivationNoiseParams activationNoise;
  int calibrationImages = 256;
  EnergyTable energy;
  LeakageParams leakage;

  /// Bound on tiles × arraysPerTile (checked when the configuration is read), so the product fits an int.
  static constexpr std::int64_t kMaxTotalArrays = std::int64_t{1} << 22;
  int totalArrays() const { return tiles * arraysPerTile; }
  /// Static power with `arraysUsed` arrays holding weights (the rest gated if leakage.gate_unused_arrays).
  double totalLeakageW(int arraysUsed, bool denoiserEngine = false) const;
  /// Default static powers derived from the chip's parameters and node (docs/models.md, "Leakage").
  LeakageParams leakageDefaults() const;
  /// Leakage by component name ("crossbar", "sram" (global buffer and tile memories), "digital", "denoiser").
  std::map<std::string, double> leakageByComponentW(int arraysUsed, bool denoiserEngine = false) const;

  /// Validate a parsed document. With `registry`, every declared parameter is recorded for docs.
  static ChipParams fromYaml(const YAML::Node& root, ParamRegistry* registry = nullptr);
};

/// Load the YAML file, apply "key.path=value" overrides in order, validate.
ChipParams loadChipParams(const std::string& file, const std::vector<std::string>& overrides);

/// The architecture document a run uses: the file with its `base:` chain resolved (a top-level `base:` names
/// a bundled preset, sim/presets/<name>.yaml, or a YAML path relative to the file; the base's keys, then the
/// file's over them, maps merged key by key) and the overrides applied. Running with this document alone
/// gives the same chip. Throws ConfigError naming the file for a missing base or a loop.
YAML::Node resolvedArchYaml(const std::string& file, const std::vector<std::string>& overrides);

/// Validate a resolved document (resolvedArchYaml) as the chip of `file` with `overrides`: a ConfigError names
/// the file, or the --set key it came from. With `registry`, every declared parameter is recorded.
ChipParams chipParamsOf(const YAML::Node& resolved, const std::string& file, const std::vector<std::string>& overrides,
                        ParamRegistry* registry = nullptr);

/// A YAML document as text: what `mxsim config` prints and the run report embeds (arch.effective_yaml).
std::string yamlText(const YAML::Node& doc);

/// `mxsim config`: the resolved document as YAML text, then every parameter it leaves out with its default as
/// a comment (defaults that follow other keys, such as node-scaled prices, say so).
std::string effectiveArchText(const std::string& file, const std::vector<std::string>& overrides);

/// A stable 64-bit FNV-1a hash of a text, as 16 hex digits (the report's arch.effective_hash).
std::string textHash(const std::string& text);

/// Path of the bundled default architecture.
std::string defaultArchPath();

}  // namespace mxsim
