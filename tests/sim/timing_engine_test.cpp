// SystemC scenario: the chip top plays a small CNN's schedule (sequential). Every layer's cycle count must
// equal its derivation from the blocks' parameters, and the action counts must equal theirs. The flow of an
// analog layer (sim/timing/chip_top.h): global-buffer read → multicast of the input from the global buffer
// (node 0) to the tiles holding the layer → per tile: input-buffer write, the arrays stream the vectors in
// parallel with the input buffer feeding them, output-buffer write + read of the partial sums, transfer back
// to node 0 (tiles in parallel) → digital accumulation → global-buffer write. A digital layer: read, digital
// unit, write. One elaboration per process: one TEST here.
#include "sim/timing/timing_engine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "models/tile/tile_buffer.h"
#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

TEST(TimingEngine, LayerCyclesAndActionsMatchDerivation) {
  ChipParams chip;
  testing::applyFourTileTimingChip(chip);
  chip.clockHz = 1.25e9;                      // 800 ps: checks cycle conversion away from a 1 GHz clock
  const wl::Program p = testing::smallCnn();  // conv 2x8x8 -> 3x8x8, relu, pool -> 3x4x4, flatten, fc -> 4
  const Mapping m = mapProgram(p, chip);
  // Placement in order, 4 arrays per tile: conv's 4 blocks on tile 0, fc's 6 on tile 1 (4) and tile 2 (2).
  ASSERT_EQ(m.layers.size(), 2u);
  for (const ArrayBlock& b : m.layers[0].blocks) ASSERT_EQ(b.tile, 0);
  ASSERT_EQ(m.layers[1].blocks.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) ASSERT_EQ(m.layers[1].blocks[i].tile, i < 4 ? 1 : 2) << i;
  const std::vector<bool> signedInputs = {true, false};
  const TimingResult t = runTiming(p, chip, m, signedInputs);

  // Global buffer: ceil(bits / (word x ports)) pipelined accesses + the access latency once.
  auto sram = [&](std::uint64_t values) {
    const std::uint64_t bits = values * 8;
    return bits ? ceilDiv(bits, 64 * 1) + 2 - 1 : 0;
  };
  auto digital = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };
  // Interconnect, uncontended: h hops x hop latency + ceil(bits / link width) flits (virtual cut-through).
  // Hops from node 0 at (0,0): tile 0 = node 1 (1,0): 1; tile 1 = node 2 (2,0): 2; tile 2 = node 3 (0,1): 1.
  auto noc = [&](std::uint64_t bits, std::uint64_t hops) { return hops * 3 + ceilDiv(bits, 16); };
  auto buf = [&](std::uint64_t bits) { return ceilDiv(bits, 32); };  // one 32-bit tile-buffer word per cycle
  // Array pipeline: per-vector stage times (DAC, read, ADC: ceil(cols / 1 ADC) conversions) x passes; the
  // first vector pays all three, every further one the slowest.
  auto arrays = [&](std::uint64_t vectors, std::uint64_t cols, std::uint64_t passes) {
    const std::uint64_t dac = 2 * passes, read = 7 * passes, adc = 3 * cols * passes;
    return dac + read + adc + (vectors - 1) * std::max({dac, read, adc});
  };

  // conv: K = 18 -> row blocks of 16 and 2 rows; Cout = 3 -> column blocks of 2 and 1; 64 vectors; signed
  // (2 passes). All four blocks on tile 0.
  const std::uint64_t convIn = 2 * 64 * 8;                   // input bits
  const std::uint64_t convFeed = 64 * (16 + 2) * 8;          // one read per distinct row range per vector
  const std::uint64_t convPsum = 64 * (2 + 1 + 2 + 1) * 16;  // one 16-bit partial sum per block column
  const std::uint64_t convOuts = 64 * 3;
  // Digital: each output sums 2 row blocks x 2 passes of partials (3 adds), then 2 ops (rescale, bias).
  const std::uint64_t convDigital = digital(convOuts * (2 - 1) + 2 * convOuts);
  const std::uint64_t convTile =
      buf(convIn) + std::max(arrays(64, 2, 2), buf(convFeed)) + 2 * buf(convPsum) + noc(convPsum, 1);
  const std::uint64_t conv = sram(2 * 64) + noc(convIn, 1) + convTile + convDigital + sram(3 * 64);
  const std::uint64_t relu = sram(192) + digital(192) + sram(192);
  const std::uint64_t pool = sram(192) + digital(48 * 3) + sram(48);
  const std::uint64_t flatten = 0;
  // fc: K = 48 -> 3 row blocks of 16; 4 outputs -> 2 column blocks of 2; one vector; unsigned (1 pass).
  // Multicast to tiles 1 and 2: the farthest is 2 hops. Tile 1 holds row blocks 0 and 1 (2 x 2 blocks),
  // tile 2 row block 2 (2 blocks). Their routes back (2->1->0 and 3->0) share no link.
  const std::uint64_t fcIn = 48 * 8;
  const std::uint64_t tile1 =
      buf(fcIn) + std::max(arrays(1, 2, 1), buf(2 * 16 * 8)) + 2 * buf(4 * 2 * 16) + noc(4 * 2 * 16, 2);
  const std::uint64_t tile2 =
      buf(fcIn) + std::max(arrays(1, 2, 1), buf(16 * 8)) + 2 * buf(2 * 2 * 16) + noc(2 * 2 * 16, 1);
  const std::uint64_t fc = sram(48) + noc(fcIn, 2) + std::max(tile1, tile2) + digital(4 * (3 - 1) + 2 * 4) + sram(4);
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
  // Interconnect: bits x links. conv: 1 link in, 1 link back. fc: the multicast tree 0->1, 1->2, 0->3 (3
  // links), back 2 links from tile 1 and 1 from tile 2.
  EXPECT_EQ(c.at("conv").at(action::kNocBitHop), convIn * 1 + convPsum * 1);
  EXPECT_EQ(c.at("fc").at(action::kNocBitHop), fcIn * 3 + (4 * 2 * 16) * 2 + (2 * 2 * 16) * 1);
  // Tile buffers: the input buffer written once per tile and fed once per distinct row range and vector; the
  // output buffer gets the partial sums written and read once.
  EXPECT_EQ(c.at("conv").at(action::kTileBufferWriteBit), convIn);
  EXPECT_EQ(c.at("conv").at(action::kTileBufferReadBit), convFeed);
  EXPECT_EQ(c.at("conv").at(action::kOutputBufferWriteBit), convPsum);
  EXPECT_EQ(c.at("conv").at(action::kOutputBufferReadBit), convPsum);
  EXPECT_EQ(c.at("fc").at(action::kTileBufferWriteBit), 2 * fcIn);
  EXPECT_EQ(c.at("fc").at(action::kTileBufferReadBit), 3 * 16 * 8);
  EXPECT_EQ(c.at("fc").at(action::kOutputBufferWriteBit), 6 * 2 * 16);
  EXPECT_EQ(c.at("fc").at(action::kOutputBufferReadBit), 6 * 2 * 16);
  // The relu runs on the activation unit, the partial-sum adds on the accumulator.
  EXPECT_GT(c.at("relu").at(action::kActivationOp), 0u);
  EXPECT_EQ(c.at("relu").count(action::kDigitalOp), 0u);
  EXPECT_EQ(c.at("relu").count(action::kNocBitHop), 0u);  // a digital step stays in the global buffer
}

}  // namespace
}  // namespace mxsim
