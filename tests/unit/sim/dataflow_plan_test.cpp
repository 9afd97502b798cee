// The dataflow plan (sim/timing/dataflow.h), no SystemC: receptive-field rows, where inputs are stored, the
// rows a join must hold, and the capacity check.
#include <gtest/gtest.h>

#include "sim/core/error.h"
#include "sim/mapping/mapping.h"
#include "sim/timing/dataflow.h"
#include "tests/support/graph_builder.h"

namespace mxsim {
namespace {

ChipParams planChip(double memoryBytes) {
  ChipParams chip = ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map));
  chip.array.xbar.rows = 32;
  chip.array.xbar.cols = 8;
  chip.sram.activationBits = 8;
  chip.tiles = 16;
  chip.arraysPerTile = 1;
  chip.tile.memoryBytes = memoryBytes;
  chip.schedule = Schedule::Pipelined;
  return chip;
}

DataflowPlan plan(const wl::Program& p, const ChipParams& chip) {
  const Mapping m = mapProgram(p, chip);
  return planDataflow(p, chip, m, std::vector<bool>(m.layers.size(), false));
}

TEST(DataflowPlan, ReceptiveFieldRows) {
  DataflowEdge e;
  e.need = RowNeed::Window;
  e.producerRows = 10;
  e.stride = 2, e.padTop = 1, e.span = 3;  // 3x3, stride 2, pad 1
  // Row r reads producer rows r*2 - 1 .. r*2 + 1, clipped to [0, 9].
  EXPECT_EQ(e.firstNeeded(0), 0);
  EXPECT_EQ(e.lastNeeded(0), 1);
  EXPECT_EQ(e.firstNeeded(3), 5);
  EXPECT_EQ(e.lastNeeded(3), 7);
  EXPECT_EQ(e.lastNeeded(5), 9);  // 11 clipped
  e.need = RowNeed::Same;
  EXPECT_EQ(e.lastNeeded(4), 4);
  EXPECT_EQ(e.firstNeeded(4), 4);
  e.need = RowNeed::All;
  EXPECT_EQ(e.firstNeeded(4), 0);
  EXPECT_EQ(e.lastNeeded(0), 9);
}

TEST(DataflowPlan, OutputPathInputsTakeNoMemoryAndJoinsHoldTheLag) {
  // x -> conv3x3 -> relu -> conv3x3 -> add(x) : the add's main input comes from the second conv's output path;
  // its skip input must hold the rows x runs ahead of the main path. x = relu(conv(input)) on 8 rows: x row r'
  // depends on input row min(7, r' + 1); add row r on input row min(7, r + 3) (three 3x3 convs, pad 1). While
  // the add works on row r, x can have made every row r' with min(7, r' + 1) <= min(7, r + 3), and the add
  // holds x rows from r on: r + 2 - r + 1 = 3 rows while r + 3 < 7, but at r = 4 the input is complete and x
  // rows 4 .. 7 can all exist: 4 rows.
  testing::GraphBuilder g(4, 8, 8);
  const int x = g.relu(g.conv(g.input(), 4, 3, 1, 1));
  const int y = g.conv(g.relu(g.conv(x, 4, 3, 1, 1)), 4, 3, 1, 1);
  const wl::Program p = g.finish(g.addSkip(y, x));
  const DataflowPlan pl = plan(p, planChip(64 * 1024));
  const DataflowStep& relu = pl.steps[1];
  ASSERT_EQ(relu.inputs.size(), 1u);
  EXPECT_TRUE(relu.inputs[0].tiles.empty()) << "a ReLU on its producer's tile reads the output path";
  EXPECT_EQ(relu.inputs[0].need, RowNeed::Same);
  const DataflowStep& add = pl.steps.back();
  ASSERT_EQ(add.inputs.size(), 2u);
  EXPECT_TRUE(add.inputs[0].tiles.empty()) << "main path: same places as the add";
  ASSERT_FALSE(add.inputs[1].tiles.empty()) << "skip path: stored";
  EXPECT_EQ(add.inputs[1].minSlots, 4u);
  // A conv stores its input where its arrays are and needs the kernel's 3 rows at once.
  const DataflowStep& conv2 = pl.steps[2];
  EXPECT_EQ(conv2.inputs[0].need, RowNeed::Window);
  EXPECT_EQ(conv2.inputs[0].minSlots, 3u);
  EXPECT_GE(conv2.inputs[0].slots, conv2.inputs[0].minSlots);
}

TEST(DataflowPlan, ChannelSharesAndCapacityError) {
  // conv 4 -> 8 channels, 3x3: K = 36 > 32 rows: two row blocks on two tiles (one array each). Tile 0's
  // arrays read K rows 0..31 (32 of 36), tile 1's rows 32..35: each stores that share of a 4x8x8 input row.
  testing::GraphBuilder g(4, 8, 8);
  const wl::Program p = g.finish(g.conv(g.input(), 8, 3, 1, 1));
  const DataflowPlan pl = plan(p, planChip(64 * 1024));
  const DataflowEdge& e = pl.steps[0].inputs[0];
  const std::uint64_t rowBits = 4 * 8 * 8;
  ASSERT_EQ(e.tiles.size(), 2u);
  EXPECT_EQ(e.bitsPerRow[0], (rowBits * 32 + 35) / 36);
  EXPECT_EQ(e.bitsPerRow[1], (rowBits * 4 + 35) / 36);
  // Tile 0 must hold 3 rows of its share: 3 * 228 bits = 86 bytes. One byte less is an error naming the tile.
  const std::uint64_t need = (3 * e.bitsPerRow[0] + 7) / 8;
  EXPECT_NO_THROW(plan(p, planChip(static_cast<double>(need))));
  try {
    plan(p, planChip(static_cast<double>(need - 1)));
    FAIL() << "expected a MappingError";
  } catch (const MappingError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("tile 0"), std::string::npos) << m;
    EXPECT_NE(m.find("chip.tile.memory"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(need) + " B"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace mxsim
