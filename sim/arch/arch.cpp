#include "sim/arch/arch.h"

#include <fmt/format.h>

#include "sim/core/actions.h"
#include "sim/core/error.h"

namespace mxsim {

namespace {
struct EnergyDefault {
  const char* component;
  const char* name;
  double joules;
  const char* meaning;
  const char* source;
};

// Defaults per action. Derivations are in docs/models.md (energy section).
const EnergyDefault kEnergyDefaults[] = {
    {"crossbar", "cell_read", 1.8e-15, "one device taking part in one MVM phase",
     "ISAAC array 0.3 mW at 100 ns per 128x128 read = 1.8 fJ/cell"},
    {"crossbar", "cell_write", 16.82e-12,
     "one device programmed to its weight (counted when chip.mapping.overflow: time_multiplex reprograms arrays)",
     "Lee et al. ISCA 2009, PCM array write energy 16.82 pJ/bit"},
    {"adc", "convert", 1.56e-12,
     "one column conversion; used only with chip.tile.array.adc.energy_model: table (walden derives it)",
     "ISAAC 8-bit SAR ADC: 2 mW at 1.28 GS/s"},
    {"sram", "read_bit", 0.156e-12, "one bit read from the global buffer",
     "Horowitz ISSCC 2014: 10 pJ per 64-bit access of an 8 KB SRAM at 45 nm"},
    {"sram", "write_bit", 0.156e-12, "one bit written to the global buffer", "Horowitz ISSCC 2014 (as read)"},
    {"digital", "add", 0.1e-12, "one 32-bit integer add (accumulation, residual add)",
     "Horowitz ISSCC 2014: 32-bit int add 0.1 pJ at 45 nm"},
    {"digital", "op", 0.03e-12, "one 8-bit op (activation, compare, scale)",
     "Horowitz ISSCC 2014: 8-bit int add 0.03 pJ at 45 nm"},
};
}  // namespace

EnergyTable EnergyTable::fromConfig(ConfigReader& r) {
  EnergyTable t;
  std::map<std::string, ConfigReader> sections;
  for (const auto& d : kEnergyDefaults) {
    auto it = sections.find(d.component);
    if (it == sections.end()) it = sections.emplace(d.component, r.child(d.component)).first;
    t.m_perAction[fmt::format("{}.{}", d.component, d.name)] =
        it->second.getQuantity(d.name, Dimension::Energy, d.joules, 0.0, 1e-3, d.meaning, {d.source});
  }
  for (auto& [name, reader] : sections) reader.finish();
  r.finish();
  return t;
}

void EnergyTable::set(const std::string& actionName, double joules) { m_perAction[actionName] = joules; }

double EnergyTable::joulesPer(const std::string& actionName) const {
  auto it = m_perAction.find(actionName);
  if (it == m_perAction.end()) throw Error(fmt::format("energy table has no entry for action '{}'", actionName));
  return it->second;
}

LeakageParams LeakageParams::fromConfig(ConfigReader& r) {
  LeakageParams p;
  p.perArrayW = r.getQuantity("array", Dimension::Power, 20e-6, 0.0, 1.0,
                              "static power of one array with its DACs/ADCs while the chip is on");
  p.sramW = r.getQuantity("sram", Dimension::Power, 10e-3, 0.0, 100.0, "static power of the global SRAM");
  p.digitalW = r.getQuantity("digital", Dimension::Power, 1e-3, 0.0, 100.0, "static power of the digital unit");
  p.gateUnusedArrays =
      r.getBool("gate_unused_arrays", true, "arrays that hold no weights are power-gated and do not leak");
  r.finish();
  return p;
}

MappingParams MappingParams::fromConfig(ConfigReader& r) {
  MappingParams p;
  p.overflow = r.getEnum<MappingOverflow>(
      "overflow", policyName(MappingOverflow::Error),
      {{policyName(MappingOverflow::Error), MappingOverflow::Error},
       {policyName(MappingOverflow::TimeMultiplex), MappingOverflow::TimeMultiplex}},
      "a model needing more arrays than the chip has: error (stating both numbers), or time_multiplex (analog "
      "layers in rounds that each fit the chip, arrays reprogrammed before every round)");
  p.multiplexBatch = static_cast<int>(r.getInt(
      "multiplex_batch", 1, 1, 1 << 30,
      "time_multiplex: images streamed through each round per reprogramming; the per-image reprogramming "
      "time and energy are divided by it",
      "images"));
  p.replication = r.getEnum<Replication>(
      "replication", policyName(Replication::None),
      {{policyName(Replication::None), Replication::None}, {policyName(Replication::Auto), Replication::Auto}},
      "auto: when the model fits in one round, spare arrays hold whole extra copies of the layers that stream "
      "the most vectors per copy; copies split the layer's input vectors");
  r.finish();
  return p;
}

double ChipParams::totalLeakageW(int arraysUsed) const {
  double t = 0;
  for (const auto& [k, w] : leakageByComponentW(arraysUsed)) t += w;
  return t;
}

std::map<std::string, double> ChipParams::leakageByComponentW(int arraysUsed) const {
  const int leaking = leakage.gateUnusedArrays ? arraysUsed : totalArrays();
  return {{"crossbar", leakage.perArrayW * leaking}, {"sram", leakage.sramW}, {"digital", leakage.digitalW}};
}

ChipParams ChipParams::fromYaml(const YAML::Node& root, ParamRegistry* registry) {
  ChipParams p;
  ConfigReader top(root, "", registry);
  ConfigReader chip = top.child("chip");
  p.name = chip.getString("name", "mxsim-default", "free-form name of the chip (reported)");
  p.clockHz = chip.getQuantity("clock", Dimension::Frequency, 1e9, 1e6, 10e9, "chip clock frequency",
                               {"ISAAC runs at 1.2 GHz"});
  p.tiles = static_cast<int>(chip.getInt("tiles", 128, 1, 1 << 20, "tiles on the chip", "tiles"));
  ConfigReader tile = chip.child("tile");
  p.arraysPerTile = static_cast<int>(tile.getInt("arrays", 8, 1, 4096, "analog arrays per tile", "arrays",
                                                 {"ISAAC: 8 arrays per in-situ MAC unit"}));
  ConfigReader array = tile.child("array");
  p.array = ArrayParams::fromConfig(array);
  tile.finish();
  ConfigReader sram = chip.child("sram");
  p.sram = SramParams::fromConfig(sram);
  ConfigReader digital = chip.child("digital");
  p.digital = DigitalParams::fromConfig(digital);
  ConfigReader grng = chip.child("grng");
  p.grng = GrngParams::fromConfig(grng);
  ConfigReader mapping = chip.child("mapping");
  p.mapping = MappingParams::fromConfig(mapping);
  chip.finish();

  ConfigReader noise = top.child("noise");
  p.deviceNoise = DeviceNoiseParams::fromConfig(noise);
  ConfigReader activation = noise.child("activation");
  p.activationNoise = ActivationNoiseParams::fromConfig(activation);
  p.calibrationImages = static_cast<int>(noise.getInt(
      "calibration_images", 256, 1, 100000, "images used to calibrate per-layer ADC ranges", "images"));
  noise.finish();

  ConfigReader energy = top.child("energy");
  p.energy = EnergyTable::fromConfig(energy);
  // Blocks that derive their energy per action from their own parameters price it here.
  p.energy.set(action::kSramSpillBit, p.sram.spillEnergyPerBit);
  p.energy.set(action::kGrngSample, p.grng.energyPerSampleJ);
  p.energy.set(action::kDacConvert, DacCore(p.array.dac).energyPerConversionJ());
  const double adcJ = AdcCore(p.array.adc).energyPerConversionJ();
  if (adcJ >= 0.0) p.energy.set(action::kAdcConvert, adcJ);  // Walden model; table mode keeps energy.adc.convert
  ConfigReader leakage = top.child("leakage");
  p.leakage = LeakageParams::fromConfig(leakage);
  top.finish();
  return p;
}

ChipParams loadChipParams(const std::string& file, const std::vector<std::string>& overrides) {
  YAML::Node root = loadYamlFile(file);
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  for (const auto& o : overrides) applyOverride(root, o);
  try {
    return ChipParams::fromYaml(root);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", file, e.what()));
  }
}

std::string defaultArchPath() { return std::string(MXSIM_SOURCE_DIR) + "/sim/presets/default.yaml"; }

}  // namespace mxsim
