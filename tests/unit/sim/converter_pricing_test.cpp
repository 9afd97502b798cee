// How the chip prices its converters and crossbar reads from the block models (sim/arch/arch.cpp): derived
// when the config gives no price, the config's explicit price when it does (presets citing a table, e.g. ISAAC).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/common/technology.h"
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

TEST(ConverterPricingTest, FlashAndRampAdcsTakeTheSurveyAreaAtTheirSampleRate) {
  // Flash: one conversion per 1 GHz cycle; 8 bits at 1 GS/s is below the 8-bit corner (1.07 GS/s), so
  // E = 0.5·10^((49.9257 − 154.0709)/10) · exp(26.04962 + 1.880037·ln 32 − 2.829126·ln 8 − 1.470202) pJ = 1.7137 pJ and
  // A = exp(1.346192 + 0.993279·ln 32 + 0.180715·ln 1e9 + 0.299124·ln 1.7137) µm² = 5972 µm².
  const ChipParams flash = chip({"chip.tile.array.adc.type=flash", "chip.tile.array.adc.energy_model=walden"});
  EXPECT_NEAR(flash.area.adcM2, 5972e-12, 0.002 * 5972e-12);
  EXPECT_NEAR(chip({"chip.tile.array.adc.type=flash", "chip.tile.array.adc.energy_model=walden", "area.adc=500 um2"})
                  .area.adcM2,
              500e-12, 1e-20);
  // Below the survey's 4 bits a flash ADC's area must be given.
  const std::string msg = configErrorOf([] {
    chip({"chip.tile.array.adc.type=flash", "chip.tile.array.adc.energy_model=walden", "chip.tile.array.adc.bits=3"});
  });
  EXPECT_TRUE(contains(msg, "area.adc")) << msg;
  // Ramp, 8 bits: 257 cycles, 3.89 MS/s: the same (rate-independent) 1.7137 pJ front end plus Aladdin's counter,
  // 256 × 8/32 × 0.25074 pJ moved from 40 to 32 nm.
  const ChipParams ramp = chip({"chip.tile.array.adc.type=ramp", "chip.tile.array.adc.energy_model=survey",
                                "chip.tile.array.adc.conversion_cycles=0"});
  const double counterJ = 256 * 0.25 * 0.25074e-12 * tech::energyScale(40, 32);
  EXPECT_NEAR(ramp.energy.joulesPer(action::kAdcConvert), 1.7137e-12 + counterJ, 0.002e-12);
  EXPECT_EQ(AdcCore(ramp.array.adc).cyclesPerConversion(), 257);
}

TEST(ConverterPricingTest, SurveyPricesTheAdcAtTheConfiguredSampleRate) {
  // Default chip, SAR 8 bits, one conversion per 1 GHz cycle (conversion_cycles: 1) = 1 GS/s, below the 8-bit
  // corner (1.07 GS/s): 1.7137 pJ (the scaled SAR table's default 1.67 pJ is 2.6 % lower).
  const ChipParams slow = chip({"chip.tile.array.adc.energy_model=survey"});
  EXPECT_NEAR(slow.energy.joulesPer(action::kAdcConvert), 1.7137e-12, 0.002e-12);
  EXPECT_TRUE(contains(slow.energy.sources().at(action::kAdcConvert), "1000 MS/s")) << slow.energy.sources().at(action::kAdcConvert);
  // Derived SAR timing (bits + 1 = 9 cycles): 111 MS/s, the same energy on the plateau, area × 9^−0.1807.
  const ChipParams sar9 = chip({"chip.tile.array.adc.energy_model=survey", "chip.tile.array.adc.conversion_cycles=0"});
  EXPECT_NEAR(sar9.energy.joulesPer(action::kAdcConvert), 1.7137e-12, 0.002e-12);
  EXPECT_TRUE(contains(sar9.energy.sources().at(action::kAdcConvert), "111.1 MS/s")) << sar9.energy.sources().at(action::kAdcConvert);
  EXPECT_NEAR(sar9.area.adcM2 / slow.area.adcM2, std::pow(9.0, -0.180715), 1e-4);
  // One conversion per cycle at 2 GHz: above the corner, FOMS = 213.78067 − 2.871903·ln 2e9 = 152.2749 dB, so the
  // energy grows by 10^((154.0709 − 152.2749)/10) = 1.513x; the area by 2^0.1807 × 1.513^0.2991.
  const ChipParams fast =
      chip({"chip.tile.array.adc.energy_model=survey", "chip.tile.array.adc.conversion_cycles=1", "chip.clock=2 GHz"});
  const double ratioE = std::pow(10.0, (154.0709 - (213.78067 - 2.871903 * std::log(2e9))) / 10.0);
  EXPECT_NEAR(fast.energy.joulesPer(action::kAdcConvert) / slow.energy.joulesPer(action::kAdcConvert), ratioE, 1e-3);
  EXPECT_NEAR(fast.area.adcM2 / slow.area.adcM2, std::pow(2.0, 0.180715) * std::pow(ratioE, 0.299124), 1e-3);
  // The survey needs 4 bits or more: one error naming the keys.
  const std::string msg =
      configErrorOf([] { chip({"chip.tile.array.adc.energy_model=survey", "chip.tile.array.adc.bits=3"}); });
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.energy_model")) << msg;
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.bits")) << msg;
}

TEST(ConverterPricingTest, DefaultAdcPricesAreUnchanged) {
  // scaled_sar stays the default: ISAAC's 8-bit row (1.67 pJ, 1200 µm²) at the default 32 nm.
  const ChipParams p = chip({});
  EXPECT_NEAR(p.energy.joulesPer(action::kAdcConvert), 1.67e-12, 1e-24);
  EXPECT_NEAR(p.area.adcM2, 1200e-12, 1e-20);
}

TEST(ConverterPricingTest, TemperatureScalesEveryDefaultLeakage) {
  const ChipParams cool = chip({});
  const ChipParams hot = chip({"chip.temperature=350"});
  const double k = 228.40 / 100.30;  // NeuroSim 32 nm PTM HP NMOS off-current, 350 K / 300 K
  EXPECT_EQ(cool.temperatureK, 300.0);
  EXPECT_NEAR(hot.leakage.perArrayW / cool.leakage.perArrayW, k, 1e-9);
  EXPECT_NEAR(hot.leakage.sramW / cool.leakage.sramW, k, 1e-9);
  EXPECT_NEAR(hot.leakage.digitalW / cool.leakage.digitalW, k, 1e-9);
  EXPECT_NEAR(hot.leakage.denoiserW / cool.leakage.denoiserW, k, 1e-9);
  // A given leakage is the chip's own, at its temperature.
  EXPECT_NEAR(chip({"chip.temperature=350", "leakage.array=1 uW"}).leakage.perArrayW, 1e-6, 1e-18);
  for (const char* bad : {"chip.temperature=290", "chip.temperature=401", "chip.temperature=hot"}) {
    const std::string msg = configErrorOf([&] { chip({bad}); });
    EXPECT_TRUE(contains(msg, "chip.temperature")) << bad << ": " << msg;
  }
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
