#include <gtest/gtest.h>

#include "sim/core/error.h"
#include "sim/mapping/mapping.h"
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
  }
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
