// SystemC scenario: the chip top plays a small CNN's schedule. Every layer's cycle count must equal the
// derivation from the architecture parameters (SRAM transfers, the slowest array's pipeline, the digital
// unit's lanes), and the action counts must equal theirs. One elaboration per process: one TEST here.
#include <gtest/gtest.h>

#include "sim/timing/timing_engine.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

TEST(TimingEngine, LayerCyclesAndActionsMatchDerivation) {
  ChipParams chip;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.array.xbar.readCycles = 7;
  chip.array.dac.cycles = 2;
  chip.array.adc.perArray = 1;
  chip.array.adc.conversionCycles = 3;
  chip.sram.wordBits = 64;
  chip.sram.ports = 1;
  chip.sram.accessCycles = 2;
  chip.sram.activationBits = 8;
  chip.digital.lanes = 4;
  chip.tiles = 4;
  chip.arraysPerTile = 4;
  chip.clockHz = 1.25e9;  // 800 ps: checks cycle conversion away from a 1 GHz clock
  const wl::Program p = testing::smallCnn();  // conv 2x8x8 -> 3x8x8, relu, pool -> 3x4x4, flatten, fc -> 4
  const Mapping m = mapProgram(p, chip);
  const std::vector<bool> signedInputs = {true, false};
  const TimingResult t = runTiming(p, chip, m, signedInputs);

  auto sram = [&](std::uint64_t values) {
    const std::uint64_t bits = values * 8;
    return bits ? ceilDiv(bits, 64) + 2 - 1 : 0;
  };
  auto digital = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };
  // Array pipeline: per-vector stage times (DAC, read, ADC) x phases; the slowest sets the interval.
  auto arrays = [&](std::uint64_t vectors, int maxCols, int phases) {
    const std::uint64_t dac = 2ull * phases, read = 7ull * phases, adc = 3ull * maxCols * phases;
    return dac + read + adc + (vectors - 1) * std::max({dac, read, adc});
  };
  // conv: K = 18 -> row blocks of 16 and 2; Cout = 3 -> column blocks of 2 and 1; 64 vectors; signed.
  const std::uint64_t convOuts = 64 * 3;
  const std::uint64_t conv = sram(2 * 64) + arrays(64, 2, 2) + digital(convOuts * 1 + convOuts * 2 + 2 * convOuts) +
                             sram(3 * 64);
  const std::uint64_t relu = sram(192) + digital(192) + sram(192);
  const std::uint64_t pool = sram(192) + digital(48 * 3) + sram(48);
  const std::uint64_t flatten = 0;
  // fc: K = 48 -> 3 row blocks; 4 outputs -> 2 column blocks; one vector; unsigned.
  const std::uint64_t fc = sram(48) + arrays(1, 2, 1) + digital(4 * 2 + 2 * 4) + sram(4);
  const std::vector<std::uint64_t> expected = {conv, relu, pool, flatten, fc};

  ASSERT_EQ(t.layers.size(), expected.size());
  std::uint64_t total = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(t.layers[i].cycles, expected[i]) << t.layers[i].name;
    EXPECT_EQ(t.layers[i].startCycle, total) << t.layers[i].name;
    total += expected[i];
  }
  EXPECT_EQ(t.totalCycles, total);
  EXPECT_DOUBLE_EQ(t.seconds, static_cast<double>(total) / 1.25e9);
  EXPECT_EQ(t.layers[0].arrays, 4);
  EXPECT_EQ(t.layers[4].arrays, 6);
  EXPECT_EQ(t.elaboratedArrays, 16);

  // Actions: conv blocks (rows x cols): 16x2, 16x1, 2x2, 2x1 over 64 vectors x 2 phases.
  const auto& c = t.ledger.counts();
  EXPECT_EQ(c.at("conv").at(action::kDacConvert), 64ull * 2 * (16 + 16 + 2 + 2));
  EXPECT_EQ(c.at("conv").at(action::kAdcConvert), 64ull * 2 * (2 + 1 + 2 + 1));
  EXPECT_EQ(c.at("conv").at(action::kXbarCellRead), 64ull * 2 * 2 * (32 + 16 + 4 + 2));
  EXPECT_EQ(c.at("fc").at(action::kAdcConvert), 3ull * (2 + 2));
  EXPECT_EQ(c.at("relu").at(action::kSramReadBit), 192ull * 8);
  EXPECT_EQ(c.count("flatten"), 0u);  // a reshape moves no data
}

}  // namespace
}  // namespace mxsim
