// SystemC scenario: the pipelined schedule (chip.schedule: pipelined) against the sequential one, four chips
// side by side (tests/support/chip_runs.h): the small CNN (conv -> relu -> pool -> flatten -> fc) and a dense
// chain, each under both schedules. Invariants of the controller (sim/timing/chip_top.h):
//  - a step starts no earlier than the steps producing its inputs start, and ends after they end (at least
//    one of its own output rows later; a view may end with its producer);
//  - the pipelined latency is at most the sequential one; strictly less for the CNN, whose relu and pool
//    need only the first rows of their input and so overlap the convolution;
//  - a dense layer needs its whole input (lead fraction 1) and has a one-row output, so a dense chain runs
//    exactly as in sequence: every layer starts when its producer ends, with the same cycles;
//  - the fc layer (whole input) cannot start before the convolution ends: the CNN's pipelined latency is at
//    least the convolution's and the fc's sequential cycles;
//  - the same work is done: identical action counts per layer, hence identical dynamic energy.
#include <gtest/gtest.h>

#include <cstdio>

#include "sim/report/report.h"
#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

ChipParams chipWith(Schedule schedule) {
  ChipParams chip = ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map));  // defaults, energy table included
  testing::applySmallTimingChip(chip);
  chip.digital.lanes = 4;
  chip.tiles = 4;
  chip.arraysPerTile = 4;
  chip.tile.bufferWordBits = 32;
  chip.noc.linkWidthBits = 16;
  chip.schedule = schedule;
  return chip;
}

/// Producer steps of step s (the steps writing its inputs).
std::vector<std::size_t> producersOf(const wl::Program& p, std::size_t s) {
  std::vector<std::size_t> out;
  for (int b : p.steps[s].inputs)
    for (std::size_t q = 0; q < p.steps.size(); ++q)
      if (p.steps[q].output == b) out.push_back(q);
  return out;
}

TEST(ChipPipelined, OverlapsConvolutionsNeverBreaksDependenciesAndDoesTheSameWork) {
  const wl::Program cnn = testing::smallCnn();
  const wl::Program dense = testing::denseChain({32, 8, 6, 4});  // 3 layers, 8 + 3 + 2 arrays
  std::vector<testing::ChipCase> cases;
  for (const wl::Program* p : {&cnn, &dense})
    for (Schedule s : {Schedule::Sequential, Schedule::Pipelined}) {
      testing::ChipCase c;
      c.name = std::string(p == &cnn ? "cnn" : "dense") + (s == Schedule::Sequential ? "_sequential" : "_pipelined");
      c.program = p;
      c.chip = chipWith(s);
      c.mapping = mapProgram(*p, c.chip);
      c.signedInputs = std::vector<bool>(c.mapping.layers.size(), false);
      if (p == &cnn) c.signedInputs[0] = true;
      cases.push_back(std::move(c));
    }
  const std::vector<TimingResult> runs = testing::runSideBySide(cases);
  const TimingResult &cnnSeq = runs[0], &cnnPipe = runs[1], &denseSeq = runs[2], &densePipe = runs[3];

  for (std::size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const wl::Program& p = *cases[i].program;
    const TimingResult& t = runs[i];
    ASSERT_EQ(t.layers.size(), p.steps.size());
    std::uint64_t last = 0;
    for (std::size_t s = 0; s < p.steps.size(); ++s) {
      const LayerTiming& lt = t.layers[s];
      ASSERT_EQ(lt.step, static_cast<int>(s));
      last = std::max(last, lt.startCycle + lt.cycles);
      for (std::size_t q : producersOf(p, s)) {
        EXPECT_GE(lt.startCycle, t.layers[q].startCycle)
            << lt.name << " starts before its producer " << t.layers[q].name;
        // A step doing work finishes its last output row after its producer's last row: strictly later.
        if (p.steps[s].kind == wl::StepKind::Reshape) {
          EXPECT_GE(lt.startCycle + lt.cycles, t.layers[q].startCycle + t.layers[q].cycles)
              << lt.name << " ends before its producer " << t.layers[q].name;
        } else {
          EXPECT_GT(lt.startCycle + lt.cycles, t.layers[q].startCycle + t.layers[q].cycles)
              << lt.name << " ends with or before its producer " << t.layers[q].name;
        }
      }
    }
    EXPECT_EQ(t.totalCycles, last);  // the run ends with its last step
  }

  // The CNN: strictly shorter pipelined, and relu really starts while the convolution is still running.
  EXPECT_LT(cnnPipe.totalCycles, cnnSeq.totalCycles);
  std::printf("smallCnn: sequential %llu cycles, pipelined %llu cycles\n", static_cast<unsigned long long>(cnnSeq.totalCycles),
              static_cast<unsigned long long>(cnnPipe.totalCycles));
  EXPECT_LT(cnnPipe.layers[1].startCycle, cnnPipe.layers[0].startCycle + cnnPipe.layers[0].cycles);
  // relu (8 output rows) and pool (4) end at least one of their own rows after their producers: a row's
  // work is at least 1/rows of the step's uncontended time, its cycles in the sequential schedule.
  auto end = [](const LayerTiming& l) { return l.startCycle + l.cycles; };
  EXPECT_GE(end(cnnPipe.layers[1]) - end(cnnPipe.layers[0]), cnnSeq.layers[1].cycles / 8);
  EXPECT_GE(end(cnnPipe.layers[2]) - end(cnnPipe.layers[1]), cnnSeq.layers[2].cycles / 4);
  // fc waits for the whole pooled map, which waits for the convolution's end.
  EXPECT_GE(cnnPipe.totalCycles, cnnSeq.layers[0].cycles + cnnSeq.layers[4].cycles);
  EXPECT_GE(cnnPipe.layers[4].startCycle, cnnPipe.layers[2].startCycle + cnnPipe.layers[2].cycles);

  // The dense chain: identical to the sequential schedule, layer by layer.
  EXPECT_EQ(densePipe.totalCycles, denseSeq.totalCycles);
  for (std::size_t s = 0; s < dense.steps.size(); ++s) {
    EXPECT_EQ(densePipe.layers[s].startCycle, denseSeq.layers[s].startCycle) << dense.steps[s].name;
    EXPECT_EQ(densePipe.layers[s].cycles, denseSeq.layers[s].cycles) << dense.steps[s].name;
  }

  // Same work whatever the order: every layer's action counts, and so the dynamic energy, are identical.
  for (std::size_t i : {0u, 2u}) {
    SCOPED_TRACE(cases[i].name);
    EXPECT_EQ(runs[i].ledger.counts(), runs[i + 1].ledger.counts());
    const EnergyReport seq = priceEnergy(runs[i], cases[i].chip, cases[i].mapping.arraysUsed);
    const EnergyReport pipe = priceEnergy(runs[i + 1], cases[i + 1].chip, cases[i + 1].mapping.arraysUsed);
    EXPECT_DOUBLE_EQ(pipe.dynamicJ, seq.dynamicJ);
    EXPECT_GT(seq.dynamicJ, 0.0);
    // Leakage follows the latency.
    EXPECT_NEAR(pipe.leakageJ / seq.leakageJ,
                static_cast<double>(runs[i + 1].totalCycles) / static_cast<double>(runs[i].totalCycles), 1e-12);
  }
}

}  // namespace
}  // namespace mxsim
