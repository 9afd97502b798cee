// SystemC scenario: both copies of a replicated layer on one tile. The small CNN on one tile of 16 arrays
// (16 x 2): the base mapping takes 10, the 6 spare give the convolution one extra copy on arrays 10..13 of
// the same tile. The copies split the 64 vectors (32 each), so each copy reads its own vectors' rows from the
// tile's input buffer: the feed is 64 x (16 + 2) rows x 8 bits, as without the copy. With an 8-bit buffer
// word the feed (one buffer, one word per cycle) is slower than the arrays, so the copy cannot speed the
// layer up: the tile's time is the feed's. One elaboration per process: one TEST here.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/tile/tile_buffer.h"
#include "sim/timing/timing_engine.h"
#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;


TEST(ReplicationOneTile, CopiesOnOneTileShareItsInputBuffer) {
  ChipParams chip;
  testing::applySmallTimingChip(chip);
  chip.sram.activationBits = 8;
  chip.digital.lanes = 4;
  chip.tiles = 1;  // 2 nodes: the global buffer at (0,0), tile 0 at (1,0), one hop
  chip.arraysPerTile = 16;
  chip.tile.bufferWordBits = 8;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = NocTopology::Mesh;
  chip.noc.linkWidthBits = 16;
  chip.noc.hopLatencyCycles = 3;
  chip.mapping.replication = Replication::Auto;
  const wl::Program p = testing::smallCnn();
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.layers[0].replicas, 2);
  for (int r = 0; r < 2; ++r)
    for (std::size_t i = 0; i < 4; ++i) ASSERT_EQ(m.layers[0].replicaBlock(r, i).tile, 0);
  const TimingResult t = runTiming(p, chip, m, {true, false});

  auto sram = [&](std::uint64_t values) { return ceilDiv(values * 8, 64) + 2 - 1; };
  auto digital = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };
  auto noc = [&](std::uint64_t bits) { return 1 * 3 + ceilDiv(bits, 16); };
  auto buf = [&](std::uint64_t bits) { return ceilDiv(bits, 8); };
  const std::uint64_t arrays32 = (2 + 7 + 3 * 2) * 2 + 31 * 7 * 2;  // 32 vectors, 2 passes
  const std::uint64_t in = 2 * 64 * 8;
  const std::uint64_t feed = 64 * (16 + 2) * 8;  // both copies' vectors, each row range once per vector
  const std::uint64_t psum = 64 * (2 + 1 + 2 + 1) * 16;
  ASSERT_GT(buf(feed), arrays32);  // the input buffer sets the tile's pace
  const std::uint64_t convOuts = 64 * 3;
  const std::uint64_t conv = sram(2 * 64) + noc(in) + buf(in) + std::max(arrays32, buf(feed)) + 2 * buf(psum) +
                             noc(psum) + digital(convOuts * (2 - 1) + 2 * convOuts) + sram(3 * 64);
  EXPECT_EQ(t.layers.at(0).cycles, conv);
  const auto& c = t.ledger.counts().at("conv");
  EXPECT_EQ(c.at(action::kTileBufferReadBit), feed);
  EXPECT_EQ(c.at(action::kTileBufferWriteBit), in);
  EXPECT_EQ(c.at(action::kOutputBufferReadBit), psum);
  EXPECT_EQ(c.at(action::kOutputBufferWriteBit), psum);
}

}  // namespace
}  // namespace mxsim
