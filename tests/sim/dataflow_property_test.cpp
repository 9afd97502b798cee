// SystemC scenario: properties of the dataflow chip model over randomly generated layer graphs (shapes,
// strides, kernel sizes, pooling, residual joins), each played pipelined (1 and 3 images) and sequential
// side by side in one elaboration:
//  - causality: no step issues an output row before every input row that row's receptive field needs has
//    arrived in its tile memory (the trace of arrivals against the trace of row starts);
//  - a row is finished after it starts, and a step's rows start in order;
//  - pipelined latency <= sequential latency for one image (same chip, same mapping, same work);
//  - throughput <= the slowest stage's rate: with 3 images in flight the run lasts at least 3 x the busiest
//    resource's cycles per image, and the reported interval is at least those cycles;
//  - capacity: no producer row is sent while the consumer holds `slots` unreleased rows of that input;
//  - the same work: identical action counts per image in both schedules.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <limits>
#include <random>

#include "sim/mapping/mapping.h"
#include "tests/support/dataflow_runs.h"
#include "tests/support/graph_builder.h"

namespace mxsim {
namespace {

wl::Program randomGraph(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int h = pick(6, 14), c = pick(1, 4);
  testing::GraphBuilder g(c, h, pick(5, 12));
  int x = g.input();
  const int blocks = pick(2, 4);
  for (int b = 0; b < blocks; ++b) {
    const auto& s = g.shape(x);
    const int kind = pick(0, 3);
    if (kind == 0 || s[1] < 4) {  // plain conv
      const int k = pick(0, 1) ? 3 : 1;
      const int stride = (s[1] >= 6 && pick(0, 2) == 0) ? 2 : 1;
      x = g.relu(g.conv(x, pick(2, 12), k, stride, k / 2));
    } else if (kind == 1) {  // residual block: conv-relu-conv + skip
      const int ch = static_cast<int>(s[0]);
      const int y = g.relu(g.conv(x, ch, 3, 1, 1));
      x = g.relu(g.addSkip(g.conv(y, ch, 3, 1, 1), x));
    } else if (kind == 2) {
      x = g.maxPool(x);
    } else {
      x = g.relu(g.conv(x, pick(2, 20), 3, 1, 1));  // wide K: several row blocks
    }
  }
  return g.finish(g.dense(g.flatten(x), pick(2, 10)));
}

ChipParams propertyChip(Schedule s, std::mt19937& rng) {
  ChipParams chip = ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map));
  chip.array.xbar.rows = 32;
  chip.array.xbar.cols = 8;
  chip.array.xbar.readCycles = 5;
  chip.array.adc.perArray = 2;
  chip.array.adc.conversionCycles = 2;
  chip.sram.activationBits = 8;
  chip.tiles = 256;  // room for the dense layer of the largest graphs
  chip.arraysPerTile = std::uniform_int_distribution<int>(1, 3)(rng);
  chip.tile.memoryBytes = 64 * 1024;
  chip.tile.memoryWordBits = 64;
  chip.tile.digitalLanes = 4;
  chip.noc.linkWidthBits = 16;
  chip.noc.packetFlits = 4;
  chip.noc.routerBufferFlits = 8;
  chip.noc.concentration = std::uniform_int_distribution<int>(1, 2)(rng);
  chip.schedule = s;
  return chip;
}

TEST(DataflowProperties, CausalBoundedAndNeverSlowerPipelined) {
  constexpr int kGraphs = 12;
  std::mt19937 rng(20261203);
  std::vector<wl::Program> graphs;
  graphs.reserve(kGraphs);
  std::vector<testing::DataflowCase> cases;
  for (int i = 0; i < kGraphs; ++i) {
    graphs.push_back(randomGraph(rng));
    std::mt19937 chipRng(static_cast<unsigned>(i));
    // One image pipelined, one image sequential (latency), three images pipelined (throughput).
    const std::pair<Schedule, int> kinds[] = {{Schedule::Pipelined, 1}, {Schedule::Sequential, 1}, {Schedule::Pipelined, 3}};
    for (const auto& [s, images] : kinds) {
      testing::DataflowCase c;
      c.name = fmt::format("g{}_{}{}", i, s == Schedule::Pipelined ? "pipe" : "seq", images);
      c.program = &graphs.back();
      std::mt19937 same = chipRng;  // every run of a graph on the same chip
      c.chip = propertyChip(s, same);
      c.mapping = mapProgram(graphs.back(), c.chip);
      c.signedInputs.assign(c.mapping.layers.size(), false);
      c.signedInputs[0] = true;  // the image input is signed: two phases
      c.images = images;
      cases.push_back(std::move(c));
    }
  }
  auto runs = testing::runDataflowSideBySide(cases);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto& run = *runs[k];
    const auto& top = *run.top;
    SCOPED_TRACE(cases[k].name);
    for (std::size_t s = 0; s < run.plan.steps.size(); ++s) {
      const DataflowStep& d = run.plan.steps[s];
      for (std::size_t g = 0; g < top.rowStarts()[s].size(); ++g) {
        const std::uint64_t start = top.rowStarts()[s][g];
        ASSERT_NE(start, ~std::uint64_t{0}) << "step " << s << " row " << g << " never ran";
        EXPECT_GE(top.rowEnds()[s][g], start);
        if (g) {
          EXPECT_GE(start, top.rowStarts()[s][g - 1]);
        }
        const int image = static_cast<int>(g / static_cast<std::size_t>(d.rows));
        const int r = static_cast<int>(g % static_cast<std::size_t>(d.rows));
        for (std::size_t e = 0; e < d.inputs.size(); ++e) {
          const DataflowEdge& edge = d.inputs[e];
          const int need = cases[k].chip.schedule == Schedule::Sequential ? edge.producerRows - 1 : edge.lastNeeded(r);
          const std::size_t pr = static_cast<std::size_t>(image * edge.producerRows + need);
          ASSERT_LT(pr, top.arrivals()[s][e].size());
          EXPECT_GE(start, top.arrivals()[s][e][pr]) << "step " << s << " row " << g << " read input row " << pr
                                                     << " before it arrived";
        }
      }
    }
    // Capacity: when a producer row was sent, the consumer held fewer than `slots` rows (rows sent before it
    // and not yet released), so a tile memory never holds more than its plan.
    for (std::size_t s = 0; s < run.plan.steps.size(); ++s)
      for (std::size_t e = 0; e < run.plan.steps[s].inputs.size(); ++e) {
        const DataflowEdge& edge = run.plan.steps[s].inputs[e];
        if (edge.tiles.empty() || edge.slots == std::numeric_limits<std::uint64_t>::max()) continue;
        const auto& sent = top.sentCycles()[s][e];
        const auto& log = top.releases()[s][e];
        std::size_t li = 0;
        std::uint64_t released = 0;
        for (std::size_t g = 0; g < sent.size(); ++g) {
          while (li < log.size() && log[li].first <= sent[g]) released = log[li++].second;
          EXPECT_LT(g, released + edge.slots) << "step " << s << " input " << e << " row " << g << " sent into a full memory";
        }
      }
    // The busiest resource must do every image's work between the first input and the last output, so the
    // run takes at least images x its cycles per image; the reported interval is never below it.
    const ThroughputResult& t = run.result.throughput;
    const auto makespan = static_cast<std::uint64_t>(t.makespanSeconds * cases[k].chip.clockHz + 0.5);
    EXPECT_GE(makespan, static_cast<std::uint64_t>(cases[k].images) * t.bottleneckCyclesPerImage)
        << "bottleneck " << t.bottleneck;
    EXPECT_GE(t.initiationIntervalCycles, t.bottleneckCyclesPerImage);
    EXPECT_EQ(t.measured, cases[k].images > 1);
  }
  for (std::size_t k = 0; k < runs.size(); k += 3) {
    SCOPED_TRACE(cases[k].name);
    EXPECT_LE(runs[k]->result.totalCycles, runs[k + 1]->result.totalCycles) << "pipelined slower than sequential";
    for (const char* a : {action::kXbarCellRead, action::kAdcConvert, action::kDigitalOp, action::kSramWriteBit,
                          action::kNocBitHop}) {
      EXPECT_EQ(runs[k]->result.ledger.total(a), runs[k + 1]->result.ledger.total(a)) << a;
      EXPECT_EQ(runs[k]->result.ledger.total(a), runs[k + 2]->result.ledger.total(a)) << a << " (per image)";
    }
  }
}

}  // namespace
}  // namespace mxsim
