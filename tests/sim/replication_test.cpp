// SystemC scenario: chip.mapping.replication: auto on the small CNN. The chip of the timing-engine scenario
// (16 arrays of 16x2, 4 per tile) holds the base mapping in 10 arrays; the 6 spare give the convolution
// (64 vectors per image, 4 arrays) one extra copy on arrays 10..13, so each copy streams 32 vectors: the
// arrays' stream phase is the pipeline over 32 vectors instead of 64 (half, up to one pipeline fill), while
// the work (action counts, tile-buffer traffic) is unchanged. The copy's blocks sit on tiles 2 and 3, so the
// input multicast reaches three tiles and two partial-sum transfers meet on a link. One elaboration per
// process: one TEST here.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/tile/tile_buffer.h"
#include "sim/timing/timing_engine.h"
#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

TEST(Replication, ACopyHalvesTheVectorBoundLayersStreamPhase) {
  ChipParams chip;
  testing::applyFourTileTimingChip(chip);
  chip.mapping.replication = Replication::Auto;
  const wl::Program p = testing::smallCnn();  // conv 2x8x8 -> 3x8x8, relu, pool -> 3x4x4, flatten, fc -> 4
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.layers[0].replicas, 2);  // 4 of the 6 spare arrays; a third copy would need 4 more
  ASSERT_EQ(m.layers[1].replicas, 1);  // one vector per image: nothing to split
  // Copy 1 of conv: blocks 0, 1 (row block 0, 16 rows) on tile 2, blocks 2, 3 (row block 1, 2 rows) on tile 3.
  const std::vector<int> copyTile = {2, 2, 3, 3};
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(m.layers[0].replicaBlock(0, i).tile, 0) << i;
    ASSERT_EQ(m.layers[0].replicaBlock(1, i).tile, copyTile[i]) << i;
  }
  const TimingResult t = runTiming(p, chip, m, {true, false});

  auto sram = [&](std::uint64_t values) {
    const std::uint64_t bits = values * 8;
    return bits ? ceilDiv(bits, 64) + 2 - 1 : 0;
  };
  auto digital = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };
  auto noc = [&](std::uint64_t bits, std::uint64_t hops) { return hops * 3 + ceilDiv(bits, 16); };
  auto buf = [&](std::uint64_t bits) { return ceilDiv(bits, 32); };
  // Array pipeline over n vectors, signed input (2 passes): latency L = (DAC 2 + read 7 + ADC 3 x 2 columns)
  // x 2 passes, interval I = the read, 7 x 2 (a 1-column block has the same interval).
  const std::uint64_t latency = (2 + 7 + 3 * 2) * 2, interval = 7 * 2;
  auto arrays = [&](std::uint64_t vectors) { return latency + (vectors - 1) * interval; };

  // conv, 32 vectors per copy. Input multicast to tiles 0, 2, 3 = nodes 1 (1,0), 3 (0,1), 4 (1,1): the
  // farthest is 2 hops. Per tile (input write, stream ‖ feed, partial sums out, transfer back):
  const std::uint64_t in = 2 * 64 * 8;
  const std::uint64_t psum0 = 32 * (2 + 1 + 2 + 1) * 16, psum2 = 32 * (2 + 1) * 16, psum3 = 32 * (2 + 1) * 16;
  const std::uint64_t tile0 = buf(in) + std::max(arrays(32), buf(32 * (16 + 2) * 8)) + 2 * buf(psum0) + noc(psum0, 1);
  const std::uint64_t tile2 = buf(in) + std::max(arrays(32), buf(32 * 16 * 8)) + 2 * buf(psum2) + noc(psum2, 1);
  // Tile 3 (node 4) routes back 4->3->0 and meets tile 2's transfer (3->0) on link 3->0, offered in the
  // same cycle r: tile 2's head takes it at r + 3 for ceil(psum2 / 16) cycles, tile 3's head arrives at
  // r + 6 and waits for it, then sends its own ceil(psum3 / 16) flits.
  const std::uint64_t beforeBack3 = buf(in) + std::max(arrays(32), buf(32 * 2 * 8)) + 2 * buf(psum3);
  ASSERT_EQ(beforeBack3, tile2 - noc(psum2, 1));  // both offer their transfers in the same cycle
  const std::uint64_t tile3 = beforeBack3 + std::max<std::uint64_t>(3 + ceilDiv(psum2, 16), 2 * 3) + ceilDiv(psum3, 16);
  const std::uint64_t convOuts = 64 * 3;
  const std::uint64_t convOther = sram(2 * 64) + noc(in, 2) + digital(convOuts * (2 - 1) + 2 * convOuts) + sram(3 * 64);
  ASSERT_GT(tile0, std::max(tile2, tile3));  // tile 0 (the whole first copy) sets the layer's time
  EXPECT_EQ(t.layers[0].cycles, convOther + tile0);
  // The stream phase alone: what is left of tile 0's path is the pipeline over ceil(64 / 2) = 32 vectors.
  const std::uint64_t tile0Rest = buf(in) + 2 * buf(psum0) + noc(psum0, 1);
  EXPECT_EQ(t.layers[0].cycles - convOther - tile0Rest, arrays(32));
  EXPECT_EQ(t.layers[0].arrays, 8);
  EXPECT_EQ(t.layers[4].arrays, 6);
  // fc: unreplicated, as in the timing-engine scenario (tiles 1 and 2, 2 and 1 hops, disjoint routes back).
  const std::uint64_t fcIn = 48 * 8;
  const std::uint64_t fcTile1 =
      buf(fcIn) + std::max<std::uint64_t>(2 + 7 + 3 * 2, buf(2 * 16 * 8)) + 2 * buf(4 * 2 * 16) + noc(4 * 2 * 16, 2);
  const std::uint64_t fcTile2 =
      buf(fcIn) + std::max<std::uint64_t>(2 + 7 + 3 * 2, buf(16 * 8)) + 2 * buf(2 * 2 * 16) + noc(2 * 2 * 16, 1);
  EXPECT_EQ(t.layers[4].cycles,
            sram(48) + noc(fcIn, 2) + std::max(fcTile1, fcTile2) + digital(4 * 2 + 2 * 4) + sram(4));
  std::uint64_t sum = 0;
  for (const LayerTiming& lt : t.layers) {
    EXPECT_EQ(lt.startCycle, sum) << lt.name;
    sum += lt.cycles;
  }
  EXPECT_EQ(t.totalCycles, sum);

  // The copies split the work: the action counts are those of one copy streaming all 64 vectors, and the
  // tile buffers move the same bits (input written once per tile: 3 tiles instead of 1).
  const auto& c = t.ledger.counts();
  EXPECT_EQ(c.at("conv").at(action::kDacConvert), 64ull * 2 * (16 + 16 + 2 + 2));
  EXPECT_EQ(c.at("conv").at(action::kAdcConvert), 64ull * 2 * (2 + 1 + 2 + 1));
  EXPECT_EQ(c.at("conv").at(action::kXbarCellRead), 64ull * 2 * 2 * (32 + 16 + 4 + 2));
  EXPECT_EQ(c.at("conv").at(action::kTileBufferReadBit), 64ull * (16 + 2) * 8);
  EXPECT_EQ(c.at("conv").at(action::kTileBufferWriteBit), 3 * in);
  EXPECT_EQ(c.at("conv").at(action::kOutputBufferReadBit), 64ull * 6 * 16);
  EXPECT_EQ(c.at("conv").at(action::kOutputBufferWriteBit), 64ull * 6 * 16);
  // Per output: 2 shift-and-adds (each of its 2 row blocks merges its 2 input phases: digital.add) and 1 add
  // summing the 2 row blocks (accumulator.add).
  EXPECT_EQ(c.at("conv").at(action::kDigitalAdd), convOuts * 2);
  EXPECT_EQ(c.at("conv").at(action::kAccumulatorAdd), convOuts * 1);
  // Multicast tree 0->1, 1->4, 0->3 (3 links); back: 1 hop from tiles 0 and 2, 2 hops from tile 3.
  EXPECT_EQ(c.at("conv").at(action::kNocBitHop), 3 * in + psum0 + psum2 + 2 * psum3);
  EXPECT_EQ(t.ledger.total(action::kXbarCellWrite), 0u);  // fits the chip: programmed once, never rewritten
  EXPECT_EQ(t.layers.size(), p.steps.size());             // no reprogramming rows
}

}  // namespace
}  // namespace mxsim
