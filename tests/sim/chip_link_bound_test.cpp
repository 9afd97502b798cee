// SystemC scenario: a link-bound layer. A 64 -> 16 dense layer on 16 x 16 arrays has 4 row blocks, one per
// tile (one array per tile), so the input goes to 4 tiles and 4 tiles send partial sums back at once. The
// links move 8 bits per cycle (hop latency L = 2), so the interconnect takes most of the layer's time. Two
// chips side by side (tests/support/chip_runs.h):
//   bus:  the multicast is one broadcast, L + S_in; the 4 transfers back share the bus and are served one
//         after another: the last arrives at L + 4·S (docs/noc.md, "Bus").
//   mesh: 5 nodes on 3 x 2 routers (node n at (n mod 3, n / 3)); tiles 0..3 are nodes 1 (1,0), 2 (2,0),
//         3 (0,1), 4 (1,1). The multicast tree reaches the farthest (2 hops) at 2L + S_in. Back, XY routes
//         2->1->0 and 4->3->0 meet 1->0 and 3->0 at the heads of tiles 0 and 2, which arrived first: each
//         link carries two transfers back to back, the last arriving at L + 2·S.
// S_in = ceil(512 / 8) = 64 flits, S = ceil(16 partial sums x 16 bits / 8) = 32 flits.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

ChipParams chipWith(NocTopology topology) {
  ChipParams chip;
  chip.clockHz = 1e9;
  chip.tiles = 4;
  chip.arraysPerTile = 1;
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 16;
  chip.array.xbar.readCycles = 10;
  chip.array.dac.cycles = 1;
  chip.array.adc.perArray = 8;
  chip.array.adc.conversionCycles = 1;
  chip.sram.wordBits = 256;
  chip.sram.ports = 2;
  chip.sram.accessCycles = 1;
  chip.sram.activationBits = 8;
  chip.digital.lanes = 64;
  chip.tile.bufferWordBits = 128;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = topology;
  chip.noc.linkWidthBits = 8;
  chip.noc.hopLatencyCycles = 2;
  chip.noc.multicast = NocMulticast::Tree;
  return chip;
}

TEST(ChipLinkBound, NarrowLinksDominateAndSharedLinksSerialiseThePartialSums) {
  const wl::Program p = testing::denseChain({64, 16});  // one layer "fc0", one vector, unsigned input
  const std::vector<NocTopology> topologies = {NocTopology::Bus, NocTopology::Mesh};
  std::vector<testing::ChipCase> cases;
  for (NocTopology topo : topologies) {
    testing::ChipCase c;
    c.name = topo == NocTopology::Bus ? "bus_chip" : "mesh_chip";
    c.program = &p;
    c.chip = chipWith(topo);
    c.mapping = mapProgram(p, c.chip);
    c.signedInputs = {false};
    const LayerMapping& lm = c.mapping.layers.at(0);
    ASSERT_EQ(lm.blocks.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
      ASSERT_EQ(lm.blocks[i].tile, static_cast<int>(i));
      ASSERT_EQ(lm.blocks[i].rows, 16);
      ASSERT_EQ(lm.blocks[i].cols, 16);
    }
    cases.push_back(std::move(c));
  }
  const std::vector<TimingResult> runs = testing::runSideBySide(cases);

  const std::uint64_t L = 2, W = 8;
  const std::uint64_t inBits = 64 * 8, psumBits = 1 * 16 * 16;
  const std::uint64_t Sin = ceilDiv(inBits, W), S = ceilDiv(psumBits, W);
  // The stages outside the interconnect, the same on both chips and for every tile.
  const std::uint64_t sramRead = ceilDiv(inBits, 256 * 2) + 1 - 1;
  const std::uint64_t tile = ceilDiv(inBits, 128)                                    // input-buffer write
                             + std::max<std::uint64_t>(1 + 10 + ceilDiv(16, 8) * 1,  // 1 vector, 1 pass
                                                       ceilDiv(16 * 8, 128))         // feed read
                             + 2 * ceilDiv(psumBits, 128);                           // partial sums out
  const std::uint64_t digital = ceilDiv(16 * (4 - 1) + 2 * 16, 64);  // 4 row blocks -> 3 adds per output
  const std::uint64_t sramWrite = ceilDiv(16 * 8, 256 * 2) + 1 - 1;
  const std::uint64_t rest = sramRead + tile + digital + sramWrite;

  struct Expect {
    std::uint64_t nocIn, nocBack, stall, linkBusy;
  };
  const Expect bus{L + Sin, L + 4 * S,
                   // stalls beyond the lone transfer (L + S): 0, S, 2S, 3S
                   6 * S,
                   // the bus carries the broadcast once and each partial-sum transfer once
                   Sin + 4 * S};
  const Expect mesh{2 * L + Sin, L + 2 * S,
                    // tiles 1 and 3 alone would take 2L + S; they arrive at L + 2S
                    2 * (S - L),
                    // tree links 0->1, 1->2, 0->3, 1->4 carry the input; back 1 + 2 + 1 + 2 link transfers
                    4 * Sin + (1 + 2 + 1 + 2) * S};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const Expect& e = i == 0 ? bus : mesh;
    const TimingResult& t = runs[i];
    ASSERT_EQ(t.layers.size(), 1u);
    EXPECT_EQ(t.layers[0].cycles, rest + e.nocIn + e.nocBack);
    EXPECT_GT(e.nocIn + e.nocBack, rest);  // the interconnect is most of the layer
    const ComponentActivity links = testing::activityOf(t, "link");
    EXPECT_NEAR(links.stallSeconds * 1e9, static_cast<double>(e.stall), 1e-6);
    EXPECT_NEAR(links.busySeconds * 1e9, static_cast<double>(e.linkBusy), 1e-6);
    EXPECT_EQ(links.instances, i == 0 ? 1 : 2 * (2 * 2) + 2 * 3);  // bus; mesh: 3x2 directed links
  }
  // The serialisation on the bus is visible: two more partial-sum transfers queue than on the mesh.
  EXPECT_EQ(runs[0].layers[0].cycles + L, runs[1].layers[0].cycles + 2 * S);
  // Bit-hops: bus, one broadcast and 4 transfers over 1 hop; mesh, 4 tree links in and 6 link-transfers back.
  EXPECT_EQ(runs[0].ledger.total(action::kNocBitHop), inBits + 4 * psumBits);
  EXPECT_EQ(runs[1].ledger.total(action::kNocBitHop), 4 * inBits + 6 * psumBits);
}

}  // namespace
}  // namespace mxsim
