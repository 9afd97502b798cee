// SystemC scenario: one convolution on one array of one tile, on two chips elaborated side by side
// (tests/support/chip_runs.h): a mesh with wide links and a wide tile-buffer word, where the array
// pipeline sets the tile's time, and a bus with narrow links and an 8-bit buffer word, where the input
// buffer feeding the array sets it. The layer's cycles must equal the sum of every stage of the flow in
// sim/timing/chip_top.h, each derived from its block's parameters:
//   global-buffer read   ceil(bits / (word x read ports)) + access − 1
//   input multicast      h·L + ceil(bits / W)             (tile 0 = node 1: h = 1 on the mesh, 1 on the bus)
//   input-buffer write   ceil(bits / buffer word)
//   stream ‖ feed        max(fill + (n − 1)·max stage, ceil(n·rows·act / buffer word))
//   partial sums         2 · ceil(n·cols·psum / buffer word)   (output-buffer write, then read)
//   back to the buffer   h·L + ceil(psum bits / W)
//   digital              ceil((adds + ops) / lanes)
//   global-buffer write  ceil(bits / (word x write ports)) + access − 1
#include <gtest/gtest.h>

#include <algorithm>

#include "models/tile/tile_buffer.h"
#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

struct Knobs {
  NocTopology topology;
  int linkWidth, hopLatency, bufferWord;
  bool signedInput;
};

ChipParams chipFor(const Knobs& k) {
  ChipParams chip;
  chip.clockHz = 1e9;
  chip.tiles = 3;  // mesh: 4 nodes on 2 x 2 routers
  chip.arraysPerTile = 2;
  chip.array.xbar.rows = 32;
  chip.array.xbar.cols = 8;
  chip.array.xbar.readCycles = 5;
  chip.array.dac.cycles = 1;
  chip.array.adc.perArray = 4;
  chip.array.adc.conversionCycles = 1;
  chip.sram.wordBits = 64;
  chip.sram.ports = 1;
  chip.sram.accessCycles = 2;
  chip.sram.activationBits = 8;
  chip.digital.lanes = 8;
  chip.tile.bufferWordBits = k.bufferWord;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = k.topology;
  chip.noc.linkWidthBits = k.linkWidth;
  chip.noc.hopLatencyCycles = k.hopLatency;
  return chip;
}

/// The layer's cycles from the knobs: conv 2x6x6 -> 4x6x6, 3x3, pad 1: K = 18 rows x 4 columns on one
/// 32 x 8 array, n = 36 vectors; DAC 1, read 5, ADC ceil(4 / 4) x 1 cycle per pass.
struct Derivation {
  std::uint64_t sramRead, nocIn, bufIn, stream, feed, bufOut, nocBack, digital, sramWrite;
  std::uint64_t total() const {
    return sramRead + nocIn + bufIn + std::max(stream, feed) + bufOut + nocBack + digital + sramWrite;
  }
};

Derivation derive(const Knobs& k) {
  const std::uint64_t n = 36, rows = 18, cols = 4, act = 8, psum = 16;
  const std::uint64_t passes = k.signedInput ? 2 : 1;  // two-phase signed inputs
  const std::uint64_t inBits = 2 * 36 * act, outBits = 4 * 36 * act, psumBits = n * cols * psum;
  const auto L = static_cast<std::uint64_t>(k.hopLatency), W = static_cast<std::uint64_t>(k.linkWidth);
  const auto bw = static_cast<std::uint64_t>(k.bufferWord);
  Derivation d{};
  d.sramRead = ceilDiv(inBits, 64 * 1) + 2 - 1;
  d.nocIn = 1 * L + ceilDiv(inBits, W);
  d.bufIn = ceilDiv(inBits, bw);
  const std::uint64_t dac = 1 * passes, read = 5 * passes, adc = ceilDiv(cols, 4) * 1 * passes;
  d.stream = dac + read + adc + (n - 1) * std::max({dac, read, adc});
  d.feed = ceilDiv(n * rows * act, bw);
  d.bufOut = 2 * ceilDiv(psumBits, bw);
  d.nocBack = 1 * L + ceilDiv(psumBits, W);
  // One row block: each output sums its passes (passes − 1 adds), then rescale and bias (2 ops).
  d.digital = ceilDiv(2 * n * cols, 8);  // one row block: no accumulation; passes merged in the tile
  d.sramWrite = ceilDiv(outBits, 64 * 1) + 2 - 1;
  return d;
}

TEST(ChipOneLayer, EveryStageOfTheFlowAddsUpOnAMeshAndOnABus) {
  const wl::Program p = testing::groupedConv(/*C=*/2, /*H=*/6, /*outC=*/4, /*groups=*/1);
  const std::vector<Knobs> knobs = {
      {NocTopology::Mesh, /*linkWidth=*/32, /*hopLatency=*/2, /*bufferWord=*/128, /*signed=*/true},
      {NocTopology::Bus, /*linkWidth=*/8, /*hopLatency=*/5, /*bufferWord=*/8, /*signed=*/false},
  };
  std::vector<testing::ChipCase> cases;
  for (std::size_t i = 0; i < knobs.size(); ++i) {
    testing::ChipCase c;
    c.name = i == 0 ? "mesh_chip" : "bus_chip";
    c.program = &p;
    c.chip = chipFor(knobs[i]);
    c.mapping = mapProgram(p, c.chip);
    c.signedInputs = {knobs[i].signedInput};
    ASSERT_EQ(c.mapping.layers.size(), 1u);
    ASSERT_EQ(c.mapping.layers[0].blocks.size(), 1u);  // one array ...
    ASSERT_EQ(c.mapping.layers[0].blocks[0].tile, 0);  // ... of tile 0
    ASSERT_EQ(c.mapping.layers[0].blocks[0].rows, 18);
    ASSERT_EQ(c.mapping.layers[0].blocks[0].cols, 4);
    cases.push_back(std::move(c));
  }
  const std::vector<TimingResult> runs = testing::runSideBySide(cases);

  for (std::size_t i = 0; i < knobs.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const Derivation d = derive(knobs[i]);
    const TimingResult& t = runs[i];
    ASSERT_EQ(t.layers.size(), 1u);
    EXPECT_EQ(t.layers[0].startCycle, 0u);
    EXPECT_EQ(t.layers[0].cycles, d.total());
    EXPECT_EQ(t.totalCycles, d.total());
    // Which side of the tile's max() binds is part of the scenario.
    if (i == 0) {
      EXPECT_GT(d.stream, d.feed);
    } else {
      EXPECT_GT(d.feed, d.stream);
    }

    const std::uint64_t inBits = 2 * 36 * 8, feedBits = 36 * 18 * 8, psumBits = 36 * 4 * 16;
    const auto& c = t.ledger.counts().at("gconv");
    EXPECT_EQ(c.at(action::kNocBitHop), inBits + psumBits);  // one hop each way (bus: one transfer each)
    EXPECT_EQ(c.at(action::kTileBufferWriteBit), inBits);  // the input buffer: written once, fed to the arrays
    EXPECT_EQ(c.at(action::kTileBufferReadBit), feedBits);
    EXPECT_EQ(c.at(action::kOutputBufferWriteBit), psumBits);  // the output buffer: partial sums in and out
    EXPECT_EQ(c.at(action::kOutputBufferReadBit), psumBits);
    EXPECT_EQ(c.at(action::kSampleHold), c.at(action::kAdcConvert));  // each conversion samples its column
    // Busy time of the two buffers of tile 0: input write, feed read, partial sums written and read.
    const ComponentActivity buffers = testing::activityOf(t, "tile_buffer");
    EXPECT_EQ(buffers.instances, 2 * 3);
    EXPECT_NEAR(buffers.busySeconds * 1e9, static_cast<double>(d.bufIn + d.feed + d.bufOut), 1e-6);
    // One transfer at a time: nothing waited for a link.
    EXPECT_NEAR(testing::activityOf(t, "link").stallSeconds, 0.0, 1e-15);
  }
}

}  // namespace
}  // namespace mxsim
