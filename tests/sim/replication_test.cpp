// SystemC scenario: chip.mapping.replication: auto on the small CNN. The chip of the timing-engine scenario
// (16 arrays of 16x2) holds the base mapping in 10 arrays; the 6 spare give the convolution (64 vectors per
// image, 4 arrays) one extra copy, so each copy streams 32 vectors: the layer's analog time is the array
// pipeline over 32 vectors instead of 64 (half, up to one pipeline fill), while the work (action counts)
// is unchanged. One elaboration per process: one TEST here.
#include <gtest/gtest.h>

#include "sim/timing/timing_engine.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

TEST(Replication, ACopyHalvesTheVectorBoundLayersAnalogCycles) {
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
  chip.mapping.replication = Replication::Auto;
  const wl::Program p = testing::smallCnn();  // conv 2x8x8 -> 3x8x8, relu, pool -> 3x4x4, flatten, fc -> 4
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.layers[0].replicas, 2);  // 4 of the 6 spare arrays; a third copy would need 4 more
  ASSERT_EQ(m.layers[1].replicas, 1);  // one vector per image: nothing to split
  const TimingResult t = runTiming(p, chip, m, {true, false});

  auto sram = [&](std::uint64_t values) {
    const std::uint64_t bits = values * 8;
    return bits ? ceilDiv(bits, 64) + 2 - 1 : 0;
  };
  auto digital = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };
  // Array pipeline over n vectors: latency (DAC + read + ADC per vector, x phases) + (n - 1) x interval.
  const std::uint64_t phases = 2, latency = (2 + 7 + 3 * 2) * phases, interval = 7 * phases;
  auto arrays = [&](std::uint64_t vectors) { return latency + (vectors - 1) * interval; };
  const std::uint64_t convOuts = 64 * 3;
  const std::uint64_t convOther = sram(2 * 64) + digital(convOuts * 3 + 2 * convOuts) + sram(3 * 64);
  const std::uint64_t analog = t.layers[0].cycles - convOther;
  EXPECT_EQ(analog, arrays(32));  // each copy streams ceil(64 / 2) = 32 vectors
  // Half of the unreplicated time, up to one pipeline fill: 2 x (L + 31 I) - (L + 63 I) = L - I.
  EXPECT_EQ(2 * analog - arrays(64), latency - interval);
  EXPECT_EQ(t.layers[0].arrays, 8);
  EXPECT_EQ(t.layers[4].arrays, 6);
  EXPECT_EQ(t.layers[4].cycles, sram(48) + (2 + 7 + 3 * 2) + digital(4 * 2 + 2 * 4) + sram(4));

  // The copies split the work: the action counts are those of one copy streaming all 64 vectors.
  const auto& c = t.ledger.counts();
  EXPECT_EQ(c.at("conv").at(action::kDacConvert), 64ull * 2 * (16 + 16 + 2 + 2));
  EXPECT_EQ(c.at("conv").at(action::kAdcConvert), 64ull * 2 * (2 + 1 + 2 + 1));
  EXPECT_EQ(c.at("conv").at(action::kXbarCellRead), 64ull * 2 * 2 * (32 + 16 + 4 + 2));
  EXPECT_EQ(t.ledger.total(action::kXbarCellWrite), 0u);  // fits the chip: programmed once, never rewritten
  EXPECT_EQ(t.layers.size(), p.steps.size());             // no reprogramming rows
}

}  // namespace
}  // namespace mxsim
