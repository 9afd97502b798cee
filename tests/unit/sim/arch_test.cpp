// Tests for the chip parameters (sim/arch/arch.h): the bundled default preset loads with the values it
// spells out, and every kind of user mistake (unknown key at any depth, out-of-range value, wrong unit,
// inconsistent conductances) is a ConfigError naming the file and the full key path; the energy table prices
// every known action and nothing else, and --set overrides reach it.
#include "sim/arch/arch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "models/common/technology.h"
#include "models/memory/memory_cost.h"
#include "models/noc/noc.h"
#include "sim/core/actions.h"
#include "sim/core/error.h"
#include "tests/support/error_matchers.h"

namespace mxsim {
namespace {

using testing::configErrorOf;
using testing::contains;
using testing::containsNumber;

/// A YAML file in the gtest temp dir, removed at scope exit.
class TempYaml {
 public:
  TempYaml(const std::string& name, const std::string& text)
      : m_path(::testing::TempDir() + "mxsim_arch_" + std::to_string(::getpid()) + "_" + name) {
    std::ofstream(m_path) << text;
  }
  ~TempYaml() { std::remove(m_path.c_str()); }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

TEST(ArchParams, DefaultPresetLoadsWithItsStatedValues) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  // Values as written in sim/presets/default.yaml.
  EXPECT_EQ(p.name, "mxsim-default");
  EXPECT_DOUBLE_EQ(p.clockHz, 1e9);
  EXPECT_EQ(p.tiles, 128);
  EXPECT_EQ(p.arraysPerTile, 8);
  EXPECT_EQ(p.totalArrays(), 1024);
  EXPECT_EQ(p.array.xbar.rows, 128);
  EXPECT_EQ(p.array.xbar.cols, 128);
  EXPECT_EQ(p.array.xbar.readCycles, 10);
  EXPECT_NEAR(p.array.xbar.gMinS, 0.1e-6, 1e-20);
  EXPECT_NEAR(p.array.xbar.gMaxS, 25e-6, 1e-20);
  EXPECT_EQ(p.array.dac.bits, 8);
  EXPECT_EQ(p.array.adc.bits, 8);
  EXPECT_EQ(p.array.adc.perArray, 8);
  EXPECT_EQ(p.array.adc.range, AdcRange::Calibrated);
  EXPECT_DOUBLE_EQ(p.sram.capacityBytes, 2.0 * 1024 * 1024);
  EXPECT_EQ(p.sram.wordBits, 256);
  EXPECT_EQ(p.sram.ports, 2);
  EXPECT_EQ(p.digital.lanes, 64);
  EXPECT_EQ(p.deviceNoise.variation, VariationModel::Absolute);
  EXPECT_DOUBLE_EQ(p.deviceNoise.sigma, 0.03);
  EXPECT_EQ(p.calibrationImages, 256);
  EXPECT_NEAR(p.energy.joulesPer(action::kAdcConvert), 1.67e-12, 1e-24);        // scaled_sar at 8 bits
  EXPECT_NEAR(p.energy.joulesPer(action::kXbarCellRead), 0.04 * 25e-6 * 10e-9, 1e-29);  // (0.2 V)² Gmax t_read
  EXPECT_NEAR(p.area.adcM2, 1200e-12, 1e-20);
  EXPECT_DOUBLE_EQ(p.technologyNodeNm, 32.0);
  // NeuroSim's 22 nm per-subarray leakage (628.781 uW / 4048) moved to 32 nm.
  EXPECT_NEAR(p.leakage.perArrayW, 628.781e-6 / 4048 * tech::leakageScale(22, 32), 1e-18);
}

TEST(ArchTechnology, NodeOutsideTheFitsNamesTheKey) {
  for (const char* set : {"chip.technology_node=3 nm", "chip.technology_node=250 nm"}) {
    const std::string msg = configErrorOf([&] { loadChipParams(defaultArchPath(), {set}); });
    EXPECT_TRUE(contains(msg, "chip.technology_node")) << msg;
  }
  EXPECT_THROW(loadChipParams(defaultArchPath(), {"chip.technology_node=32"}), ConfigError);  // no unit
}

TEST(ArchTechnology, ReferenceNodeDefaultsMoveToTheChipNodeButConfigValuesDoNot) {
  const ChipParams at45 = loadChipParams(defaultArchPath(), {"chip.technology_node=45 nm"});
  EXPECT_NEAR(at45.energy.joulesPer(action::kDigitalAdd), 0.1e-12, 1e-24);  // Horowitz's own node
  EXPECT_NEAR(at45.energy.joulesPer(action::kDigitalOp), 0.03e-12, 1e-24);
  const ChipParams at22 = loadChipParams(defaultArchPath(), {"chip.technology_node=22 nm"});
  EXPECT_NEAR(at22.energy.joulesPer(action::kDigitalAdd), 0.1e-12 * tech::energyScale(45, 22), 1e-24);
  EXPECT_LT(at22.energy.joulesPer(action::kDigitalAdd), at45.energy.joulesPer(action::kDigitalAdd));
  EXPECT_NEAR(at22.area.digitalPerLaneM2, 1.5e-9 * tech::areaScale(32, 22), 1e-20);
  // The ISAAC-derived converter and interconnect defaults move from 32 nm too; given values do not.
  const ChipParams at32 = loadChipParams(defaultArchPath(), {});
  EXPECT_NEAR(at22.energy.joulesPer(action::kAdcConvert),
              at32.energy.joulesPer(action::kAdcConvert) * tech::energyScale(32, 22), 1e-24);
  EXPECT_NEAR(at22.area.adcM2, at32.area.adcM2 * tech::areaScale(32, 22), 1e-18);
  EXPECT_NEAR(at22.energy.joulesPer(action::kNocBitHop), at32.energy.joulesPer(action::kNocBitHop) * tech::energyScale(32, 22),
              1e-24);
  EXPECT_NEAR(at22.noc.routerAreaM2, at32.noc.routerAreaM2 * tech::areaScale(32, 22), 1e-18);
  const ChipParams nocGiven =
      loadChipParams(defaultArchPath(), {"chip.technology_node=22 nm", "chip.noc.energy_per_bit_hop=0.2 pJ"});
  EXPECT_NEAR(nocGiven.energy.joulesPer(action::kNocBitHop), 0.2e-12, 1e-24);
  // Analog cells keep their price at any node.
  EXPECT_NEAR(at22.energy.joulesPer(action::kXbarCellRead), at45.energy.joulesPer(action::kXbarCellRead), 1e-30);
  EXPECT_DOUBLE_EQ(at22.area.arrayM2, at45.area.arrayM2);
  // A value given in the config is the chip's own: never rescaled.
  const ChipParams given = loadChipParams(defaultArchPath(), {"chip.technology_node=22 nm", "energy.digital.add=0.2 pJ"});
  EXPECT_NEAR(given.energy.joulesPer(action::kDigitalAdd), 0.2e-12, 1e-24);
  // The denoiser engine's 45 nm energies and areas move too.
  EXPECT_NEAR(at45.denoiser.macEnergyJ, 0.3e-12, 1e-24);
  EXPECT_NEAR(at22.denoiser.macEnergyJ, 0.3e-12 * tech::energyScale(45, 22), 1e-24);
  EXPECT_NEAR(at22.denoiser.coreAreaM2, 0.008e-6 * tech::areaScale(45, 22), 1e-18);
}

TEST(ArchTechnology, RouterAreaFollowsPortsAndFlitWidthFromIsaacsRouter) {
  // ISAAC's own router: 8 ports (4 neighbours + 4 tiles), 32-bit flits, 32 nm: 0.151 mm2, unscaled.
  EXPECT_DOUBLE_EQ(routerAreaFor(8, 32), 0.151e-6);
  EXPECT_DOUBLE_EQ(routerAreaFor(5, 32), 0.151e-6 * 5 / 8);
  EXPECT_DOUBLE_EQ(routerAreaFor(8, 64), 2 * 0.151e-6);
  EXPECT_EQ(meshRouterPorts(1), 5);
  EXPECT_EQ(meshRouterPorts(4), 8);
  // The default chip at ISAAC's node with ISAAC's concentration and flits has ISAAC's router; with one tile per
  // router it has 5 ports, with 128-bit links 4x the buffers.
  const ChipParams isaacLike =
      loadChipParams(defaultArchPath(), {"chip.technology_node=32 nm", "chip.noc.concentration=4",
                                         "chip.tile.memory=64 KiB"});
  EXPECT_NEAR(isaacLike.noc.routerAreaM2, 0.151e-6, 1e-18);
  const ChipParams one = loadChipParams(defaultArchPath(), {"chip.technology_node=32 nm"});
  EXPECT_NEAR(one.noc.routerAreaM2, 0.151e-6 * 5 / 8, 1e-18);
  const ChipParams wide = loadChipParams(defaultArchPath(), {"chip.technology_node=32 nm", "chip.noc.link_width=128"});
  EXPECT_NEAR(wide.noc.routerAreaM2, 4 * one.noc.routerAreaM2, 1e-18);
  EXPECT_NEAR(NocCore(wide.noc, wide.tiles).areaM2() / NocCore(one.noc, one.tiles).areaM2(), 4.0, 1e-12);
  // A given router area is the chip's own.
  const ChipParams given = loadChipParams(defaultArchPath(), {"chip.noc.router_area=0.2 mm2", "chip.noc.link_width=128"});
  EXPECT_NEAR(given.noc.routerAreaM2, 0.2e-6, 1e-18);
}

TEST(ArchTechnology, BufferPricesFollowTheMemoryModel) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  EXPECT_NEAR(p.energy.joulesPer(action::kSramReadBit), memcost::energyPerBitJ(128.0 * 1024, 32), 1e-24);  // a bank
  EXPECT_NEAR(p.energy.joulesPer("tile_buffer.read_bit"), memcost::energyPerBitJ(2048, 32), 1e-24);
  // Horowitz's anchor itself: an 8 KB buffer at 45 nm is 10 pJ per 64 bits.
  const ChipParams small = loadChipParams(defaultArchPath(), {"chip.technology_node=45 nm", "chip.sram.capacity=8 KiB", "chip.sram.banks=1"});
  EXPECT_NEAR(small.energy.joulesPer(action::kSramWriteBit), 10e-12 / 64, 1e-24);
  // Energy follows the bank: the default's 16 banks of 128 KiB cost a quarter of one 2 MiB bank per bit.
  const ChipParams single = loadChipParams(defaultArchPath(), {"chip.sram.banks=1"});
  EXPECT_NEAR(p.energy.joulesPer(action::kSramReadBit) * 4, single.energy.joulesPer(action::kSramReadBit), 1e-24);
  // With tile memories, sram.* bits are tile-memory bits and take the tile memory's price.
  const ChipParams tiles = loadChipParams(defaultArchPath(), {"chip.tile.memory=32 KiB"});
  EXPECT_NEAR(tiles.energy.joulesPer(action::kSramReadBit), memcost::energyPerBitJ(32 * 1024, 32), 1e-24);
}

TEST(ArchTechnology, LeakageDefaultsFromTheModels) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  EXPECT_NEAR(p.leakage.sramW, memcost::staticW(2048.0 * 1024, 32, MemoryTechnology::Sram), 1e-15);
  EXPECT_NEAR(p.leakage.digitalW, 64 * 2.4e-6 * tech::leakageScale(40, 32), 1e-15);
  EXPECT_DOUBLE_EQ(p.leakage.tileMemoryW, 0.0);
  // eDRAM adds its refresh power; tile memories leak once per tile.
  const ChipParams e = loadChipParams(defaultArchPath(), {"chip.sram.technology=edram", "chip.tile.memory=64 KiB",
                                                          "chip.tile.memory_technology=edram"});
  EXPECT_NEAR(e.leakage.sramW - p.leakage.sramW, memcost::refreshW(2048.0 * 1024, 32, MemoryTechnology::Edram), 1e-15);
  EXPECT_NEAR(e.leakage.tileMemoryW, memcost::staticW(64 * 1024, 32, MemoryTechnology::Edram), 1e-15);
  EXPECT_NEAR(e.leakageByComponentW(0).at("sram"), e.leakage.sramW + 128 * e.leakage.tileMemoryW, 1e-12);
  // Tile digital lanes leak too when the tiles have memories (128 tiles x 8 lanes + 64).
  EXPECT_NEAR(e.leakage.digitalW, (64 + 128 * 8) * 2.4e-6 * tech::leakageScale(40, 32), 1e-15);
  // A config value replaces the derived default.
  EXPECT_NEAR(loadChipParams(defaultArchPath(), {"leakage.sram=1 mW"}).leakage.sramW, 1e-3, 1e-15);
}

TEST(ArchTechnology, IsaacPresetKeepsItsOwnNumbers) {
  const ChipParams p = loadChipParams(defaultArchPath().substr(0, defaultArchPath().rfind('/')) + "/isaac.yaml", {});
  EXPECT_DOUBLE_EQ(p.technologyNodeNm, 32.0);
  EXPECT_NEAR(p.energy.joulesPer(action::kSramReadBit), 0.0673828125e-12, 1e-24);
  EXPECT_NEAR(p.energy.joulesPer(action::kDigitalAdd), 20.833333e-15, 1e-27);  // 0.2 mW / (8 x 1.2 GHz)
  EXPECT_NEAR(p.energy.joulesPer(action::kDigitalOp), 0.03e-12, 1e-24);
  EXPECT_DOUBLE_EQ(p.totalLeakageW(p.totalArrays()), 0.0);
  EXPECT_NEAR(p.area.sramPerKibM2, 1296.875e-12, 1e-20);
}

TEST(ArchParams, EmptyFileIsAnErrorNamingIt) {
  // An empty file (or /dev/null) silently ran every default (issue 18); leaving out --arch does that on purpose.
  const TempYaml f("empty.yaml", "");
  const std::string msg = configErrorOf([&] { loadChipParams(f.path(), {}); });
  EXPECT_TRUE(contains(msg, f.path() + ": file is empty")) << msg;
}

TEST(ArchParams, EmptyChipUsesBuiltInDefaults) {
  const TempYaml f("empty_chip.yaml", "chip: {}\n");
  const ChipParams p = loadChipParams(f.path(), {});
  EXPECT_EQ(p.tiles, 128);
  EXPECT_EQ(p.array.adc.bits, AdcParams::kDefaultBits);
  EXPECT_EQ(p.array.xbar.rows, CrossbarParams::kDefaultRows);
  EXPECT_DOUBLE_EQ(p.deviceNoise.sigma, DeviceNoiseParams::kDefaultSigma);
}

TEST(ArchParams, TilesTimesArraysIsBounded) {
  // Issue 18: 2^20 tiles x 2048 arrays overflowed int (the chip "had" -2147483648 arrays).
  const TempYaml f("big.yaml", "chip: {}\n");
  const std::string msg =
      configErrorOf([&] { loadChipParams(f.path(), {"chip.tiles=1048576", "chip.tile.arrays=2048"}); });
  EXPECT_TRUE(contains(msg, "chip.tiles × chip.tile.arrays = 1048576 × 2048 = 2147483648")) << msg;
  const ChipParams atBound = loadChipParams(f.path(), {"chip.tiles=1048576", "chip.tile.arrays=4"});
  EXPECT_EQ(atBound.totalArrays(), ChipParams::kMaxTotalArrays);
}

TEST(ArchParams, UnknownKeyInFileNamesFileAndFullPath) {
  const TempYaml f("typo.yaml", "chip:\n  tile:\n    array:\n      adc:\n        bits: 8\n        bitz: 6\n");
  const std::string msg = configErrorOf([&] { loadChipParams(f.path(), {}); });
  EXPECT_TRUE(contains(msg, f.path())) << msg;
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.bitz")) << msg;
}

TEST(ArchParams, UnknownKeyAnywhereIsRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"chip.tile.array.adc.bitz=8", "chip.tile.array.adc.bitz"},
      {"chipp.clock=1 GHz", "chipp"},
      {"chip.clck=1 GHz", "chip.clck"},
      {"chip.tile.aray.rows=64", "chip.tile.aray"},
      {"chip.tile.array.device.g_mid=1 uS", "chip.tile.array.device.g_mid"},
      {"chip.tile.array.dac.bit=4", "chip.tile.array.dac.bit"},
      {"chip.sram.size=1 MiB", "chip.sram.size"},
      {"chip.digital.lane=4", "chip.digital.lane"},
      {"noise.variation.sigmaa=0.1", "noise.variation.sigmaa"},
      {"noise.calib=3", "noise.calib"},
      {"energy.adc.convrt=1 pJ", "energy.adc.convrt"},
      {"energy.adcc.convert=1 pJ", "energy.adcc"},
      {"leakage.arrays=1 uW", "leakage.arrays"},
  };
  for (const auto& [set, path] : cases) {
    const std::string msg = configErrorOf([&, set = set] { loadChipParams(defaultArchPath(), {set}); });
    EXPECT_TRUE(contains(msg, path)) << set << ": " << msg;
    // The key came from the command line, not from the preset it was applied to (issue 18).
    EXPECT_TRUE(contains(msg, "--set " + path)) << set << ": " << msg;
    EXPECT_FALSE(contains(msg, defaultArchPath())) << set << ": " << msg;
  }
}

TEST(ArchParams, ErrorsBlameTheFileOrTheSetThatGaveTheKey) {
  // A --set of another key does not take the blame for the file's error, nor a --set of a shorter key.
  const TempYaml typo("blame_typo.yaml", "chip:\n  tile:\n    array:\n      adc:\n        bitsx: 3\n");
  std::string msg = configErrorOf([&] { loadChipParams(typo.path(), {"chip.tiles=8", "chip.tile.array.adc.bits=6"}); });
  EXPECT_EQ(msg.rfind(typo.path() + ": chip.tile.array.adc.bitsx: unknown key", 0), 0u) << msg;
  // The last --set of the key does, also when an earlier one was valid.
  msg = configErrorOf(
      [] { loadChipParams(defaultArchPath(), {"chip.tile.array.adc.bits=6", "chip.tile.array.adc.bits=40"}); });
  EXPECT_EQ(msg.rfind("--set chip.tile.array.adc.bits: value 40 is out of range", 0), 0u) << msg;
  // A key below a section that is unknown, and a value where a section belongs.
  msg = configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.tile.aray.rows=64"}); });
  EXPECT_EQ(msg.rfind("--set chip.tile.aray.rows: chip.tile.aray: unknown key", 0), 0u) << msg;
  msg = configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.tile=3"}); });
  EXPECT_EQ(msg.rfind("--set chip.tile: ", 0), 0u) << msg;
  // A product of a file key and a --set key: both named.
  const TempYaml big("blame_big.yaml", "chip:\n  tile:\n    arrays: 2048\n");
  msg = configErrorOf([&] { loadChipParams(big.path(), {"chip.tiles=1048576"}); });
  EXPECT_EQ(msg.rfind(big.path() + " with --set chip.tiles: ", 0), 0u) << msg;
  EXPECT_TRUE(contains(msg, "chip.tiles × chip.tile.arrays = 1048576 × 2048")) << msg;
}

TEST(ArchParams, OutOfRangeAdcBitsNamesKeyValueAndRange) {
  const std::string msg = configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.tile.array.adc.bits=40"}); });
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.bits")) << msg;
  EXPECT_TRUE(containsNumber(msg, "40")) << msg;
  EXPECT_TRUE(containsNumber(msg, "2")) << msg;   // min
  EXPECT_TRUE(containsNumber(msg, "16")) << msg;  // max
  EXPECT_THROW(loadChipParams(defaultArchPath(), {"chip.tile.array.adc.bits=1"}), ConfigError);
  EXPECT_EQ(loadChipParams(defaultArchPath(), {"chip.tile.array.adc.bits=16"}).array.adc.bits, 16);
  EXPECT_EQ(loadChipParams(defaultArchPath(), {"chip.tile.array.adc.bits=2"}).array.adc.bits, 2);
}

TEST(ArchParams, WrongOrMissingUnitIsAnError) {
  for (const char* set : {"chip.clock=5 pJ", "chip.clock=5", "chip.clock=fast", "energy.adc.convert=2 pW",
                          "chip.sram.capacity=2 MHz", "chip.tile.array.device.g_max=25 uF"}) {
    const std::string key = std::string(set).substr(0, std::string(set).find('='));
    const std::string msg = configErrorOf([&] { loadChipParams(defaultArchPath(), {set}); });
    EXPECT_TRUE(contains(msg, key)) << set << ": " << msg;
  }
}

TEST(ArchParams, QuantityOverridesAreConvertedToSi) {
  const ChipParams p = loadChipParams(defaultArchPath(), {"chip.clock=1.2 GHz", "chip.sram.capacity=512 KiB",
                                                          "chip.tile.array.device.g_max=50 uS"});
  EXPECT_NEAR(p.clockHz, 1.2e9, 1e-3);
  EXPECT_DOUBLE_EQ(p.sram.capacityBytes, 512.0 * 1024);
  EXPECT_NEAR(p.array.xbar.gMaxS, 50e-6, 1e-18);
}

TEST(ArchParams, GminNotBelowGmaxIsAnError) {
  for (const char* gmin : {"chip.tile.array.device.g_min=25 uS", "chip.tile.array.device.g_min=30 uS"}) {
    const std::string msg = configErrorOf([&] { loadChipParams(defaultArchPath(), {gmin}); });
    EXPECT_TRUE(contains(msg, "chip.tile.array.device")) << msg;
    EXPECT_TRUE(contains(msg, "g_min")) << msg;
  }
  EXPECT_NO_THROW(loadChipParams(defaultArchPath(), {"chip.tile.array.device.g_min=24.9 uS"}));
}

TEST(ArchParams, LaterOverridesWinAndOtherValuesStay) {
  const ChipParams p = loadChipParams(defaultArchPath(), {"chip.tiles=4", "chip.tiles=9", "chip.sram.ports=4"});
  EXPECT_EQ(p.tiles, 9);
  EXPECT_EQ(p.sram.ports, 4);
  EXPECT_EQ(p.sram.wordBits, 256);
  EXPECT_EQ(p.arraysPerTile, 8);
}

TEST(ArchParams, MissingOrBrokenFileNamesTheFile) {
  const std::string missing = ::testing::TempDir() + "mxsim_arch_no_such_file.yaml";
  std::remove(missing.c_str());
  EXPECT_TRUE(contains(configErrorOf([&] { loadChipParams(missing, {}); }), missing));
  const TempYaml broken("broken.yaml", "chip:\n  tiles: [1, 2\n  clock: 1 GHz\n");
  EXPECT_TRUE(contains(configErrorOf([&] { loadChipParams(broken.path(), {}); }), broken.path()));
}

TEST(ArchParams, RegistryDocumentsNestedKeys) {
  ParamRegistry reg;
  ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map), &reg);
  bool sawAdcBits = false, sawEnergy = false, sawSigma = false;
  for (const auto& d : reg.docs()) {
    if (d.path == "chip.tile.array.adc.bits") {
      sawAdcBits = true;
      EXPECT_EQ(d.unit, "bits");
      EXPECT_EQ(d.defaultText, "8");
    }
    if (d.path == "energy.adc.convert") {
      sawEnergy = true;
      EXPECT_EQ(d.unit, "J");
      EXPECT_EQ(d.defaultText, "1.56 pJ");
    }
    sawSigma |= d.path == "noise.variation.sigma";
  }
  EXPECT_TRUE(sawAdcBits);
  EXPECT_TRUE(sawEnergy);
  EXPECT_TRUE(sawSigma);
}

// ---------------------------------------------------------------------------------------------------
// chip.mapping

TEST(ArchParams, MappingPoliciesDefaultToErrorAndNoReplication) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  EXPECT_EQ(p.mapping.overflow, MappingOverflow::Error);
  EXPECT_EQ(p.mapping.replication, Replication::None);
  EXPECT_EQ(p.mapping.multiplexBatch, 1);
  EXPECT_EQ(p.array.xbar.writeCyclesPerRow, 150);
  const ChipParams q = loadChipParams(
      defaultArchPath(), {"chip.mapping.overflow=time_multiplex", "chip.mapping.multiplex_batch=16",
                          "chip.mapping.replication=auto", "chip.tile.array.write_cycles_per_row=1000"});
  EXPECT_EQ(q.mapping.overflow, MappingOverflow::TimeMultiplex);
  EXPECT_EQ(q.mapping.replication, Replication::Auto);
  EXPECT_EQ(q.mapping.multiplexBatch, 16);
  EXPECT_EQ(q.array.xbar.writeCyclesPerRow, 1000);
}

TEST(ArchParams, BadMappingPolicyNamesKeyAndChoices) {
  const std::string msg =
      configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.mapping.overflow=spill"}); });
  EXPECT_TRUE(contains(msg, "chip.mapping.overflow")) << msg;
  EXPECT_TRUE(contains(msg, "error, time_multiplex")) << msg;
  const std::string batch =
      configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.mapping.multiplex_batch=0"}); });
  EXPECT_TRUE(contains(batch, "chip.mapping.multiplex_batch")) << batch;
  const std::string typo = configErrorOf([] { loadChipParams(defaultArchPath(), {"chip.mapping.replicas=2"}); });
  EXPECT_TRUE(contains(typo, "chip.mapping.replicas")) << typo;
}

// EnergyTable

TEST(EnergyTableTest, PricesEveryKnownActionAndNothingElse) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  // dac.convert derives from the DAC circuit ((2^8 - 1) x 1 fF x (0.2 V)^2 plus a word line of 128 x 2 cells x
  // 0.2 fF/um x 39.06 nm charged to 0.2 V), crossbar.cell_read from V_read^2 x Gmax x t_read
  // ((0.2 V)^2 x 25 uS x 10 ns), adc.convert from the scaled 32 nm SAR table (1.67 pJ at 8 bits), sram.spill_bit from chip.sram.spill_energy_per_bit, noc.bit_hop from
  // chip.noc.energy_per_bit_hop (ISAAC router: 42 mW / (1.2 GHz x 8 ports x 32 bit)), the denoiser engine's
  // actions from chip.denoiser.energy.* (Horowitz 2014) and grng.sample from chip.denoiser.grng. (The
  // tile-buffer action names are spelled out: their constants live in a SystemC header.) Horowitz's 45 nm
  // figures (digital, denoiser) are moved to the default chip's 32 nm (x e); the buffers follow the memory
  // model: a 128 KiB bank (of 16) for sram.*, the 2 KiB input buffer for tile_buffer.* (10 pJ / 64 x sqrt(C / 8 KiB) x e).
  const double e = tech::energyScale(45, 32);
  const double sramBit = 10e-12 / 64 * 4 * e, bufferBit = 10e-12 / 64 * 0.5 * e;
  const std::vector<std::pair<const char*, double>> expected = {
      {action::kDacConvert, 255 * 1e-15 * 0.04 + 128 * 2 * 0.2e-15 / 1e-6 * 39.06e-9 * 0.04},
      {action::kXbarCellRead, 0.04 * 25e-6 * 10e-9},
      {action::kAdcConvert, 1.67e-12},            {action::kSramReadBit, sramBit},
      {action::kSramWriteBit, sramBit},           {action::kDigitalAdd, 0.1e-12 * e},
      {action::kDigitalOp, 0.03e-12 * e},         {action::kSramSpillBit, 20e-12},
      {action::kGrngSample, 41e-12 * tech::energyScale(40, 32)}, {action::kXbarCellWrite, 16.82e-12},
      {action::kNocBitHop, 0.137e-12},            {"tile_buffer.read_bit", bufferBit},
      {"tile_buffer.write_bit", bufferBit},       {action::kDenoiserMac, 0.3e-12 * e},
      {action::kDenoiserWeightReadBit, 0.3125e-12 * e}, {action::kDenoiserLineBufferBit, 0.156e-12 * e},
      {action::kDenoiserSubtract, 0.03e-12 * e},  {action::kDenoiserExp, 1e-12 * e},
      {action::kSampleHold, 10e-6 * 100e-9 / 1024}, {action::kAccumulatorAdd, 0.1e-12 * e},
      {action::kActivationOp, 0.03e-12 * e},      {action::kPoolOp, 0.03e-12 * e},
      {action::kBusBit, 7e-3 / (256 * 1.2e9)},    {action::kOutputBufferReadBit, 0.078e-12 * e},
      {action::kOutputBufferWriteBit, 0.078e-12 * e}, {action::kOutputRegisterReadBit, 0.078e-12 * e},
      {action::kOutputRegisterWriteBit, 0.078e-12 * e}, {action::kIoBit, 10.4 / (4 * 6.4e9 * 8)},
  };
  for (const auto& [name, joules] : expected) {
    EXPECT_NEAR(p.energy.joulesPer(name), joules, joules * 1e-12) << name;
  }
  EXPECT_EQ(p.energy.entries().size(), expected.size());
  for (const char* unknown : {"adc.bogus", "adc", "", "crossbar.cell_erase", "ADC.convert"}) {
    EXPECT_THROW(p.energy.joulesPer(unknown), Error) << unknown;
  }
  try {
    p.energy.joulesPer("adc.bogus");
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "adc.bogus")) << e.what();
  }
}

TEST(EnergyTableTest, OverrideChangesOnlyThatPrice) {
  // The table's adc.convert is used when the ADC's energy model is the table, not the scaled SAR model.
  const ChipParams base = loadChipParams(defaultArchPath(), {"chip.tile.array.adc.energy_model=table"});
  const ChipParams p = loadChipParams(defaultArchPath(),
                                      {"chip.tile.array.adc.energy_model=table", "energy.adc.convert=2.5 pJ"});
  EXPECT_NEAR(p.energy.joulesPer("adc.convert"), 2.5e-12, 1e-24);
  for (const auto& [name, joules] : base.energy.entries()) {
    if (name != "adc.convert") {
      EXPECT_EQ(p.energy.joulesPer(name), joules) << name;
    }
  }
  // Energies are bounded (0 … 1 mJ): a negative price is rejected with the key named.
  const std::string msg = configErrorOf([] { loadChipParams(defaultArchPath(), {"energy.adc.convert=-1 pJ"}); });
  EXPECT_TRUE(contains(msg, "energy.adc.convert")) << msg;
}

}  // namespace
}  // namespace mxsim
