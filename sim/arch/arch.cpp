#include "sim/arch/arch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "models/common/technology.h"
#include "models/converters/adc_survey.h"
#include "models/memory/memory_cost.h"
#include "sim/core/actions.h"
#include "sim/core/error.h"

namespace mxsim {

namespace {
constexpr double kDerivedEnergy = -1.0;  // no fixed default: ChipParams::fromYaml derives it from the blocks

struct EnergyDefault {
  const char* component;
  const char* name;
  double joules;
  double nodeNm;  // node the default was published at (0: not a CMOS figure, never scaled)
  const char* meaning;
  const char* source;
};

// Defaults per action. Derivations are in docs/models.md (energy section).
const EnergyDefault kEnergyDefaults[] = {
    {"crossbar", "cell_read", kDerivedEnergy, 0,
     "one device taking part in one MVM pass, at full scale (V_read across it, G = Gmax); scaled at report time by "
     "the layer's mean (v/V_read)² x G/Gmax. Absent: V_read² x Gmax x t_read (t_read = read_cycles / clock)",
     "derived: chip.tile.array.read_voltage, device.g_max, read_cycles (docs/models.md); e.g. ISAAC array 0.3 mW at "
     "100 ns per 128x128 read = 1.8 fJ/cell (sim/presets/isaac.yaml)"},
    {"crossbar", "cell_write", 16.82e-12, 0,
     "one device programmed to its weight (counted when chip.mapping.overflow: time_multiplex reprograms arrays)",
     "Lee et al. ISCA 2009, PCM array write energy 16.82 pJ/bit"},
    {"adc", "convert", 1.56e-12, 0,
     "one column conversion; used only with chip.tile.array.adc.energy_model: table (walden and scaled_sar derive it)",
     "ISAAC 8-bit SAR ADC: 2 mW at 1.28 GS/s"},
    // sram.* and tile_buffer.*: the defaults below are replaced by the memory model (memcost::energyPerBitJ) for
    // the configured capacity and node; the sources name its anchor.
    {"sram", "read_bit", 0.156e-12, 0,
     "one bit read from the global buffer, or, with tile memories (chip.tile.memory > 0), from a tile memory; "
     "default derived from the memory's capacity per bank and the node (docs/memory.md)",
     "Horowitz ISSCC 2014, 45 nm: 64-bit access 10 pJ at 8 KB, 20 pJ at 32 KB, 100 pJ at 1 MB (sqrt(capacity) "
     "law), moved to chip.technology_node"},
    {"sram", "write_bit", 0.156e-12, 0, "one bit written to the global buffer or a tile memory (as read_bit)",
     "as sram.read_bit"},
    {"tile_buffer", "read_bit", 0.078e-12, 0,
     "one bit read from a tile's input or output buffer; default derived from the input buffer's capacity and the "
     "node (docs/memory.md)",
     "Horowitz ISSCC 2014 SRAM law (as sram.read_bit) at the input-buffer capacity: 0.078 pJ for 2 KB at 45 nm"},
    {"tile_buffer", "write_bit", 0.078e-12, 0, "one bit written to a tile's input or output buffer",
     "as tile_buffer.read_bit"},
    {"digital", "add", 0.1e-12, tech::kHorowitzNodeNm,
     "one 32-bit integer add (accumulation, residual add); default: the 45 nm figure moved to chip.technology_node",
     "Horowitz ISSCC 2014: 32-bit int add 0.1 pJ at 45 nm"},
    {"digital", "op", 0.03e-12, tech::kHorowitzNodeNm,
     "one 8-bit ALU op (rescale, bias, multiply, affine); default: the 45 nm figure moved to chip.technology_node",
     "Horowitz ISSCC 2014: 8-bit int add 0.03 pJ at 45 nm"},
    {"sample_hold", "sample", 10e-6 * 100e-9 / 1024, tech::kIsaacNodeNm, "one column sampled and held for its ADC (one per conversion)",
     "ISAAC Table I: 8 x 128 S+H per IMA 10 uW, each sampling once per 100 ns read: 10 uW x 100 ns / 1024"},
    {"accumulator", "add", 0.1e-12, tech::kHorowitzNodeNm,
     "one 32-bit add of an accumulator (partial sums of row blocks, offset term, residual add)",
     "Horowitz ISSCC 2014: 32-bit int add 0.1 pJ at 45 nm"},
    {"activation", "op", 0.03e-12, tech::kHorowitzNodeNm, "one op of an activation/softmax unit (compare, LUT step)",
     "Horowitz ISSCC 2014: 8-bit int add 0.03 pJ at 45 nm"},
    {"pool", "op", 0.03e-12, tech::kHorowitzNodeNm, "one compare or add of a pooling unit",
     "Horowitz ISSCC 2014: 8-bit int add 0.03 pJ at 45 nm"},
    {"bus", "bit", 7e-3 / (256 * 1.2e9), tech::kIsaacNodeNm, "one bit carried between a tile memory and its arrays/units",
     "ISAAC Table I: eDRAM-to-IMA bus 7 mW per tile at the eDRAM's 256 bit x 1.2 GHz: 22.8 fJ/bit"},
    {"output_buffer", "read_bit", 0.078e-12, tech::kHorowitzNodeNm, "one bit read from the arrays' output registers",
     "Horowitz ISSCC 2014 SRAM law at 2 KB (as tile_buffer): 0.078 pJ at 45 nm, moved to chip.technology_node"},
    {"output_buffer", "write_bit", 0.078e-12, tech::kHorowitzNodeNm, "one bit written to the arrays' output registers",
     "Horowitz ISSCC 2014 SRAM law at 2 KB (as tile_buffer): 0.078 pJ at 45 nm, moved to chip.technology_node"},
    {"output_register", "read_bit", 0.078e-12, tech::kHorowitzNodeNm, "one bit read from a tile's output register",
     "Horowitz ISSCC 2014 SRAM law at 2 KB (as tile_buffer): 0.078 pJ at 45 nm, moved to chip.technology_node"},
    {"output_register", "write_bit", 0.078e-12, tech::kHorowitzNodeNm, "one bit written to a tile's output register",
     "Horowitz ISSCC 2014 SRAM law at 2 KB (as tile_buffer): 0.078 pJ at 45 nm, moved to chip.technology_node"},
    {"io", "bit", 10.4 / (4 * 6.4e9 * 8), 0, "one bit over the chip's off-chip links (chip.io)",
     "ISAAC Table I: 4 HyperTransport links of 6.4 GB/s, 10.4 W: 10.4 W / 204.8 Gbit/s = 50.8 pJ/bit"},
};
}  // namespace

EnergyTable EnergyTable::fromConfig(ConfigReader& r, double technologyNodeNm,
                                    const std::map<std::string, double>& derived) {
  EnergyTable t;
  std::map<std::string, ConfigReader> sections;
  for (const auto& d : kEnergyDefaults) {
    auto it = sections.find(d.component);
    if (it == sections.end()) it = sections.emplace(d.component, r.child(d.component)).first;
    const std::string action = fmt::format("{}.{}", d.component, d.name);
    const std::string given = fmt::format("architecture (file or --set): {}", it->second.keyPath(d.name));
    if (d.joules == kDerivedEnergy) {
      const auto v = it->second.getOptionalQuantity(d.name, Dimension::Energy, "derived", 0.0, 1e-3, d.meaning,
                                                    {d.source});
      if (v) {  // explicit price; absent ones are set by the block models
        t.m_perAction[action] = *v;
        t.m_source[action] = given;
      }
      continue;
    }
    const auto model = derived.find(action);
    const double def = model != derived.end() ? model->second
                       : d.nodeNm > 0    ? d.joules * tech::energyScale(d.nodeNm, technologyNodeNm)
                                         : d.joules;
    t.m_source[action] = it->second.given(d.name) ? given
                         : model != derived.end()
                             ? fmt::format("default, from the memory model: {}", d.source)
                         : d.nodeNm > 0 && d.nodeNm != technologyNodeNm
                             ? fmt::format("default, moved from {} nm to {} nm: {}", d.nodeNm, technologyNodeNm, d.source)
                             : fmt::format("default: {}", d.source);
    t.m_perAction[action] = it->second.getQuantity(d.name, Dimension::Energy, def, 0.0, 1e-3, d.meaning, {d.source});
  }
  for (auto& [name, reader] : sections) reader.finish();
  r.finish();
  return t;
}

void EnergyTable::set(const std::string& actionName, double joules, std::string source) {
  m_perAction[actionName] = joules;
  m_source[actionName] = std::move(source);
}

double EnergyTable::joulesPer(const std::string& actionName) const {
  auto it = m_perAction.find(actionName);
  if (it == m_perAction.end()) throw Error(fmt::format("energy table has no entry for action '{}'", actionName));
  return it->second;
}

LeakageParams LeakageParams::fromConfig(ConfigReader& r, const LeakageParams& d) {
  LeakageParams p;
  p.perArrayW = r.getQuantity(
      "array", Dimension::Power, d.perArrayW, 0.0, 1.0,
      "static power of one array with its DACs/ADCs while the chip is on; default: NeuroSim's per-subarray share "
      "at 22 nm moved to chip.technology_node (docs/models.md)",
      {"NeuroSim V1.4 manual Fig. 27 p. 31 (VGG-8, 22 nm RRAM): chip leakage 628.781 uW / 4048 subarrays of "
       "128x128 = 0.155 uW (docs/neurosim.md)"});
  p.sramW = r.getQuantity(
      "sram", Dimension::Power, d.sramW, 0.0, 100.0,
      "static power of the global buffer (leakage, plus refresh for chip.sram.technology: edram); default from "
      "its capacity and the node (docs/memory.md)",
      {"Giterman et al., IEEE SSC-L 3, 2020, 16 nm 1-Mbit eDRAM: 105 uW leakage, 276 uW refresh"});
  p.tileMemoryW = r.getQuantity(
      "tile_memory", Dimension::Power, d.tileMemoryW, 0.0, 100.0,
      "static power of one tile memory (chip.tile.memory; refresh included for memory_technology: edram); default "
      "from its capacity and the node (docs/memory.md)",
      {"as leakage.sram"});
  p.digitalW = r.getQuantity(
      "digital", Dimension::Power, d.digitalW, 0.0, 100.0,
      "static power of all digital lanes (chip.digital.lanes, plus chip.tile.digital_lanes per tile with tile "
      "memories); default 2.4 uW per lane at 40 nm moved to chip.technology_node",
      {"Aladdin (Shao et al., ISCA 2014) 40 nm 32-bit adder: leakage 2.4 uW (Accelergy hwcomponents-library, "
       "aladdin.py)"});
  p.denoiserW = r.getQuantity(
      "denoiser", Dimension::Power, d.denoiserW, 0.0, 100.0,
      "static power of the denoiser engine, when the chip has one: its MACs plus its weight memory and line "
      "buffer; default from chip.denoiser and the node (docs/models.md)",
      {"Aladdin 40 nm: 32-bit adder 2.4 uW, 32-bit multiplier 80 uW (x (8/32)^2 for 8 bits); memories as "
       "leakage.sram"});
  p.gateUnusedArrays =
      r.getBool("gate_unused_arrays", p.gateUnusedArrays, "arrays that hold no weights are power-gated and do not leak");
  r.finish();
  return p;
}

TileParams TileParams::fromConfig(ConfigReader& tile) {
  TileParams p;
  p.inputBufferBytes = tile.getQuantity("input_buffer", Dimension::Bytes, p.inputBufferBytes, 16, 1 << 30,
                                        "tile input buffer: the slice of a layer input its arrays read",
                                        {"ISAAC: 2 KB input register per IMA"});
  p.outputBufferBytes = tile.getQuantity("output_buffer", Dimension::Bytes, p.outputBufferBytes, 16, 1 << 30,
                                         "tile output buffer: partial sums waiting to leave the tile",
                                         {"ISAAC: 256 B output register per IMA"});
  p.bufferWordBits = static_cast<int>(tile.getInt("buffer_word_bits", p.bufferWordBits, 8, 8192,
                                                  "bits per tile-buffer access (one access per cycle)", "bits",
                                                  {"assumption: the 128-bit width of ISAAC's IMA input path"}));
  p.partialSumBits = static_cast<int>(tile.getInt(
      "partial_sum_bits", p.partialSumBits, 1, 64, "width of one partial sum sent from a tile to the digital unit", "bits",
      {"ISAAC: 16-bit outputs after shift-and-add"}));
  p.memoryBytes = tile.getQuantity(
      "memory", Dimension::Bytes, p.memoryBytes, 0, 1 << 30,
      "per-tile activation memory (eDRAM/SRAM) holding the input rows of the layers mapped on the tile; 0: none, "
      "activations live in the global buffer and the chip runs the global-buffer model (docs/chip.md)",
      {"ISAAC: 64 KB eDRAM per tile"});
  p.memoryTechnology = tile.getEnum<MemoryTechnology>(
      "memory_technology", p.memoryTechnology, {{"sram", MemoryTechnology::Sram}, {"edram", MemoryTechnology::Edram}},
      "bit cell of the tile memory: sram or edram (refreshed: adds refresh power, docs/memory.md)",
      {"ISAAC: eDRAM tile buffers"});
  p.memoryWordBits = static_cast<int>(tile.getInt(
      "memory_word_bits", p.memoryWordBits, 8, 1 << 16, "bits per tile-memory access, one read or write per cycle", "bits",
      {"ISAAC: 256-bit eDRAM-to-IMA bus per tile"}));
  p.outputRegisterBytes = tile.getQuantity(
      "output_register", Dimension::Bytes, p.outputRegisterBytes, 0, 1 << 30,
      "a tile-level output register holding the tile's merged outputs before they leave; 0: none",
      {"ISAAC Table I: 3 KB output register (OR) per tile"});
  p.digitalLanes = static_cast<int>(tile.getInt(
      "digital_lanes", p.digitalLanes, 1, 1 << 16,
      "ALU lanes of a tile's own digital unit (row-block accumulation, activation, pooling, residual add); used "
      "when chip.tile.memory > 0",
      "lanes", {"ISAAC: per tile 12 IMAs x 4 shift-and-add units plus the tile's S+A, sigmoid and max-pool units"}));
  return p;
}

IoParams IoParams::fromConfig(ConfigReader& r) {
  IoParams p;
  p.links = static_cast<int>(r.getInt(
      "links", p.links, 0, 1024,
      "off-chip links carrying the images in and the results out (priced per io.bit, area.io_link each, and "
      "timed at their bandwidth in the dataflow model); 0: off-chip I/O not modelled",
      "links", {"ISAAC Table I: 4 HyperTransport links"}));
  p.linkBytesPerSecond = r.getQuantity("link_bandwidth", Dimension::Bandwidth, p.linkBytesPerSecond, 1e3, 1e15,
                                       "bandwidth of one off-chip link, one direction",
                                       {"ISAAC Table I: HyperTransport 6.4 GB/s per link"});
  r.finish();
  return p;
}

AreaParams AreaParams::fromConfig(ConfigReader& r, double technologyNodeNm) {
  AreaParams p;
  // ISAAC's CMOS areas are 32 nm figures: move them to the chip's node (crossbar cells do not scale with CMOS).
  const double a32 = tech::areaScale(tech::kIsaacNodeNm, technologyNodeNm);
  const std::vector<std::string> isaac = {"ISAAC (Shafiee et al., ISCA 2016) Table 2, 32 nm"};
  p.arrayM2 = r.getQuantity("array", Dimension::Area, p.arrayM2, 0.0, 1.0, "one crossbar array (cells only)",
                            {"ISAAC: 8 arrays of 128x128 take 0.0002 mm2 -> 25 um2 each"});
  p.dacM2 = r.getQuantity("dac", Dimension::Area, 0.166e-12, 0.0, 1.0,
                          "one DAC unit cell, a 1-bit row driver: a bit-serial DAC is one, a multibit DAC 2^bits - 1 "
                          "(binary-weighted, the units its energy model charges)",
                          {"ISAAC: 8 x 128 1-bit DACs take 0.00017 mm2 -> 0.166 um2 each"});
  p.adcM2 = r.getOptionalQuantity("adc", Dimension::Area, "derived from the ADC's bits", 0.0, 1.0,
                                  "one ADC; absent: a SAR ADC takes the scaled 32 nm SAR table at "
                                  "chip.tile.array.adc.bits (361 um2 at 4 bits, 1200 um2 at 8, 3002 um2 at 10), "
                                  "a flash or ramp ADC, or energy_model: survey, the survey fit at its sample rate "
                                  "(docs/converters.md)",
                                  {"Kull et al. ISSCC 2013 scaled per Saberi et al. TCAS-I 2011 (Accelergy "
                                   "hwcomponents-library ISAAC ADC table); ISAAC: 8 ADCs take 0.0096 mm2 -> "
                                   "0.0012 mm2 each; "
                                   "survey: Murmann ADC survey 1997-2023 area fit, Andrulis et al. arXiv:2404.06553"})
                .value_or(kDeriveArea);
  p.sramPerKibM2 = r.getQuantity("sram_per_kib", Dimension::Area, 1.3e-9 * a32, 0.0, 1.0,
                                 "global buffer and tile memory area per KiB (default: 32 nm figure moved to "
                                 "chip.technology_node)",
                                 {"ISAAC: 64 KB eDRAM 0.083 mm2 -> 0.0013 mm2/KiB"});
  p.tileBufferPerKibM2 = r.getQuantity("tile_buffer_per_kib", Dimension::Area, 1.05e-9 * a32, 0.0, 1.0,
                                       "tile input/output buffer area per KiB (default: 32 nm figure moved to "
                                       "chip.technology_node)",
                                       {"ISAAC: 2 KB input register 0.0021 mm2 -> 0.00105 mm2/KiB"});
  p.digitalPerLaneM2 = r.getQuantity("digital_per_lane", Dimension::Area, 1.5e-9 * a32, 0.0, 1.0,
                                     "digital unit area per ALU lane (accumulate, activation, pooling; default: 32 "
                                     "nm figure moved to chip.technology_node)",
                                     {"ISAAC: shift-and-add, sigmoid and max-pool units of a tile ~0.0012 mm2 / "
                                      "~8 lanes (estimate)"});
  p.sampleHoldM2 = r.getQuantity("sample_hold", Dimension::Area, 0.039e-12 * a32, 0.0, 1.0,
                                 "one sample-and-hold circuit (one per array column)",
                                 {"ISAAC Table I: 8 x 128 S+H per IMA take 0.00004 mm2 -> 0.039 um2 each"});
  p.outputBufferPerKibM2 = r.getQuantity("output_buffer_per_kib", Dimension::Area, 3.08e-9 * a32, 0.0, 1.0,
                                         "the arrays' output registers (chip.tile.output_buffer) per KiB",
                                         {"ISAAC Table I: 256 B output register per IMA 0.00077 mm2 -> 0.00308 mm2/KiB"});
  p.outputRegisterPerKibM2 = r.getQuantity("output_register_per_kib", Dimension::Area, 1.067e-9 * a32, 0.0, 1.0,
                                           "a tile's output register (chip.tile.output_register) per KiB",
                                           {"ISAAC Table I: 3 KB tile output register 0.0032 mm2 -> 0.00107 mm2/KiB"});
  p.busPerArrayM2 = r.getQuantity("bus_per_array", Dimension::Area, 937.5e-12 * a32, 0.0, 1.0,
                                  "the tile memory-to-arrays bus, per array it reaches (tiles with chip.tile.memory)",
                                  {"ISAAC Table I: eDRAM-to-IMA bus 0.090 mm2 per tile of 12 x 8 arrays"});
  p.accumulatorM2 = r.getQuantity("accumulator", Dimension::Area, 60e-12 * a32, 0.0, 1.0,
                                  "one accumulator (chip.digital.accumulators)",
                                  {"ISAAC Table I: tile S+A 0.00006 mm2"});
  p.activationUnitM2 = r.getQuantity("activation_unit", Dimension::Area, 300e-12 * a32, 0.0, 1.0,
                                     "one activation unit (chip.digital.activation_units)",
                                     {"ISAAC Table I: 2 sigmoid units per tile 0.0006 mm2"});
  p.poolUnitM2 = r.getQuantity("pool_unit", Dimension::Area, 240e-12 * a32, 0.0, 1.0, "one pooling unit (chip.digital.pool_units)",
                               {"ISAAC Table I: max-pool unit 0.00024 mm2"});
  p.ioLinkM2 = r.getQuantity("io_link", Dimension::Area, 5.72e-6, 0.0, 1.0, "one off-chip link with its PHY (chip.io.links)",
                             {"ISAAC Table I: 4 HyperTransport links 22.88 mm2"});
  r.finish();
  return p;
}

PowerParams PowerParams::fromConfig(ConfigReader& r) {
  PowerParams p;
  p.windowSeconds = r.getQuantity("window", Dimension::Time, p.windowSeconds, 1e-12, 1.0,
                                  "peak power: the largest energy within any window of this length, divided by it "
                                  "(resolution: layer intervals; docs/chip.md)");
  r.finish();
  return p;
}

MappingParams MappingParams::fromConfig(ConfigReader& r) {
  MappingParams p;
  p.overflow = r.getEnum<MappingOverflow>(
      "overflow", p.overflow,
      {{policyName(MappingOverflow::Error), MappingOverflow::Error},
       {policyName(MappingOverflow::TimeMultiplex), MappingOverflow::TimeMultiplex}},
      "a model needing more arrays than the chip has: error (stating both numbers), or time_multiplex (analog "
      "layers in rounds that each fit the chip, arrays reprogrammed before every round)");
  p.multiplexBatch = static_cast<int>(r.getInt(
      "multiplex_batch", p.multiplexBatch, 1, 1 << 30,
      "time_multiplex: images streamed through each round per reprogramming; the per-image reprogramming "
      "time and energy are divided by it",
      "images"));
  p.replication = r.getEnum<Replication>(
      "replication", p.replication,
      {{policyName(Replication::None), Replication::None}, {policyName(Replication::Auto), Replication::Auto}},
      "auto: when the model fits in one round, spare arrays hold whole extra copies of the layers that stream "
      "the most vectors per copy; copies split the layer's input vectors");
  p.tileAligned = r.getBool(
      "tile_aligned", p.tileAligned,
      "every layer, and the group of its extra copies, starts on a fresh tile (no two layers share a tile), so each "
      "tile memory holds the input rows of one layer; arrays left over at the end of a layer's last tile stay empty");
  r.finish();
  return p;
}

double ChipParams::totalLeakageW(int arraysUsed, bool denoiserEngine) const {
  double t = 0;
  for (const auto& [k, w] : leakageByComponentW(arraysUsed, denoiserEngine)) t += w;
  return t;
}

std::map<std::string, double> ChipParams::leakageByComponentW(int arraysUsed, bool denoiserEngine) const {
  const int leaking = leakage.gateUnusedArrays ? arraysUsed : totalArrays();
  const double tileMemories = tile.memoryBytes > 0 ? static_cast<double>(tiles) : 0.0;
  std::map<std::string, double> w = {{"crossbar", leakage.perArrayW * leaking},
                                     {"sram", leakage.sramW + leakage.tileMemoryW * tileMemories},
                                     {"digital", leakage.digitalW}};
  if (denoiserEngine) w["denoiser"] = leakage.denoiserW;
  return w;
}

LeakageParams ChipParams::leakageDefaults() const {
  // Sources and equations: docs/models.md, "Leakage". Each figure is moved from its node to the chip's.
  constexpr double kNeuroSimNodeNm = 22.0;
  constexpr double kNeuroSimArrayW = 628.781e-6 / 4048;  // NeuroSim V1.4 Fig. 27: chip leakage / subarrays
  constexpr double kAdderLeakW = 2.4e-6;                 // Aladdin 40 nm 32-bit adder
  constexpr double kMultiplier32LeakW = 80e-6;           // Aladdin 40 nm 32-bit multiplier
  const double node = technologyNodeNm;
  const double aladdin = tech::leakageScale(tech::kAladdinNodeNm, node);
  // Every figure is a room-temperature (300 K) one; at chip.temperature subthreshold leakage grows with the
  // NMOS off-current (eDRAM refresh too: retention time ∝ 1 / the storage node's leakage current).
  const double hot = tech::leakageTemperatureScale(node, temperatureK);
  LeakageParams d;
  d.gateUnusedArrays = leakage.gateUnusedArrays;
  d.perArrayW = kNeuroSimArrayW * tech::leakageScale(kNeuroSimNodeNm, node) * hot;
  d.sramW = memcost::staticW(sram.capacityBytes, node, sram.technology) * hot;
  d.tileMemoryW = memcost::staticW(tile.memoryBytes, node, tile.memoryTechnology) * hot;
  const double lanes = digital.lanes + (tile.memoryBytes > 0 ? static_cast<double>(tiles) * tile.digitalLanes : 0.0);
  d.digitalW = lanes * kAdderLeakW * aladdin * hot;
  // A MAC = an 8-bit multiplier (array multiplier: gates grow as width^2) + a 32-bit accumulate adder.
  const double macW = (kMultiplier32LeakW * (8.0 / 32.0) * (8.0 / 32.0) + kAdderLeakW) * aladdin;
  d.denoiserW = (static_cast<double>(denoiser.cores) * denoiser.macsPerCore * macW +
                 memcost::leakageW(denoiser.weightMemoryBytes + denoiser.lineBufferBytes, node)) *
                hot;
  return d;
}

ChipParams ChipParams::fromYaml(const YAML::Node& root, ParamRegistry* registry) {
  ChipParams p;
  ConfigReader top(root, "", registry);
  ConfigReader chip = top.child("chip");
  p.name = chip.getString("name", p.name, "free-form name of the chip (reported)");
  p.technologyNodeNm =
      chip.getQuantity("technology_node", Dimension::Length, p.technologyNodeNm * 1e-9, tech::kMinNodeNm * 1e-9,
                       tech::kMaxNodeNm * 1e-9,
                       "CMOS node of the digital and mixed-signal parts: every energy, area and leakage default "
                       "declared at another node is moved to this one (Stillmaker-Baas factors, docs/models.md); "
                       "crossbar cells do not scale",
                       {"ISAAC (the default chip's template): 32 nm"}) *
      1e9;
  p.temperatureK = chip.getReal(
      "temperature", p.temperatureK, tech::kMinTemperatureK, tech::kMaxTemperatureK,
      "operating (junction) temperature in kelvin (300 K = 26.85 °C): every default leakage power is multiplied "
      "by I_off(T) / I_off(300 K) of NeuroSim's NMOS off-current table for the nearest node (x2.28 at 350 K, x4.33 "
      "at 400 K at 32 nm); a given leakage.* value is taken as at this temperature (docs/models.md)",
      {"NeuroSim V1.4 Technology.cpp: currentOffNmos 300-400 K (PTM HP 130-22 nm, 14 nm FinFET); its default "
       "temp = 300 K, the temperature of the shipped leakage figures"});
  p.clockHz = chip.getQuantity("clock", Dimension::Frequency, p.clockHz, 1e6, 10e9, "chip clock frequency",
                               {"ISAAC runs at 1.2 GHz"});
  p.tiles = static_cast<int>(chip.getInt("tiles", p.tiles, 1, 1 << 20, "tiles on the chip", "tiles"));
  p.schedule = chip.getEnum<Schedule>(
      "schedule", p.schedule, {{"sequential", Schedule::Sequential}, {"pipelined", Schedule::Pipelined}},
      "controller order: sequential (a step starts when the previous one is done) or pipelined (ISAAC-style: "
      "each step starts as soon as enough of its input is ready)");
  ConfigReader tile = chip.child("tile");
  p.arraysPerTile = static_cast<int>(tile.getInt(
      "arrays", p.arraysPerTile, 1, 4096,
      "analog arrays per tile; chip.tiles × arrays is at most 4194304 (2^22: ISAAC has 16128; every array is "
      "elaborated in the timing model)",
      "arrays", {"ISAAC: 8 arrays per in-situ MAC unit"}));
  if (static_cast<std::int64_t>(p.tiles) * p.arraysPerTile > kMaxTotalArrays)
    throw ConfigError(fmt::format("{}: chip.tiles × chip.tile.arrays = {} × {} = {} arrays, more than the {} allowed",
                                  tile.keyPath("arrays"), p.tiles, p.arraysPerTile,
                                  static_cast<std::int64_t>(p.tiles) * p.arraysPerTile, kMaxTotalArrays));
  p.tile = TileParams::fromConfig(tile);
  ConfigReader array = tile.child("array");
  p.array = ArrayParams::fromConfig(array);
  tile.finish();
  ConfigReader sram = chip.child("sram");
  p.sram = SramParams::fromConfig(sram);
  ConfigReader digital = chip.child("digital");
  p.digital = DigitalParams::fromConfig(digital);
  ConfigReader noc = chip.child("noc");
  p.noc = NocParams::fromConfig(noc);
  if (p.noc.concentration > 1 && p.tile.memoryBytes <= 0)
    throw ConfigError(fmt::format(
        "{}: value {} needs per-tile activation memories (chip.tile.memory > 0): the global-buffer model routes "
        "every tile through its own router",
        noc.keyPath("concentration"), p.noc.concentration));
  ConfigReader io = chip.child("io");
  p.io = IoParams::fromConfig(io);
  ConfigReader denoiser = chip.child("denoiser");
  p.denoiserPresence = denoiser.getEnum<DenoiserPresence>(
      "present", p.denoiserPresence, {{"auto", DenoiserPresence::Auto}, {"yes", DenoiserPresence::On}, {"no", DenoiserPresence::Off}},
      "whether the chip has a denoiser engine: auto (exactly when the model has denoiser blocks), yes, no");
  p.denoiser = DenoiserParams::fromConfig(denoiser, p.technologyNodeNm);
  ConfigReader mapping = chip.child("mapping");
  p.mapping = MappingParams::fromConfig(mapping);
  chip.finish();

  ConfigReader noise = top.child("noise");
  p.deviceNoise = DeviceNoiseParams::fromConfig(noise);
  p.arrayModel = noise.getEnum<ArrayModel>(
      "array", p.arrayModel, {{"physical", ArrayModel::Physical}, {"ideal", ArrayModel::Ideal}},
      "analog layers: physical = DAC/ADC quantization and device noise as configured; ideal = exact float "
      "x·W + b, so only activation noise (if any) perturbs them — the papers' abstraction; timing and area "
      "are unaffected, DAC and crossbar energy assume full-scale activity (no conversion is simulated)");
  ConfigReader activation = noise.child("activation");
  p.activationNoise = ActivationNoiseParams::fromConfig(activation);
  p.calibrationImages = static_cast<int>(noise.getInt(
      "calibration_images", p.calibrationImages, 1, 100000, "images used to calibrate per-layer ADC ranges (--data random: at most --images)", "images"));
  noise.finish();

  ConfigReader energy = top.child("energy");
  {
    // Memory prices from the memory model (docs/memory.md): with tile memories, nearly every sram.* bit the
    // dataflow model counts is a tile-memory bit, so sram.* takes the tile memory's price.
    const bool tileMemories = p.tile.memoryBytes > 0;
    const double sramBank = tileMemories ? p.tile.memoryBytes : p.sram.capacityBytes / p.sram.banks;
    const MemoryTechnology sramTech = tileMemories ? p.tile.memoryTechnology : p.sram.technology;
    const double sramBit = memcost::energyPerBitJ(sramBank, p.technologyNodeNm, sramTech);
    const double bufferBit = memcost::energyPerBitJ(p.tile.inputBufferBytes, p.technologyNodeNm);
    p.energy = EnergyTable::fromConfig(energy, p.technologyNodeNm,
                                       {{action::kSramReadBit, sramBit},
                                        {action::kSramWriteBit, sramBit},
                                        {"tile_buffer.read_bit", bufferBit},
                                        {"tile_buffer.write_bit", bufferBit}});
  }
  // Blocks that derive their energy per action from their own parameters price it here.
  p.energy.set(action::kSramSpillBit, p.sram.spillEnergyPerBit, "chip.sram.spill_energy_per_bit");
  for (const auto& [act, j] : p.denoiser.energyPerAction())  // incl. grng.sample
    p.energy.set(act, j, "the denoiser engine's model: chip.denoiser.energy.* and chip.denoiser.grng (docs/denoiser.md)");
  // The interconnect's and the scaled SAR ADC's defaults are ISAAC's 32 nm figures: moved to the chip's node
  // unless the configuration gives them (a given value is the chip's own).
  const double e32 = tech::energyScale(tech::kIsaacNodeNm, p.technologyNodeNm);
  const double a32 = tech::areaScale(tech::kIsaacNodeNm, p.technologyNodeNm);
  const bool hopGiven = noc.given("energy_per_bit_hop");
  if (!hopGiven) p.noc.energyPerBitHopJ *= e32;
  if (!noc.given("router_area"))  // ISAAC's router resized to this chip's ports and flit width, at its node
    p.noc.routerAreaM2 = routerAreaFor(meshRouterPorts(p.noc.concentration), p.noc.linkWidthBits) * a32;
  p.energy.set(action::kNocBitHop, p.noc.energyPerBitHopJ,
               hopGiven ? "architecture (file or --set): chip.noc.energy_per_bit_hop"
                        : "default: chip.noc.energy_per_bit_hop (ISAAC router, 32 nm) moved to chip.technology_node");
  const CrossbarParams& xb = p.array.xbar;
  p.energy.set(action::kDacConvert, DacCore(p.array.dac).energyPerConversionJ(xb.wordLineCapacitanceF(), xb.readVoltageV),
               "the DAC model: chip.tile.array.dac and the word line's capacitance (docs/models.md)");
  if (!p.energy.has(action::kXbarCellRead)) {
    p.energy.set(action::kXbarCellRead, xb.cellReadEnergyJ(xb.readCycles / p.clockHz),
                 "the crossbar model: read_voltage^2 x g_max x read time (docs/models.md)");
  }
  const AdcCore adc(p.array.adc);
  const double adcRateHz = adc.sampleRateHz(p.clockHz);  // the rate the chip runs its ADCs at
  const double adcJ = adc.energyPerConversionJ(p.clockHz, p.technologyNodeNm);
  if (adcJ >= 0.0) {  // scaled_sar (a 32 nm table, moved to the node), survey, walden; table keeps energy.adc.convert
    const bool survey = p.array.adc.energyModel == AdcEnergyModel::Survey;
    p.energy.set(action::kAdcConvert, adcJ,
                 survey ? fmt::format("the ADC model: chip.tile.array.adc energy_model: survey (Murmann's ADC survey "
                                      "fit, Andrulis et al. 2024) at {} bits, {:.4g} MS/s, {:g} nm (docs/converters.md)",
                                      p.array.adc.bits, adcRateHz * 1e-6, p.technologyNodeNm)
                        : std::string("the ADC model: chip.tile.array.adc (energy_model, docs/models.md)"));
  }
  ConfigReader area = top.child("area");
  p.area = AreaParams::fromConfig(area, p.technologyNodeNm);
  if (p.area.adcM2 == AreaParams::kDeriveArea) {
    if (adc.surveyArea() && p.array.adc.bits < adcsurvey::SurveyFit::kMinBits)
      throw ConfigError(fmt::format(
          "area.adc: not given, and the survey area model of a {} ADC (chip.tile.array.adc.type) is fitted for {} "
          "bits and more, but chip.tile.array.adc.bits is {}; give area.adc",
          p.array.adc.type == AdcType::Flash ? "flash" : p.array.adc.type == AdcType::Ramp ? "ramp" : "survey-priced",
          adcsurvey::SurveyFit::kMinBits, p.array.adc.bits));
    // SAR: the 32 nm table at the node; flash, ramp or energy_model: survey: the survey fit at the sample rate.
    p.area.adcM2 = adc.areaM2(p.clockHz, p.technologyNodeNm);
  }
  ConfigReader power = top.child("power");
  p.power = PowerParams::fromConfig(power);
  ConfigReader leakage = top.child("leakage");
  p.leakage = LeakageParams::fromConfig(leakage, p.leakageDefaults());
  top.finish();
  top.finishDocument();  // every key of the document, whichever sections called finish()
  return p;
}

namespace {

/// Whether `msg` names the key `path` as a whole word (not as part of a longer key).
bool namesKey(const std::string& msg, const std::string& path) {
  auto wordChar = [&](std::size_t i) {
    return i < msg.size() && (std::isalnum(static_cast<unsigned char>(msg[i])) || msg[i] == '_');
  };
  for (std::size_t at = msg.find(path); at != std::string::npos; at = msg.find(path, at + 1)) {
    const std::size_t end = at + path.size();
    const bool startsWord = at == 0 || !(wordChar(at - 1) || msg[at - 1] == '.');
    const bool endsWord = !wordChar(end) && !(end < msg.size() && msg[end] == '.' && wordChar(end + 1));
    if (startsWord && endsWord) return true;
  }
  return false;
}

/// Says where a validation message's culprit came from. ConfigReader's messages start with the key path; when
/// a --set override gave that key (or a key below the section named), the command line is blamed ("--set
/// chip.foo: unknown key 'foo' ..."), else the file, mentioning any --set key the message also names.
std::string blame(const std::string& file, const std::vector<std::string>& overrides, const std::string& msg) {
  const std::string lead = msg.substr(0, msg.find_first_of(": "));
  std::string exact, below;
  std::vector<std::string> named;
  for (const auto& o : overrides) {
    const std::string path = o.substr(0, o.find('='));
    if (path == lead) exact = path;
    else if (path.compare(0, lead.size() + 1, lead + ".") == 0) below = path;
    if (namesKey(msg, path) && std::find(named.begin(), named.end(), path) == named.end()) named.push_back(path);
  }
  if (!exact.empty()) return "--set " + msg;
  if (!below.empty()) return fmt::format("--set {}: {}", below, msg);
  if (!named.empty()) return fmt::format("{} with --set {}: {}", file, fmt::join(named, ", --set "), msg);
  return fmt::format("{}: {}", file, msg);
}

}  // namespace

namespace {
/// Deep merge: `over`'s keys replace `base`'s; where both hold a mapping, key by key.
YAML::Node mergeYaml(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string k = kv.first.Scalar();
    const YAML::Node old = out[k];
    out[k] = old.IsDefined() && !old.IsNull() ? mergeYaml(old, kv.second) : YAML::Clone(kv.second);
  }
  return out;
}

constexpr std::size_t kMaxBaseDepth = 8;

YAML::Node loadWithBase(const std::string& file, std::vector<std::string>& chain) {
  std::error_code ec;
  const std::string canon = std::filesystem::weakly_canonical(file, ec).string();
  if (std::find(chain.begin(), chain.end(), canon) != chain.end())
    throw ConfigError(fmt::format("{}: base: loops back to a file already in the chain ({})", file, fmt::join(chain, " -> ")));
  if (chain.size() >= kMaxBaseDepth)
    throw ConfigError(fmt::format("{}: base: more than {} files deep ({})", file, kMaxBaseDepth, fmt::join(chain, " -> ")));
  chain.push_back(canon);
  YAML::Node doc = loadYamlFile(file);
  const YAML::Node b = doc["base"];
  if (!b.IsDefined()) return doc;
  if (!b.IsScalar() || b.Scalar().empty())
    throw ConfigError(fmt::format("{}: base: expected a preset name (e.g. isaac) or the path of a YAML file", file));
  const std::string name = b.Scalar();
  std::filesystem::path path;
  if (name.find('/') == std::string::npos && name.find(".yaml") == std::string::npos) {
    path = std::filesystem::path(MXSIM_SOURCE_DIR) / "sim" / "presets" / (name + ".yaml");
    if (!std::filesystem::is_regular_file(path, ec)) {
      std::vector<std::string> presets;
      for (const auto& e : std::filesystem::directory_iterator(path.parent_path(), ec))
        if (e.path().extension() == ".yaml") presets.push_back(e.path().stem().string());
      std::sort(presets.begin(), presets.end());
      throw ConfigError(fmt::format("{}: base: no preset '{}' (presets: {})", file, name, fmt::join(presets, ", ")));
    }
  } else {
    path = name;
    if (path.is_relative()) path = std::filesystem::path(file).parent_path() / path;
  }
  YAML::Node base = loadWithBase(path.string(), chain);
  doc.remove("base");
  return mergeYaml(base, doc);
}
}  // namespace

YAML::Node resolvedArchYaml(const std::string& file, const std::vector<std::string>& overrides) {
  std::vector<std::string> chain;
  YAML::Node root = loadWithBase(file, chain);
  for (const auto& o : overrides) applyOverride(root, o);
  return root;
}

std::string yamlText(const YAML::Node& doc) {
  YAML::Emitter out;
  out << doc;
  return out.c_str();
}

std::string effectiveArchText(const std::string& file, const std::vector<std::string>& overrides) {
  const YAML::Node root = resolvedArchYaml(file, overrides);
  ParamRegistry registry;
  chipParamsOf(root, file, overrides, &registry);
  std::string text = fmt::format("# mxsim {}: the architecture of {}{}, base: chain resolved\n{}\n", MXSIM_VERSION,
                                 file, overrides.empty() ? "" : fmt::format(" with --set {}", fmt::join(overrides, " --set ")),
                                 yamlText(root));
  auto given = [&](const std::string& path) {
    YAML::Node n;
    n.reset(root);
    std::size_t from = 0;
    for (std::size_t dot = path.find('.');; from = dot + 1, dot = path.find('.', from)) {
      const std::string k = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
      if (!n.IsMap() || !n[k].IsDefined()) return false;
      n.reset(n[k]);
      if (dot == std::string::npos) return true;
    }
  };
  text += "# Not given, so at their defaults (mxsim params, docs/config.md; a default that another key moves, such as\n"
          "# a price at chip.technology_node, is the value shown only at that key's default):\n";
  for (const ParamDoc& d : registry.docs())
    if (!given(d.path)) text += fmt::format("#   {}: {}\n", d.path, d.defaultText);
  return text;
}

std::string textHash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

ChipParams chipParamsOf(const YAML::Node& resolved, const std::string& file, const std::vector<std::string>& overrides,
                        ParamRegistry* registry) {
  try {
    return ChipParams::fromYaml(resolved, registry);
  } catch (const ConfigError& e) {
    throw ConfigError(blame(file, overrides, e.what()));
  }
}

ChipParams loadChipParams(const std::string& file, const std::vector<std::string>& overrides) {
  return chipParamsOf(resolvedArchYaml(file, overrides), file, overrides);
}

std::string defaultArchPath() { return std::string(MXSIM_SOURCE_DIR) + "/sim/presets/default.yaml"; }

}  // namespace mxsim
