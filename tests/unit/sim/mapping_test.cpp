#include "sim/mapping/mapping.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/core/error.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

TEST(Mapping, CutsWeightsIntoArrayBlocks) {
  ChipParams chip;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.arraysPerTile = 3;
  // conv: K = 2*3*3 = 18 rows, 3 cols -> 2 x 2 blocks; fc: K = 3*4*4 = 48 rows, 4 cols -> 3 x 2 blocks.
  const wl::Program p = testing::smallCnn();
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].rowBlocks, 2);
  EXPECT_EQ(m.layers[0].colBlocks, 2);
  EXPECT_EQ(m.layers[1].rowBlocks, 3);
  EXPECT_EQ(m.layers[1].colBlocks, 2);
  EXPECT_EQ(m.arraysUsed, 10);
  const ArrayBlock& last = m.layers[0].blocks[3];
  EXPECT_EQ(last.rowStart, 16);
  EXPECT_EQ(last.rows, 2);
  EXPECT_EQ(last.colStart, 2);
  EXPECT_EQ(last.cols, 1);
  EXPECT_EQ(last.arrayIndex, 3);
  EXPECT_EQ(last.tile, 1);
  EXPECT_EQ(last.slot, 0);
  EXPECT_DOUBLE_EQ(m.layers[0].utilisation, 18.0 * 3 / (4 * 16 * 2));
  EXPECT_EQ(m.layerOfStep[0], 0);
  EXPECT_EQ(m.layerOfStep[1], -1);
  EXPECT_EQ(m.layerOfStep[4], 1);
}

TEST(Mapping, GroupedConvPacksGroupsAlongTheDiagonal) {
  // 12 groups of 2 input channels (K per group = 18 rows) and 1 output channel each.
  const wl::Program p = testing::groupedConv(24, 5, 12, 12);
  ChipParams chip;
  chip.array.xbar.rows = 64;  // 3 groups fit the rows (54 of 64) ...
  chip.array.xbar.cols = 2;   // ... but only 2 fit the columns: 2 groups per pack, 6 packs, 1 array each
  const Mapping m = mapProgram(p, chip);
  const LayerMapping& lm = m.layers[0];
  ASSERT_EQ(lm.packs.size(), 6u);
  EXPECT_EQ(m.arraysUsed, 6);
  EXPECT_EQ(lm.rowBlocks, 6);
  for (int k = 0; k < 6; ++k) {
    const Pack& pk = lm.packs[static_cast<std::size_t>(k)];
    EXPECT_EQ(pk.rowStart, k * 36);
    EXPECT_EQ(pk.rows, 36);
    EXPECT_EQ(pk.colStart, k * 2);
    EXPECT_EQ(pk.cols, 2);
    EXPECT_EQ(pk.firstRowBlock, k);
    EXPECT_EQ(lm.block(pk, 0, 0, 0).arrayIndex, k);
  }
  EXPECT_DOUBLE_EQ(lm.utilisation, 18.0 * 12 / (6 * 64 * 2));  // real weights / cells of 6 arrays

  chip.array.xbar.rows = 16;  // a group (18 rows) spans two row blocks: 1 group per pack, 12 x 2 arrays
  const Mapping tall = mapProgram(p, chip);
  EXPECT_EQ(tall.layers[0].packs.size(), 12u);
  EXPECT_EQ(tall.arraysUsed, 24);
  EXPECT_EQ(tall.layers[0].rowBlocks, 24);
}

TEST(Mapping, TooFewArraysIsAClearError) {
  ChipParams chip;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.tiles = 2;
  chip.arraysPerTile = 4;  // 8 < 10 needed
  try {
    mapProgram(testing::smallCnn(), chip);
    FAIL() << "expected MappingError";
  } catch (const MappingError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("10 arrays"), std::string::npos) << msg;
    EXPECT_NE(msg.find("has 8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chip.tiles to at least 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chip.mapping.overflow: time_multiplex"), std::string::npos) << msg;
  }
}

// Time multiplexing: 13 arrays on a chip of 6 (2.17 chips). Layers (16x16 arrays): fc0 32->16 = 2 blocks,
// fc1 16->32 = 2, fc2 32->16 = 2, fc3 16->48 = 3, fc4 48->16 = 3, fc5 16->16 = 1. In program order, a layer
// opens a new round when it does not fit the arrays left: {fc0, fc1, fc2} = 6, {fc3, fc4} = 6, {fc5} = 1.
TEST(Mapping, TimeMultiplexAssignsWholeLayersToRoundsInOrder) {
  ChipParams chip;
  chip.array.xbar.rows = chip.array.xbar.cols = 16;
  chip.tiles = 3;
  chip.arraysPerTile = 2;
  chip.mapping.overflow = MappingOverflow::TimeMultiplex;
  const Mapping m = mapProgram(testing::denseChain({32, 16, 32, 16, 48, 16, 16}), chip);
  ASSERT_EQ(m.layers.size(), 6u);
  EXPECT_EQ(m.rounds, 3);
  EXPECT_TRUE(m.timeMultiplexed());
  const std::vector<int> expectedRound = {0, 0, 0, 1, 1, 2};
  const std::vector<int> expectedBlocks = {2, 2, 2, 3, 3, 1};
  for (size_t l = 0; l < m.layers.size(); ++l) {
    EXPECT_EQ(m.layers[l].round, expectedRound[l]) << l;
    EXPECT_EQ(m.layers[l].arrays(), expectedBlocks[l]) << l;
    EXPECT_EQ(m.layers[l].replicas, 1) << l;
  }
  EXPECT_EQ(m.roundArrays, (std::vector<int>{6, 6, 1}));
  EXPECT_EQ(m.arraysNeeded, 13);
  EXPECT_EQ(m.arraysUsed, 6);  // the largest round
  EXPECT_EQ(m.arraysAvailable, 6);
  // Arrays are reused: every round starts again at array 0.
  EXPECT_EQ(m.layers[0].blocks[0].arrayIndex, 0);
  EXPECT_EQ(m.layers[2].blocks[1].arrayIndex, 5);
  EXPECT_EQ(m.layers[3].blocks[0].arrayIndex, 0);
  const ArrayBlock& b = m.layers[4].blocks[0];
  EXPECT_EQ(b.arrayIndex, 3);
  EXPECT_EQ(b.tile, 1);
  EXPECT_EQ(b.slot, 1);
  EXPECT_EQ(m.layers[5].blocks[0].arrayIndex, 0);
  // Within a round no two blocks share an array.
  for (int r = 0; r < m.rounds; ++r) {
    std::vector<int> seen;
    for (const LayerMapping& lm : m.layers) {
      if (lm.round != r) continue;
      for (const ArrayBlock& blk : lm.blocks) seen.push_back(blk.arrayIndex);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "round " << r;
    EXPECT_EQ(static_cast<int>(seen.size()), m.roundArrays[static_cast<size_t>(r)]);
  }
}

TEST(Mapping, TimeMultiplexOfAModelThatFitsIsOneRound) {
  ChipParams chip;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.mapping.overflow = MappingOverflow::TimeMultiplex;
  const Mapping m = mapProgram(testing::smallCnn(), chip);
  EXPECT_EQ(m.rounds, 1);
  EXPECT_FALSE(m.timeMultiplexed());
  EXPECT_EQ(m.arraysUsed, 10);
}

TEST(Mapping, LayerLargerThanTheChipIsAClearErrorEvenWhenTimeMultiplexed) {
  // smallCnn on 16x2 arrays: conv needs 4 arrays, fc 3 x 2 = 6; the chip has 5.
  ChipParams chip;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.tiles = 1;
  chip.arraysPerTile = 5;
  chip.mapping.overflow = MappingOverflow::TimeMultiplex;
  try {
    mapProgram(testing::smallCnn(), chip);
    FAIL() << "expected MappingError";
  } catch (const MappingError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer 'fc' alone needs 6 arrays of 16x2 but the chip has 5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chip.tiles to at least 2"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// Replication on smallCnn (16x2 arrays): conv = 4 blocks, 64 vectors per image; fc = 6 blocks, 1 vector
// (never replicated: replicas <= vectors). With A arrays, conv can have at most (A - 6) / 4 copies; the
// greedy only stops at copy counts r that are the fewest streaming ceil(64 / r) vectors, so the expected
// count is the largest such r within the limit: A = 16 -> 2, 30 -> 6, 34 -> 7 (ceil(64/7) = 10 < 11),
// 40 -> 8, 300 -> 64 (capped by the vectors).
TEST(Mapping, ReplicationGivesSpareArraysToTheVectorBoundLayer) {
  const wl::Program p = testing::smallCnn();
  const std::vector<std::pair<int, int>> arraysToReplicas = {{10, 1}, {13, 1}, {14, 2}, {16, 2},
                                                             {30, 6}, {34, 7}, {40, 8}, {300, 64}};
  for (const auto& [arrays, replicas] : arraysToReplicas) {
    ChipParams chip;
    chip.array.xbar.rows = 16;
    chip.array.xbar.cols = 2;
    chip.tiles = arrays;
    chip.arraysPerTile = 1;
    chip.mapping.replication = Replication::Auto;
    const Mapping m = mapProgram(p, chip);
    const LayerMapping& conv = m.layers[0];
    const LayerMapping& fc = m.layers[1];
    EXPECT_EQ(conv.replicas, replicas) << arrays << " arrays";
    EXPECT_EQ(fc.replicas, 1) << arrays << " arrays";
    EXPECT_LE(conv.replicas, p.steps[0].vectorsPerImage());
    EXPECT_EQ(m.arraysUsed, 10 + 4 * (replicas - 1)) << arrays << " arrays";
    EXPECT_LE(m.arraysUsed, m.arraysAvailable);
    EXPECT_EQ(m.replicaArrays(), 4 * (replicas - 1));
    EXPECT_EQ(m.rounds, 1);
    // Copies have the same geometry on arrays of their own, after the base placement.
    ASSERT_EQ(conv.replicaBlocks.size(), static_cast<size_t>(4 * (replicas - 1)));
    std::vector<int> used;
    for (const LayerMapping& lm : m.layers) {
      for (int r = 0; r < lm.replicas; ++r) {
        for (size_t i = 0; i < lm.blocks.size(); ++i) {
          const ArrayBlock& b = lm.replicaBlock(r, i);
          EXPECT_EQ(b.rowStart, lm.blocks[i].rowStart);
          EXPECT_EQ(b.rows, lm.blocks[i].rows);
          EXPECT_EQ(b.colStart, lm.blocks[i].colStart);
          EXPECT_EQ(b.cols, lm.blocks[i].cols);
          EXPECT_EQ(b.slice, lm.blocks[i].slice);
          if (r > 0) {
            EXPECT_GE(b.arrayIndex, 10);
          }
          used.push_back(b.arrayIndex);
        }
      }
    }
    std::sort(used.begin(), used.end());
    EXPECT_EQ(std::adjacent_find(used.begin(), used.end()), used.end()) << arrays << " arrays";
    EXPECT_LT(used.back(), m.arraysAvailable);
  }
}

// Two convs on 32x8 arrays: conv (2->4 ch, 8x8 out) 64 vectors, K = 18 -> 1 block; conv2 (4->4 ch, stride 2,
// 4x4 out) 16 vectors, K = 36 -> 2 blocks. 3 base arrays, 9 spare. Each step gives the layer streaming the
// most vectors per copy (ties: fewer arrays) the fewest copies that lower that count:
//   conv 64 -> 2 copies (spare 8), 32 -> 3 (7), 22 -> 4 (6), 16 = 16 tie -> conv, 1 array: 5 copies (5),
//   conv2 16 > 13 -> 2 copies (3), conv 13 > 8 -> 6 (2), 11 -> 7 (1), 10 -> 8 (0); nothing fits any more.
TEST(Mapping, ReplicationPrefersTheLayerStreamingTheMostVectorsPerCopy) {
  wl::Program p = testing::smallCnn(2, 8, 4, 3, 1, 1, 4);
  wl::Step conv2 = testing::smallCnn(4, 8, 4, 3, 2, 1, 4, 7).steps[0];
  conv2.name = "conv2";
  p.steps[4] = conv2;  // in place of the fc: the mapper reads weights, groups and vector counts
  ASSERT_EQ(p.steps[0].vectorsPerImage(), 64);
  ASSERT_EQ(p.steps[4].vectorsPerImage(), 16);
  ChipParams chip;
  chip.array.xbar.rows = 32;
  chip.array.xbar.cols = 8;
  chip.tiles = 1;
  chip.arraysPerTile = 12;
  chip.mapping.replication = Replication::Auto;
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.layers[0].blocks.size(), 1u);
  ASSERT_EQ(m.layers[1].blocks.size(), 2u);
  EXPECT_EQ(m.layers[0].replicas, 8);
  EXPECT_EQ(m.layers[1].replicas, 2);
  EXPECT_EQ(m.arraysUsed, 12);
}

TEST(Mapping, ReplicationIsOffWhenTheModelIsTimeMultiplexed) {
  ChipParams chip;
  chip.array.xbar.rows = chip.array.xbar.cols = 16;
  chip.tiles = 3;
  chip.arraysPerTile = 2;
  chip.mapping.overflow = MappingOverflow::TimeMultiplex;
  chip.mapping.replication = Replication::Auto;
  const Mapping m = mapProgram(testing::denseChain({32, 16, 32, 16, 48, 16, 16}), chip);
  EXPECT_EQ(m.rounds, 3);
  for (const LayerMapping& lm : m.layers) EXPECT_EQ(lm.replicas, 1);
}

TEST(Mapping, LayerLargerThanTheBufferIsAClearError) {
  // smallCnn at 8 bits: conv reads 2x8x8 and writes 3x8x8 (320 B); relu reads and writes 3x8x8 (384 B),
  // the largest layer. The first layer that does not fit is named.
  auto messageAt = [](double capacityBytes) -> std::string {
    ChipParams chip;
    chip.sram.capacityBytes = capacityBytes;
    try {
      mapProgram(testing::smallCnn(), chip);
    } catch (const MappingError& e) {
      return e.what();
    }
    return "";
  };
  const std::string conv = messageAt(319), relu = messageAt(383);
  EXPECT_NE(conv.find("'conv' needs 320 B"), std::string::npos) << conv;
  EXPECT_NE(relu.find("'relu' needs 384 B"), std::string::npos) << relu;
  EXPECT_EQ(messageAt(384), "");
}

TEST(Mapping, SpillPolicyCountsTheExcessInsteadOfFailing) {
  ChipParams chip;
  chip.sram.capacityBytes = 320;
  chip.sram.capacityPolicy = SramCapacityPolicy::Spill;
  const Mapping m = mapProgram(testing::smallCnn(), chip);
  // relu (384 B) and pool (192 + 48 = 240 B) vs 320 B: only relu spills, 64 B = 512 bits.
  EXPECT_EQ(m.spillBitsOfStep[0], 0u);
  EXPECT_EQ(m.spillBitsOfStep[1], 512u);
  EXPECT_EQ(m.spillBitsOfStep[2], 0u);
}

}  // namespace
}  // namespace mxsim
