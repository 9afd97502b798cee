// How the chip prices its converters and crossbar reads from the block models (sim/arch/arch.cpp): derived
// when the config gives no price, the config's explicit price when it does (presets citing a table, e.g. ISAAC).
#include <gtest/gtest.h>

#include <string>

#include "sim/arch/arch.h"
#include "sim/core/actions.h"
#include "sim/core/error.h"
#include "tests/support/error_matchers.h"

namespace mxsim {
namespace {

using testing::configErrorOf;
using testing::contains;

ChipParams chip(const std::vector<std::string>& sets) { return loadChipParams(defaultArchPath(), sets); }

TEST(ConverterPricingTest, AdcAreaFollowsBitsUnlessGiven) {
  EXPECT_NEAR(chip({"chip.tile.array.adc.bits=4"}).area.adcM2, 361.04e-12, 1e-20);
  EXPECT_NEAR(chip({"chip.tile.array.adc.bits=8"}).area.adcM2, 1200e-12, 1e-20);
  EXPECT_NEAR(chip({"chip.tile.array.adc.bits=10"}).area.adcM2, 3002e-12, 1e-20);
  EXPECT_NEAR(chip({"chip.tile.array.adc.bits=4", "area.adc=1000 um2"}).area.adcM2, 1000e-12, 1e-20);
  // The ADC energy follows the bits too (scaled_sar).
  EXPECT_NEAR(chip({"chip.tile.array.adc.bits=6"}).energy.joulesPer(action::kAdcConvert), 1.20e-12, 1e-24);
}

TEST(ConverterPricingTest, FlashAdcNeedsAnExplicitAreaAndEnergyModel) {
  const std::string msg = configErrorOf(
      [] { chip({"chip.tile.array.adc.type=flash", "chip.tile.array.adc.energy_model=walden"}); });
  EXPECT_TRUE(contains(msg, "area.adc")) << msg;
  const ChipParams p =
      chip({"chip.tile.array.adc.type=flash", "chip.tile.array.adc.energy_model=walden", "area.adc=500 um2"});
  EXPECT_NEAR(p.area.adcM2, 500e-12, 1e-20);
}

TEST(ConverterPricingTest, CellReadDerivesFromVoltageConductanceAndReadTime) {
  // (0.5 V)² × 40 µS × 20 cycles / 2 GHz.
  const ChipParams p = chip({"chip.tile.array.read_voltage=0.5 V", "chip.tile.array.device.g_max=40 uS",
                             "chip.tile.array.read_cycles=20", "chip.clock=2 GHz"});
  EXPECT_NEAR(p.energy.joulesPer(action::kXbarCellRead), 0.25 * 40e-6 * 10e-9, 1e-27);
  // An explicit price wins (ISAAC's table), including an explicit zero (NeuroSim books it elsewhere).
  EXPECT_NEAR(chip({"energy.crossbar.cell_read=1.8 fJ"}).energy.joulesPer(action::kXbarCellRead), 1.8e-15, 1e-27);
  EXPECT_EQ(chip({"energy.crossbar.cell_read=0 J"}).energy.joulesPer(action::kXbarCellRead), 0.0);
}

TEST(ConverterPricingTest, DacDerivesFromItsCircuitUnlessGiven) {
  // Bit-serial: the word line only: 128 columns × 2 devices × 5 aF charged to 0.3 V.
  const ChipParams bs = chip({"chip.tile.array.dac.mode=bit_serial", "chip.tile.array.wire_capacitance=5 aF",
                              "chip.tile.array.read_voltage=0.3 V"});
  EXPECT_NEAR(bs.energy.joulesPer(action::kDacConvert), 256 * 5e-18 * 0.09, 1e-30);
  // Multibit 4 bits, 2 fF units: 15 × 2 fF × (0.3 V)² plus the line.
  const ChipParams mb = chip({"chip.tile.array.dac.bits=4", "chip.tile.array.dac.unit_capacitance=2 fF",
                              "chip.tile.array.wire_capacitance=5 aF", "chip.tile.array.read_voltage=0.3 V"});
  EXPECT_NEAR(mb.energy.joulesPer(action::kDacConvert), 15 * 2e-15 * 0.09 + 256 * 5e-18 * 0.09, 1e-30);
  // ISAAC's explicit 1-bit price is kept as given.
  const ChipParams isaac =
      chip({"chip.tile.array.dac.mode=bit_serial", "chip.tile.array.dac.energy_per_level=0.390625 pJ"});
  EXPECT_NEAR(isaac.energy.joulesPer(action::kDacConvert), 0.390625e-12, 1e-27);
}

TEST(ConverterPricingTest, NewKeysHaveUnitsAndBounds) {
  for (const char* bad : {"chip.tile.array.read_voltage=0.2", "chip.tile.array.read_voltage=9 V",
                          "chip.tile.array.wire_capacitance=1 V", "chip.tile.array.dac.unit_capacitance=2 pJ"}) {
    const std::string key = std::string(bad).substr(0, std::string(bad).find('='));
    const std::string msg = configErrorOf([&] { chip({bad}); });
    EXPECT_TRUE(contains(msg, key)) << bad << ": " << msg;
  }
}

}  // namespace
}  // namespace mxsim
