// Unit tests of the full-load power table (sim/report: fullLoadPower, docs/chip.md "Power at full load") and
// of the area breakdown of the components it lists: each component's power is derived here again from the
// chip's parameters (instances × actions per pass / pass time × price, or units × clock × price), so a wrong
// rate, instance count or price in the report fails. The ISAAC preset's row-by-row match with ISAAC's
// Table I is checked by tests/cli/isaac_preset.sh.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "models/tile/tile_buffer.h"
#include "sim/arch/arch.h"
#include "sim/core/actions.h"
#include "sim/report/report.h"

namespace mxsim {
namespace {

std::map<std::string, ComponentLoad> byName(const std::vector<ComponentLoad>& v) {
  std::map<std::string, ComponentLoad> m;
  for (const auto& c : v) m[c.component] = c;
  return m;
}

// The default chip: 1024 arrays of 128 x 128 (differential: 2 devices per weight), one multibit DAC pass per
// vector, 8 ADCs per array at 1 conversion per cycle, 10 read cycles, 1 GHz.
TEST(FullLoad, ArrayComponentsFollowThePassTime) {
  const ChipParams p = loadChipParams(defaultArchPath(), {"leakage.array=0 W"});
  const auto m = byName(fullLoadPower(p, false));
  const double arrays = p.totalArrays();
  ASSERT_EQ(arrays, 1024);
  // One pass: the ADC stage converts 128 columns on 8 ADCs = 16 cycles, longer than the 10-cycle read.
  const double pass = 16 / p.clockHz;
  const auto& e = p.energy;
  EXPECT_NEAR(m.at("adc").watts, arrays * 128 * e.joulesPer(action::kAdcConvert) / pass, 1e-9);
  EXPECT_NEAR(m.at("sample_hold").watts, arrays * 128 * e.joulesPer(action::kSampleHold) / pass, 1e-12);
  EXPECT_NEAR(m.at("dac").watts, arrays * 128 * e.joulesPer(action::kDacConvert) / pass, 1e-9);
  EXPECT_NEAR(m.at("crossbar").watts, arrays * 128 * 128 * 2 * e.joulesPer(action::kXbarCellRead) / pass, 1e-9);
  // Input registers: 128 rows x 8-bit activations per pass, written and read; output registers: 128 columns
  // (analog weights: one slice) x 16-bit partial sums per vector, written and read.
  EXPECT_NEAR(m.at("tile_buffer").watts,
              arrays * 128 * 8 / pass * (e.joulesPer(action::kTileBufferReadBit) + e.joulesPer(action::kTileBufferWriteBit)),
              1e-9);
  EXPECT_NEAR(m.at("output_buffer").watts,
              arrays * 128 * 16 / pass *
                  (e.joulesPer(action::kOutputBufferReadBit) + e.joulesPer(action::kOutputBufferWriteBit)),
              1e-9);
  EXPECT_EQ(m.count("output_register"), 0u);  // none on the default chip
  EXPECT_EQ(m.count("bus"), 0u);              // no tile memories
  EXPECT_EQ(m.count("io"), 0u);               // no off-chip links modelled
  // A slower ADC (bits + 1 cycles per conversion, SAR) lengthens the pass: 16 x 9 cycles.
  const ChipParams slow = loadChipParams(defaultArchPath(), {"leakage.array=0 W", "chip.tile.array.adc.conversion_cycles=9"});
  EXPECT_NEAR(byName(fullLoadPower(slow, false)).at("adc").watts, m.at("adc").watts / 9, 1e-9);
}

TEST(FullLoad, UnitsRunOneOpPerCycleAndLeakageAddsOn) {
  const ChipParams p = loadChipParams(defaultArchPath(), {});
  const auto m = byName(fullLoadPower(p, false));
  const double f = p.clockHz;
  const auto& e = p.energy;
  // The chip-level digital unit (no tile memories): 64 lanes, one of each special unit.
  EXPECT_NEAR(m.at("digital").watts, 64 * f * e.joulesPer(action::kDigitalAdd) + p.leakage.digitalW, 1e-12);
  EXPECT_NEAR(m.at("accumulator").watts, f * e.joulesPer(action::kAccumulatorAdd), 1e-15);
  EXPECT_NEAR(m.at("activation").watts, f * e.joulesPer(action::kActivationOp), 1e-15);
  EXPECT_NEAR(m.at("pool").watts, f * e.joulesPer(action::kPoolOp), 1e-15);
  // The global buffer: one 256-bit word per read port per cycle, plus its leakage.
  EXPECT_NEAR(m.at("sram").watts, 2 * 256 * f * e.joulesPer(action::kSramReadBit) + p.leakage.sramW, 1e-12);
  // The arrays' leakage is counted for every array (full load uses them all).
  const ChipParams noLeak = loadChipParams(defaultArchPath(), {"leakage.array=0 W"});
  EXPECT_NEAR(m.at("crossbar").watts - byName(fullLoadPower(noLeak, false)).at("crossbar").watts,
              p.leakage.perArrayW * p.totalArrays(), 1e-12);
  // The mesh: 12 x 11 routers, each moving a 32-bit flit per port (4 neighbours + 1 local) per cycle.
  EXPECT_EQ(m.at("noc").instances, 132);
  EXPECT_NEAR(m.at("noc").watts, 132 * 5 * 32 * f * e.joulesPer(action::kNocBitHop), 1e-9);
}

TEST(FullLoad, TileMemoriesBringTheirBusLanesAndUnits) {
  const ChipParams p = loadChipParams(
      defaultArchPath(), {"chip.tile.memory=32 KiB", "chip.tile.digital_lanes=8", "chip.digital.activation_units=2",
                          "chip.tile.output_register=1 KiB", "chip.io.links=2", "chip.io.link_bandwidth=1 GB/s"});
  const auto m = byName(fullLoadPower(p, false));
  const auto a = areaBreakdownM2(p, false);
  const double f = p.clockHz, tiles = p.tiles;
  const auto& e = p.energy;
  EXPECT_NEAR(m.at("bus").watts, tiles * 256 * f * e.joulesPer(action::kBusBit), 1e-12);
  EXPECT_NEAR(a.at("bus"), p.totalArrays() * p.area.busPerArrayM2, 1e-18);
  EXPECT_EQ(m.at("activation").instances, tiles * 2);  // each tile's digital unit has its own units
  EXPECT_NEAR(a.at("activation"), tiles * 2 * p.area.activationUnitM2, 1e-18);
  EXPECT_NEAR(m.at("io").watts, 2 * 8e9 * e.joulesPer(action::kIoBit), 1e-12);
  EXPECT_NEAR(a.at("io"), 2 * p.area.ioLinkM2, 1e-18);
  EXPECT_NEAR(a.at("output_register"), tiles * 1.0 * p.area.outputRegisterPerKibM2, 1e-18);
  EXPECT_GT(m.at("output_register").watts, 0.0);
  // Every listed component has the area the report gives it.
  for (const auto& [c, load] : m) {
    if (a.count(c)) {
      EXPECT_DOUBLE_EQ(load.areaM2, a.at(c)) << c;
    }
  }
}

TEST(FullLoad, DacAreaFollowsItsUnitCells) {
  // One row DAC = area.dac x unit cells: 2^bits - 1 for a multibit DAC, 1 for a bit-serial 1-bit DAC.
  auto dacArea = [](std::vector<std::string> sets) {
    return areaBreakdownM2(loadChipParams(defaultArchPath(), sets), false).at("dac");
  };
  const double perRow = 1024.0 * 128.0 * 0.166e-12;  // default: 1024 arrays of 128 rows, ISAAC's driver
  EXPECT_NEAR(dacArea({}), perRow * 255.0, perRow * 1e-9);
  EXPECT_NEAR(dacArea({"chip.tile.array.dac.bits=4"}), perRow * 15.0, perRow * 1e-9);
  EXPECT_NEAR(dacArea({"chip.tile.array.dac.mode=bit_serial"}), perRow, perRow * 1e-9);
  EXPECT_NEAR(dacArea({"area.dac=1 um2", "chip.tile.array.dac.bits=2"}), 1024.0 * 128.0 * 1e-12 * 3.0, 1e-15);
}

}  // namespace
}  // namespace mxsim
