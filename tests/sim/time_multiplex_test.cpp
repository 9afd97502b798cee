// SystemC scenario: chip.mapping.overflow: time_multiplex with a model needing 12x the chip (48 arrays of
// 16x16 on a chip of 4). Before every round the controller reprograms that round's arrays: all arrays in
// parallel, rows one after another, once per multiplex_batch images, so one image pays
// ceil(max rows x write_cycles_per_row / multiplex_batch) cycles and 1/multiplex_batch of the cell writes.
// The reprogramming rows keep the report invariants (sum of rows = totals). One elaboration per process.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/report/report.h"
#include "sim/timing/timing_engine.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

TEST(TimeMultiplex, ReprogrammingCyclesAndWritesMatchDerivationForAModelTwelveTimesTheChip) {
  ChipParams chip = ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map));  // defaults, energy table included
  chip.array.xbar.rows = chip.array.xbar.cols = 16;
  chip.array.xbar.writeCyclesPerRow = 5;
  chip.tiles = 2;
  chip.arraysPerTile = 2;
  chip.mapping.overflow = MappingOverflow::TimeMultiplex;
  chip.mapping.multiplexBatch = 4;
  // Layers (K x N -> blocks, rows per block): fc0 10x64 -> 4 (10), fc1 64x16 -> 4 (16), fc2 16x32 -> 2 (16),
  // fc3 32x8 -> 2 (16), fc4 8x64 -> 4 (8), then fc5..fc12 alternate 64x16 / 16x64 -> 4 each (16).
  const std::vector<int> widths = {10, 64, 16, 32, 8, 64, 16, 64, 16, 64, 16, 64, 16, 64};
  const wl::Program p = testing::denseChain(widths);
  const Mapping m = mapProgram(p, chip);
  ASSERT_EQ(m.arraysNeeded, 48);
  ASSERT_EQ(m.arraysAvailable, 4);
  // Rounds: {fc0}, {fc1}, {fc2, fc3}, {fc4}, {fc5}, ..., {fc12}.
  ASSERT_EQ(m.rounds, 12);
  const std::vector<int> firstLayerOfRound = {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::vector<std::uint64_t> maxRows = {10, 16, 16, 8, 16, 16, 16, 16, 16, 16, 16, 16};
  std::vector<std::uint64_t> cellWrites(12, 0);  // differential pairs: 2 devices per weight
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int round = l <= 2 ? static_cast<int>(l) : static_cast<int>(l) - 1;  // fc2 and fc3 share round 2
    ASSERT_EQ(m.layers[l].round, round) << l;
    cellWrites[static_cast<size_t>(round)] += 2ull * widths[l] * widths[l + 1];
  }

  const TimingResult t = runTiming(p, chip, m, std::vector<bool>(m.layers.size(), false));
  ASSERT_EQ(t.layers.size(), p.steps.size() + 12);
  const EnergyReport e = priceEnergy(t, chip, m.arraysUsed);
  const double leakW = chip.totalLeakageW(m.arraysUsed);
  std::uint64_t sum = 0;
  int round = 0;
  double energySum = 0;
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const LayerTiming& lt = t.layers[i];
    EXPECT_EQ(lt.startCycle, sum) << lt.name;
    sum += lt.cycles;
    energySum += e.byLayer[i];
    if (lt.step >= 0) continue;
    // A reprogramming row precedes the first layer of its round.
    ASSERT_LT(round, 12);
    EXPECT_EQ(lt.name, "reprogram round " + std::to_string(round));
    EXPECT_EQ(lt.round, round);
    EXPECT_EQ(t.layers[i + 1].step, firstLayerOfRound[static_cast<size_t>(round)]) << lt.name;
    EXPECT_EQ(lt.arrays, m.roundArrays[static_cast<size_t>(round)]);
    // ceil(max rows x write_cycles_per_row / multiplex_batch): 50/4 -> 13, 80/4 = 20, 40/4 = 10.
    const std::uint64_t expected = (maxRows[static_cast<size_t>(round)] * 5 + 3) / 4;
    EXPECT_EQ(lt.cycles, expected) << lt.name;
    const auto& counts = t.ledger.counts().at(lt.name);
    EXPECT_EQ(counts.at(action::kXbarCellWrite), cellWrites[static_cast<size_t>(round)]) << lt.name;
    EXPECT_EQ(counts.size(), 1u) << lt.name;  // nothing but the writes
    EXPECT_DOUBLE_EQ(t.ledger.share(lt.name), 0.25);
    const double joules = static_cast<double>(cellWrites[static_cast<size_t>(round)]) * 16.82e-12 / 4 +
                          leakW * static_cast<double>(expected) / chip.clockHz;
    EXPECT_NEAR(e.byLayer[i], joules, joules * 1e-12) << lt.name;
    ++round;
  }
  EXPECT_EQ(round, 12);
  EXPECT_EQ(sum, t.totalCycles);
  EXPECT_NEAR(energySum, e.totalJ, e.totalJ * 1e-12);
  EXPECT_EQ(t.elaboratedArrays, 4);
}

}  // namespace
}  // namespace mxsim
