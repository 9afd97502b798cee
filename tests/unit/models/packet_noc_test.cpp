// Tests for the packet-level interconnect core (models/noc/packet_noc.h). Every expected cycle is derived by
// hand in the comment beside it from the model of docs/noc.md, "Packet-level model (PacketNoc)":
//   a packet of f flits occupies a link for f cycles; the head pays 0 cycles on the injection link and
//   L = hop_latency cycles per router (+ its output link) after it; it may start on a link only when the link
//   is free (offer order), the packet ahead of it in its input buffer has left (FIFO), and the buffer the link
//   feeds has room for all f flits (credits); those f credits return when its tail has left on the next link.
// Uncontended single packet: (h + 1)·L + f, h = router-to-router links.
#include "models/noc/packet_noc.h"
#include "tests/support/error_matchers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/core/error.h"

namespace mxsim {
namespace {

using Interval = std::pair<std::uint64_t, std::uint64_t>;

NocParams meshParams(int cols, int rows, int width, int latency, int packetFlits, int bufferFlits,
                     int concentration = 1) {
  NocParams p;
  p.topology = NocTopology::Mesh;
  p.meshCols = cols;
  p.meshRows = rows;
  p.linkWidthBits = width;
  p.hopLatencyCycles = latency;
  p.packetFlits = packetFlits;
  p.routerBufferFlits = bufferFlits;
  p.concentration = concentration;
  return p;
}

NocParams busParams(int width, int latency, int packetFlits, int bufferFlits) {
  NocParams p = meshParams(0, 0, width, latency, packetFlits, bufferFlits);
  p.topology = NocTopology::Bus;
  return p;
}

using testing::configErrorOf;
using testing::contains;

NocParams parse(const std::string& yaml) {
  ConfigReader r(YAML::Load(yaml), "chip.noc");
  return NocParams::fromConfig(r);
}

/// Every link occupation, per link, in the order reserved.
struct IntervalLog {
  std::map<int, std::vector<Interval>> byLink;
  void attach(PacketNoc& n) {
    n.setIntervalObserver([this](int link, std::uint64_t s, std::uint64_t e) { byLink[link].emplace_back(s, e); });
  }
  const std::vector<Interval>& of(int link) { return byLink[link]; }
};

// ---------------------------------------------------------------------------------------------------
// 1. Uncontended transfers equal the closed form

TEST(PacketNocTest, UncontendedSinglePacketIsHopsPlusOneTimesLatencyPlusFlits) {
  // 4 × 4 mesh (15 tiles + io = 16 routers), W = 32, L = 2, f = 16, C = 64. One packet: the head crosses
  // h + 1 routers (h mesh links, then the ejection port) at L each, the tail follows f' = ceil(B / W) − 1
  // cycles behind: done = ready + (h + 1)·L + ceil(B / W).
  struct Case {
    int tile;  // destination tile; the router is tile + 1, at (x, y) = ((t + 1) mod 4, (t + 1) / 4)
    int h;
    std::uint64_t bits, expectedCycles;
  };
  for (const Case& c : {Case{0, 1, 32, 2 * 2 + 1},        // 1 flit
                        Case{0, 1, 33, 2 * 2 + 2},        // 33 bits: 2 flits
                        Case{4, 2, 512, 3 * 2 + 16},      // router 5 = (1, 1); exactly one full packet
                        Case{14, 6, 500, 7 * 2 + 16}}) {  // router 15 = (3, 3); 500 bits: 16 flits
    PacketNoc n(meshParams(0, 0, 32, 2, 16, 64), 15);
    const int dst = n.tileEndpoint(c.tile);
    ASSERT_EQ(n.hops(n.ioEndpoint(), dst), c.h);
    const PacketDelivery d = n.send(n.ioEndpoint(), dst, c.bits, 7);
    EXPECT_EQ(d.doneCycle, 7 + c.expectedCycles) << "tile " << c.tile << " bits " << c.bits;
    EXPECT_EQ(n.uncontendedCycles(n.ioEndpoint(), dst, c.bits), c.expectedCycles);
    EXPECT_EQ(d.packets, 1u);
    EXPECT_EQ(d.stallCycles, 0u);
    EXPECT_EQ(d.bitHops, c.bits * static_cast<std::uint64_t>(c.h));
  }
}

TEST(PacketNocTest, UncontendedPacketsAtFullLinkRate) {
  // C = 64 holds k = 4 packets of f = 16, and k·f = 64 ≥ L + f = 18: every buffer has room when the next
  // packet comes, packets leave back to back and the transfer streams as one: done = (h + 1)·L + F.
  struct Case {
    int tile, h;
    std::uint64_t bits, flits, packets;
  };
  for (const Case& c : {Case{0, 1, 513, 17, 2},       // 16 + 1 flits
                        Case{4, 2, 2560, 80, 5},      // 5 full packets
                        Case{14, 6, 2660, 84, 6}}) {  // 2660 / 32 = 83.1: 84 flits, 5 × 16 + 4
    PacketNoc n(meshParams(0, 0, 32, 2, 16, 64), 15);
    const int dst = n.tileEndpoint(c.tile);
    const PacketDelivery d = n.send(n.ioEndpoint(), dst, c.bits, 0);
    const std::uint64_t expected = static_cast<std::uint64_t>(c.h + 1) * 2 + c.flits;
    EXPECT_EQ(d.doneCycle, expected) << c.bits;
    EXPECT_EQ(d.packets, c.packets);
    EXPECT_EQ(n.uncontendedCycles(n.ioEndpoint(), dst, c.bits), expected);
    // The injection link carried every flit once, back to back from cycle 0.
    EXPECT_EQ(n.linkBusyCycles(n.injectionLink(n.ioEndpoint())), c.flits);
    EXPECT_EQ(n.linkFreeAt(n.injectionLink(n.ioEndpoint())), c.flits);
  }
}

TEST(PacketNocTest, UncontendedCreditLimitedSpacing) {
  // One-packet buffers (C = f = 4), L = 3, W = 8: a packet holds a buffer for L + f = 7 cycles (claimed when
  // its upstream link starts, released when its tail has left on the next link), so packet j + 1 enters
  // each buffer 7 cycles after packet j: done = (n − 1)·7 + (h + 1)·3 + f_last. 80 bits = 10 flits =
  // 4 + 4 + 2: n = 3, f_last = 2 → 14 + 3·(h + 1) + 2. Traced for h = 1: packet 0 on inj/link/ej at 0/3/6,
  // packet 1 at 7/10/13, packet 2 at 14/17/20, done 20 + 2 = 22.
  {
    PacketNoc n(meshParams(0, 0, 8, 3, 4, 4), 15);
    for (int tile : {0, 4, 14}) {
      const int dst = n.tileEndpoint(tile);
      const auto h = static_cast<std::uint64_t>(n.hops(n.ioEndpoint(), dst));
      EXPECT_EQ(n.uncontendedCycles(n.ioEndpoint(), dst, 80), 14 + 3 * (h + 1) + 2) << tile;
    }
    IntervalLog log;
    log.attach(n);
    EXPECT_EQ(n.send(n.ioEndpoint(), n.tileEndpoint(0), 80, 0).doneCycle, 22u);
    EXPECT_EQ(log.of(n.injectionLink(0)), (std::vector<Interval>{{0, 4}, {7, 11}, {14, 16}}));
  }
  // Two-packet buffers below the link rate: f = 2, C = 4 (k = 2), L = 3 → P = max(k·f, L + f) = 5:
  // s(j) = (j mod 2)·2 + floor(j / 2)·5 = 0, 2, 5; 56 bits / W 8 = 7 flits = 2 + 2 + 2 + 1. The 1-flit last
  // packet fits beside floor((4 − 1) / 2) = 1 full packet: s(3) = max(s(2) + 2, s(1) + L + f) = max(7, 7) = 7.
  // h = 1: done = 7 + 2·3 + 1 = 14 (traced: injections at 0, 2, 5, 7).
  {
    PacketNoc n(meshParams(0, 0, 8, 3, 2, 4), 15);
    IntervalLog log;
    log.attach(n);
    EXPECT_EQ(n.uncontendedCycles(n.ioEndpoint(), n.tileEndpoint(0), 56), 14u);
    EXPECT_EQ(n.send(n.ioEndpoint(), n.tileEndpoint(0), 56, 0).doneCycle, 14u);
    EXPECT_EQ(log.of(n.injectionLink(0)), (std::vector<Interval>{{0, 2}, {2, 4}, {5, 7}, {7, 8}}));
  }
}

TEST(PacketNocTest, ClosedFormMatchesTheEventModelOverASweep) {
  // The closed form (docs/noc.md) against the reservation model on an idle network, over packet sizes,
  // buffer sizes (one packet, between, full rate), latencies, route lengths and sizes around packet edges.
  int checked = 0;
  for (int f : {1, 3, 4, 16}) {
    for (int extra : {0, 1, 5, 40}) {
      for (int L : {1, 2, 7}) {
        for (std::uint64_t bits : {1ull, 95ull, 96ull, 97ull, 1000ull, 4097ull}) {
          PacketNoc probe(meshParams(0, 0, 16, L, f, f + extra), 15);
          for (int dst : {1, 6, 11, 15}) {
            PacketNoc n(meshParams(0, 0, 16, L, f, f + extra), 15);
            const PacketDelivery d = n.send(0, dst, bits, 3);
            ASSERT_EQ(d.doneCycle - 3, probe.uncontendedCycles(0, dst, bits))
                << "f " << f << " C " << f + extra << " L " << L << " bits " << bits << " dst " << dst;
            ASSERT_EQ(d.stallCycles, 0u);
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 4 * 3 * 6 * 4);
}

TEST(PacketNocTest, BusUncontended) {
  // Bus: injection (0), the bus (L), ejection (L): h = 1, done = 2L + F; 100 bits / 32 = 4 flits.
  PacketNoc n(busParams(32, 3, 16, 64), 4);
  EXPECT_EQ(n.hops(1, 4), 1);
  EXPECT_EQ(n.routers(), 0);
  EXPECT_EQ(n.routerOf(2), -1);
  EXPECT_EQ(n.send(1, 4, 100, 0).doneCycle, 2u * 3 + 4);
  EXPECT_EQ(n.linkName(0), "bus");
  EXPECT_EQ(n.linkName(n.injectionLink(1)), "tile0->bus");
  EXPECT_EQ(n.linkName(n.ejectionLink(0)), "bus->io");
}

TEST(PacketNocTest, SameEndpointAndZeroBitsCostNothing) {
  PacketNoc n(meshParams(0, 0, 32, 2, 16, 64), 8);
  const PacketDelivery a = n.send(3, 3, 1000, 5);
  EXPECT_EQ(a.doneCycle, 5u);
  EXPECT_EQ(a.packets, 0u);
  const PacketDelivery b = n.send(0, 3, 0, 5);
  EXPECT_EQ(b.doneCycle, 5u);
  for (int l = 0; l < n.linkCount(); ++l) EXPECT_EQ(n.linkBusyCycles(l), 0u) << n.linkName(l);
  EXPECT_EQ(n.uncontendedCycles(3, 3, 1000), 0u);
}

// ---------------------------------------------------------------------------------------------------
// 2. Link-bound contention

TEST(PacketNocTest, TwoSourcesIntoOneLinkFinishOneSerialisationApart) {
  // 4 × 1 mesh: io on r0, tile t on r(t + 1). W = 32, L = 2, f = 16, C = 64. 3000 bits = F = 94 flits
  // (93.75 rounded up) = 6 packets. T1: tile0 (r1) → io, offered first: link r1→r0 carries it back to back
  // over [L, L + F), done1 = 2L + F = 98. T2: tile1 (r2) → io: its head reaches r1→r0 at 2L = 4, finds it
  // reserved until L + F = 96 and queues in r1's input buffer from r2 (4 packets fit; the next one refills
  // it when one leaves, (k − 1)·f = 48 ≥ L cycles before it is needed), so r1→r0 stays busy without a gap and
  // T2 ejects F cycles after T1: done2 = done1 + F = 192. Its stall: done2 − (3L + F) = F − L = 92.
  PacketNoc n(meshParams(4, 1, 32, 2, 16, 64), 3);
  const PacketDelivery t1 = n.send(n.tileEndpoint(0), n.ioEndpoint(), 3000, 0);
  const PacketDelivery t2 = n.send(n.tileEndpoint(1), n.ioEndpoint(), 3000, 0);
  EXPECT_EQ(t1.doneCycle, 98u);
  EXPECT_EQ(t2.doneCycle, t1.doneCycle + 94);
  EXPECT_EQ(t2.stallCycles, 94u - 2);
  EXPECT_EQ(t1.stallCycles, 0u);
  const int r1r0 = n.grid().linkId(1, 0);
  EXPECT_EQ(n.linkBusyCycles(r1r0), 2u * 94);
  EXPECT_EQ(n.linkFreeAt(r1r0), 2u + 2 * 94);  // busy without a gap from L

  // Bus: both cross the one bus; the second's packets follow the first's: done2 = done1 + F.
  PacketNoc b(busParams(32, 2, 16, 64), 3);
  const PacketDelivery b1 = b.send(1, 0, 3000, 0);
  const PacketDelivery b2 = b.send(2, 0, 3000, 0);
  EXPECT_EQ(b1.doneCycle, 2u * 2 + 94);
  EXPECT_EQ(b2.doneCycle, b1.doneCycle + 94);
}

// ---------------------------------------------------------------------------------------------------
// 3. Buffer-bound back-pressure

TEST(PacketNocTest, FullBufferStallsTheUpstreamLinks) {
  // 4 × 1 mesh, W = 32, L = 2, f = 4, C = 4 (one packet per buffer). 384 bits = 12 flits = 3 packets each.
  // X: tile0 (r1) → tile1 (r2), offered first. Alone it runs at the credit-limited spacing L + f = 6:
  //   r1→r2 at 2, 8, 14 (free from 18); its packets hold r2's input buffer from r1 until they have left
  //   r2's ejection port: until 8, 14, 20.
  // A: io (r0) → tile2 (r3) crosses r1→r2 too. Packet 0: inj 0, r0→r1 2, r1→r2 waits for room in r2's
  //   input buffer: 20 (X's last packet leaves it), then r2→r3 22, ejection 24.
  //   Packet 0 holds r1's input buffer from r0 until its tail has left on r1→r2: 24. Packet 1 (injected at
  //   6, when packet 0 has left io's local buffer) can cross r0→r1 only then: at 24 instead of 2 + 6 = 8,
  //   a stall of 16 on the upstream link. It holds io's local buffer until 28, so packet 2 enters the
  //   injection link at 28 instead of 12: the back-pressure has reached the source. Packet 2 then runs
  //   r0→r1 30, r1→r2 32, r2→r3 34, ejection 36: A done at 40. A alone: s(2) + 4L + f = 12 + 8 + 4 = 24, so
  //   A stalls 16.
  PacketNoc n(meshParams(4, 1, 32, 2, 4, 4), 3);
  IntervalLog log;
  log.attach(n);
  const int r0r1 = n.grid().linkId(0, 1), r1r2 = n.grid().linkId(1, 2);
  const PacketDelivery x = n.send(n.tileEndpoint(0), n.tileEndpoint(1), 384, 0);
  const PacketDelivery a = n.send(n.ioEndpoint(), n.tileEndpoint(2), 384, 0);
  EXPECT_EQ(x.doneCycle, 20u);
  EXPECT_EQ(log.of(r1r2), (std::vector<Interval>{{2, 6}, {8, 12}, {14, 18}, {20, 24}, {26, 30}, {32, 36}}));
  EXPECT_EQ(log.of(r0r1), (std::vector<Interval>{{2, 6}, {24, 28}, {30, 34}}));  // alone: 2, 8, 14
  EXPECT_EQ(log.of(n.injectionLink(n.ioEndpoint())), (std::vector<Interval>{{0, 4}, {6, 10}, {28, 32}}));
  EXPECT_EQ(a.doneCycle, 40u);
  EXPECT_EQ(n.uncontendedCycles(n.ioEndpoint(), n.tileEndpoint(2), 384), 24u);
  EXPECT_EQ(a.stallCycles, 16u);

  // With large buffers (C = 1024) nothing backs up: X streams (r1→r2 at 2, 6, 10, free from 14) and A's
  // packets wait in r1's input buffer while r0→r1 and the injection link keep their idle-network
  // intervals (r0→r1 at 2, 6, 10; inj at 0, 4, 8). Only the shared link delays A: r1→r2 at 14, 18, 22,
  // done 22 + 2L + f = 30 against 4L + F = 20 alone: stall 10 = 14 (r1→r2 free) − 4 (A's head there).
  PacketNoc big(meshParams(4, 1, 32, 2, 4, 1024), 3);
  IntervalLog bigLog;
  bigLog.attach(big);
  big.send(big.tileEndpoint(0), big.tileEndpoint(1), 384, 0);
  const PacketDelivery a2 = big.send(big.ioEndpoint(), big.tileEndpoint(2), 384, 0);
  EXPECT_EQ(bigLog.of(r0r1), (std::vector<Interval>{{2, 6}, {6, 10}, {10, 14}}));
  EXPECT_EQ(bigLog.of(big.injectionLink(big.ioEndpoint())), (std::vector<Interval>{{0, 4}, {4, 8}, {8, 12}}));
  EXPECT_EQ(bigLog.of(r1r2), (std::vector<Interval>{{2, 6}, {6, 10}, {10, 14}, {14, 18}, {18, 22}, {22, 26}}));
  EXPECT_EQ(a2.doneCycle, 30u);
  EXPECT_EQ(a2.stallCycles, 10u);
}

TEST(PacketNocTest, FifoBufferBlocksAPacketBehindAStalledOne) {
  // Head-of-line blocking: 4 × 1 mesh, L = 2, f = 4, C = 8 (k·f = 8 ≥ L + f: full rate), W = 32.
  // X: tile1 (r2) → tile2 (r3), 3 packets, offered first: r2→r3 at 2, 6, 10, free from 14.
  // Y: io (r0) → tile2 (r3), 1 packet: r0→r1 at 2, r1→r2 at 4 into r2's input buffer from r1, r2→r3 only
  //   at 14 (after X), tail gone at 18; ejection [16, 20): done 20.
  // Z: tile0 (r1) → tile1 (r2), 1 packet: r1→r2 is Y's over [4, 8), so Z crosses at 8 and enters the same
  //   buffer behind Y (4 + 4 flits fit). Its ejection port r2→tile1 is idle from 8 + L = 10, but the FIFO
  //   lets Z leave only after Y's tail, at 18: done 18 + f = 22 (alone: 2L + f = 8; without the FIFO 14).
  PacketNoc n(meshParams(4, 1, 32, 2, 4, 8), 3);
  n.send(n.tileEndpoint(1), n.tileEndpoint(2), 384, 0);
  const PacketDelivery y = n.send(n.ioEndpoint(), n.tileEndpoint(2), 128, 0);
  EXPECT_EQ(y.doneCycle, 20u);
  const PacketDelivery z = n.send(n.tileEndpoint(0), n.tileEndpoint(1), 128, 0);
  EXPECT_EQ(z.doneCycle, 22u);
  EXPECT_EQ(z.stallCycles, 22u - 8);
}

// ---------------------------------------------------------------------------------------------------
// 4. Concentration

TEST(PacketNocTest, ConcentrationSharesRoutersAndShrinksTheMesh) {
  // 12 tiles, 4 per router: ceil(12 / 4) + 1 = 4 routers with endpoints, on NocCore's grid for 4 nodes:
  // cols = ceil(√4) = 2, rows = 2. Tile t → router floor(t / 4) + 1.
  const NocParams c4 = meshParams(0, 0, 32, 2, 16, 64, 4);
  PacketNoc n(c4, 12);
  EXPECT_EQ(n.attachedRouters(), 4);
  EXPECT_EQ(n.routers(), 4);
  EXPECT_EQ(n.grid().cols(), 2);
  EXPECT_EQ(n.routerOf(n.ioEndpoint()), 0);
  for (int t = 0; t < 12; ++t) EXPECT_EQ(n.routerOf(n.tileEndpoint(t)), t / 4 + 1) << t;
  EXPECT_EQ(n.hops(n.tileEndpoint(0), n.tileEndpoint(3)), 0);
  EXPECT_EQ(n.hops(n.ioEndpoint(), n.tileEndpoint(4)), 1);     // router 2 = (0, 1)
  EXPECT_EQ(n.hops(n.tileEndpoint(0), n.tileEndpoint(8)), 1);  // router 1 = (1, 0) → router 3 = (1, 1)
  EXPECT_EQ(n.hops(n.ioEndpoint(), n.tileEndpoint(8)), 2);     // (0, 0) → (1, 1)
  EXPECT_EQ(n.linkName(n.injectionLink(n.tileEndpoint(5))), "tile5->r2");
  EXPECT_EQ(n.linkName(n.ejectionLink(n.ioEndpoint())), "r0->io");
  // Area: 4 routers; one router per node (c = 1) needs 13 nodes → 4 × 4 = 16 routers.
  PacketNoc flat(meshParams(0, 0, 32, 2, 16, 64, 1), 12);
  EXPECT_EQ(flat.routers(), 16);
  EXPECT_DOUBLE_EQ(n.areaM2(), 4 * c4.routerAreaM2);
  EXPECT_DOUBLE_EQ(flat.areaM2(), 16 * c4.routerAreaM2);
  // 10 tiles: ceil(10 / 4) + 1 = 4 routers as well; 16 tiles: 5 routers on a 3 × 2 grid (6 slots).
  EXPECT_EQ(PacketNoc(c4, 10).attachedRouters(), 4);
  EXPECT_EQ(PacketNoc(c4, 16).attachedRouters(), 5);
  EXPECT_EQ(PacketNoc(c4, 16).routers(), 6);

  // Same router: injection + ejection only, (0 + 1)·L + F. 320 bits = 10 flits: 2 + 10 = 12.
  const PacketDelivery d1 = n.send(n.tileEndpoint(1), n.tileEndpoint(0), 320, 0);
  EXPECT_EQ(d1.doneCycle, 12u);
  EXPECT_EQ(d1.bitHops, 0u);
  // A second tile of that router sending to tile 0 has its own injection port but shares tile 0's
  // ejection port, reserved over [L, L + F) = [2, 12): it ejects over [12, 22).
  const PacketDelivery d2 = n.send(n.tileEndpoint(2), n.tileEndpoint(0), 320, 0);
  EXPECT_EQ(d2.doneCycle, 22u);
  // Tile 1 again, now to tile 3: its own injection port is reserved until F = 10, then L + F: 22.
  EXPECT_EQ(n.send(n.tileEndpoint(1), n.tileEndpoint(3), 320, 0).doneCycle, 10u + 2 + 10);
}

TEST(PacketNocTest, ConcentrationMeshTooSmallNamesTheKeys) {
  // 12 tiles at 4 per router need 4 routers; a 1 × 3 mesh holds 3.
  const std::string msg = configErrorOf([] { PacketNoc(meshParams(1, 3, 32, 2, 16, 64, 4), 12); });
  EXPECT_TRUE(contains(msg, "chip.noc.mesh_cols")) << msg;
  EXPECT_TRUE(contains(msg, "chip.noc.concentration")) << msg;
  EXPECT_TRUE(contains(msg, "= 4 routers")) << msg;
  EXPECT_NO_THROW(PacketNoc(meshParams(1, 4, 32, 2, 16, 64, 4), 12));
}

// ---------------------------------------------------------------------------------------------------
// 5. Multicast, determinism and causality

TEST(PacketNocTest, MulticastIsRepeatedUnicastsInOrder) {
  // multicast: unicast. 4 × 1 mesh, W = 32, L = 2, f = 16, C = 64; 640 bits = F = 20 flits.
  // io → {tile2, tile0, tile2}. Copy 1 (r3, h = 3): alone, 4L + F = 28. Copy 2 (r1, h = 1) is injected behind
  // copy 1 on io's injection port: from F = 20, so r0→r1 from 22 and the ejection from 24: done 24 + F = 44.
  // Copy 3 repeats copy 1's destination: nothing is resent. (The tree version: TreeMulticastSharesThePrefix…)
  NocParams p = meshParams(4, 1, 32, 2, 16, 64);
  p.multicast = NocMulticast::Unicast;
  PacketNoc n(p, 3);
  const auto d = n.multicast(0, {3, 1, 3}, 640, 5);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].doneCycle, 5u + 28);
  EXPECT_EQ(d[1].doneCycle, 5u + 44);
  EXPECT_EQ(d[2].doneCycle, d[0].doneCycle);
  EXPECT_EQ(d[2].packets, 0u);
  EXPECT_EQ(d[0].bitHops + d[1].bitHops + d[2].bitHops, 640u * 3 + 640u * 1);
  EXPECT_EQ(n.linkBusyCycles(n.injectionLink(0)), 2u * 20);
}

struct Offer {
  int src, dst;
  std::uint64_t bits, ready;
};

std::vector<Offer> randomTraffic(int endpoints, int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ep(0, endpoints - 1);
  std::uniform_int_distribution<std::uint64_t> bits(1, 400), gap(0, 6);
  std::vector<Offer> out;
  std::uint64_t ready = 0;
  for (int i = 0; i < count; ++i) {
    ready += gap(rng);
    out.push_back(Offer{ep(rng), ep(rng), bits(rng), ready});
  }
  return out;
}

struct TrafficRun {
  std::vector<std::uint64_t> done;
  std::map<int, std::vector<Interval>> links;
  std::vector<std::tuple<int, std::uint64_t, std::uint64_t, std::uint64_t>> bufferStays;
};

TrafficRun runTraffic(const NocParams& p, int tiles, const std::vector<Offer>& offers) {
  PacketNoc n(p, tiles);
  TrafficRun run;
  n.setIntervalObserver([&](int l, std::uint64_t s, std::uint64_t e) { run.links[l].emplace_back(s, e); });
  n.setBufferObserver([&](int b, std::uint64_t claim, std::uint64_t release, std::uint64_t flits) {
    run.bufferStays.emplace_back(b, claim, release, flits);
  });
  for (const Offer& o : offers) {
    const PacketDelivery d = n.send(o.src, o.dst, o.bits, o.ready);
    // Causality: no earlier than alone; the stall is exactly the difference.
    const std::uint64_t alone = n.uncontendedCycles(o.src, o.dst, o.bits);
    EXPECT_GE(d.doneCycle, o.ready + alone);
    EXPECT_EQ(d.stallCycles, d.doneCycle - o.ready - alone);
    EXPECT_EQ(d.packets, o.src == o.dst ? 0 : n.packetsOf(o.bits));
    run.done.push_back(d.doneCycle);
  }
  for (const auto& [link, ivs] : run.links) {
    std::uint64_t total = 0;
    for (const Interval& iv : ivs) total += iv.second - iv.first;
    EXPECT_EQ(total, n.linkBusyCycles(link)) << n.linkName(link);
  }
  // Offers must not go back in time.
  EXPECT_THROW(n.send(0, 1, 32, offers.back().ready - 1), std::logic_error);
  return run;
}

/// Returns the highest occupancy any buffer reached.
std::int64_t checkInvariants(const TrafficRun& run, std::uint64_t capacity, std::uint64_t latency) {
  // Per link: reservations in time order, never overlapping (they may touch).
  for (const auto& [link, ivs] : run.links) {
    for (std::size_t i = 0; i < ivs.size(); ++i) {
      EXPECT_LT(ivs[i].first, ivs[i].second);
      if (i) {
        EXPECT_GE(ivs[i].first, ivs[i - 1].second) << "link " << link << " interval " << i;
      }
    }
  }
  // Per buffer: occupancy ≤ capacity at every cycle (sweep; a release at t frees before a claim at t), a stay
  // lasts at least L + flits (the head crosses the router, then the packet leaves one flit per cycle), and
  // packets leave in the order they came (FIFO).
  std::map<int, std::vector<std::pair<std::uint64_t, std::int64_t>>> events;
  std::map<int, std::uint64_t> lastRelease;
  for (const auto& [b, claim, release, flits] : run.bufferStays) {
    EXPECT_GE(release, claim + latency + flits);
    EXPECT_GT(release, lastRelease[b]) << "buffer " << b;
    lastRelease[b] = release;
    events[b].emplace_back(claim, static_cast<std::int64_t>(flits));
    events[b].emplace_back(release, -static_cast<std::int64_t>(flits));
  }
  std::int64_t highest = 0;
  for (auto& [b, ev] : events) {
    std::sort(ev.begin(), ev.end());  // at equal cycles the negative (release) sorts first
    std::int64_t occupied = 0, peak = 0;
    for (const auto& e : ev) {
      occupied += e.second;
      peak = std::max(peak, occupied);
    }
    EXPECT_EQ(occupied, 0);
    EXPECT_LE(peak, static_cast<std::int64_t>(capacity)) << "buffer " << b;
    highest = std::max(highest, peak);
  }
  return highest;
}

TEST(PacketNocTest, RandomTrafficIsCausalDeterministicAndWithinCapacity) {
  // 14 tiles, 2 per router: 8 routers on a 3 × 3 grid. f = 4, C = 6 (credit-limited), L = 2, W = 16.
  const NocParams p = meshParams(0, 0, 16, 2, 4, 6, 2);
  const std::vector<Offer> offers = randomTraffic(15, 600, 12345);
  const TrafficRun a = runTraffic(p, 14, offers);
  const TrafficRun b = runTraffic(p, 14, offers);
  EXPECT_EQ(a.done, b.done);
  EXPECT_EQ(a.links, b.links);
  EXPECT_EQ(a.bufferStays, b.bufferStays);
  // The load backs up (else the test checks little): some buffer is too full for another full packet
  // (occupancy > C − f = 2) and some transfer is later than alone.
  EXPECT_GT(checkInvariants(a, 6, 2), 2);
  bool someWait = false;
  PacketNoc probe(p, 14);
  for (std::size_t i = 0; i < offers.size(); ++i) {
    someWait |= a.done[i] > offers[i].ready + probe.uncontendedCycles(offers[i].src, offers[i].dst, offers[i].bits);
  }
  EXPECT_TRUE(someWait);

  // The bus under the same traffic.
  const NocParams bus = busParams(16, 2, 4, 6);
  const TrafficRun c = runTraffic(bus, 14, offers);
  checkInvariants(c, 6, 2);
  EXPECT_EQ(c.done, runTraffic(bus, 14, offers).done);
}

// ---------------------------------------------------------------------------------------------------
// 6. Tree multicast (multicast: tree, the default): routers replicate packets. Each link of the tree (the
//    injection port once, the union of the XY routes, each destination's ejection port once) carries each
//    packet once; a router input buffer releases a packet when its tail has left on the LAST of the branches
//    fed from that buffer.

/// Every buffer stay, per buffer, as (claim, release).
struct StayLog {
  std::map<int, std::vector<Interval>> byBuffer;
  void attach(PacketNoc& n) {
    n.setBufferObserver([this](int b, std::uint64_t claim, std::uint64_t release, std::uint64_t) {
      byBuffer[b].emplace_back(claim, release);
    });
  }
  const std::vector<Interval>& of(int buffer) { return byBuffer[buffer]; }
};

TEST(PacketNocTest, TreeMulticastCarriesASharedPrefixOncePerPacket) {
  // 3 × 3 mesh (8 tiles), routers 0 1 2 / 3 4 5 / 6 7 8; tile t on router t + 1. io (r0) → {tile3 (r4),
  // tile4 (r5)}. XY routes: r0→r1→r4 and r0→r1→r2→r5, so the tree is inj(io), r0→r1 (shared), then the
  // branch r1→r4 + ejection to tile3 and the branch r1→r2, r2→r5 + ejection to tile4: 4 mesh links.
  // Full rate (W = 32, L = 2, f = 16, C = 64: k·f = 64 ≥ L + f): 2560 bits = F = 80 flits = 5 packets.
  // On an idle network every link repeats the injection schedule (packet j at 16j) one L per router later:
  // r0→r1 carries packet j over [2 + 16j, 18 + 16j), the branches leave r1 at 4 + 16j, and each destination
  // gets the unicast closed form: tile3 (h = 2) 3L + F = 86, tile4 (h = 3) 4L + F = 88.
  // r1's input buffer from r0 (fed by r0→r1, drained by r1→r4 and r1→r2) holds packet j from its claim at
  // 2 + 16j until its tail has left on both branches, 4 + 16j + 16 = 20 + 16j.
  PacketNoc n(meshParams(3, 3, 32, 2, 16, 64), 8);
  IntervalLog log;
  log.attach(n);
  StayLog stays;
  stays.attach(n);
  const int io = n.ioEndpoint(), t3 = n.tileEndpoint(3), t4 = n.tileEndpoint(4);
  const auto d = n.multicast(io, {t3, t4}, 2560, 10);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].doneCycle, 10u + 86);
  EXPECT_EQ(d[1].doneCycle, 10u + 88);
  EXPECT_EQ(d[0].doneCycle - 10, n.uncontendedCycles(io, t3, 2560));
  EXPECT_EQ(d[1].doneCycle - 10, n.uncontendedCycles(io, t4, 2560));
  EXPECT_EQ(n.uncontendedMulticastCycles(io, {t3, t4}, 2560), 88u);
  EXPECT_EQ(d[0].stallCycles, 0u);
  EXPECT_EQ(d[1].stallCycles, 0u);
  // The whole transfer's packets and bit-hops (4 tree links) on the first record.
  EXPECT_EQ(d[0].packets, 5u);
  EXPECT_EQ(d[0].bitHops, 2560u * 4);
  EXPECT_EQ(d[1].packets, 0u);
  EXPECT_EQ(d[1].bitHops, 0u);
  // Every tree link busy exactly F = 80 cycles (each packet once), every other link idle.
  const auto& g = n.grid();
  const std::vector<int> treeLinks = {n.injectionLink(io), g.linkId(0, 1),     g.linkId(1, 4),    g.linkId(1, 2),
                                      g.linkId(2, 5),      n.ejectionLink(t3), n.ejectionLink(t4)};
  for (int l = 0; l < n.linkCount(); ++l) {
    const bool inTree = std::find(treeLinks.begin(), treeLinks.end(), l) != treeLinks.end();
    EXPECT_EQ(n.linkBusyCycles(l), inTree ? 80u : 0u) << n.linkName(l);
  }
  std::vector<Interval> shared, branchBuffer;
  for (std::uint64_t j = 0; j < 5; ++j) {
    shared.emplace_back(10 + 2 + 16 * j, 10 + 18 + 16 * j);
    branchBuffer.emplace_back(10 + 2 + 16 * j, 10 + 20 + 16 * j);
  }
  EXPECT_EQ(log.of(g.linkId(0, 1)), shared);
  EXPECT_EQ(stays.of(g.linkId(0, 1)), branchBuffer);  // buffer l is the one mesh link l fills

  // Credit-limited (W = 8, L = 3, f = C = 4): a buffer holds one packet, for L + f = 7 cycles, so packets
  // are injected 7 apart. 80 bits = 10 flits = 4 + 4 + 2. Packet 0: inj [0, 4), r0→r1 [3, 7), both branches
  // leave r1 at 6 (r1→r4 and r1→r2 [6, 10)), so r1's buffer from r0 is free at 10 and packet 1 crosses
  // r0→r1 at 10; packet 2 (2 flits) at 17. Per destination the unicast closed form (N − 1)·7 + (h + 1)·3 +
  // f_N: tile3 14 + 9 + 2 = 25, tile4 14 + 12 + 2 = 28; r0→r1 busy F = 10.
  PacketNoc c(meshParams(3, 3, 8, 3, 4, 4), 8);
  IntervalLog clog;
  clog.attach(c);
  const auto e = c.multicast(io, {t3, t4}, 80, 0);
  EXPECT_EQ(e[0].doneCycle, 25u);
  EXPECT_EQ(e[1].doneCycle, 28u);
  EXPECT_EQ(clog.of(g.linkId(0, 1)), (std::vector<Interval>{{3, 7}, {10, 14}, {17, 19}}));
  EXPECT_EQ(clog.of(g.linkId(1, 4)), (std::vector<Interval>{{6, 10}, {13, 17}, {20, 22}}));
  EXPECT_EQ(clog.of(g.linkId(1, 2)), (std::vector<Interval>{{6, 10}, {13, 17}, {20, 22}}));
  EXPECT_EQ(c.linkBusyCycles(g.linkId(0, 1)), 10u);
}

TEST(PacketNocTest, TreeMulticastSharesThePrefixOfADestinationOnTheWay) {
  // The case of MulticastIsRepeatedUnicastsInOrder as a tree: 4 × 1 mesh, W = 32, L = 2, f = 16, C = 64,
  // 640 bits = F = 20 flits (16 + 4). io → {tile2 (r3), tile0 (r1), tile2}: inj, r0→r1, then from r1's buffer
  // both the ejection to tile0 and r1→r2, r2→r3, ejection to tile2. Full rate, idle: tile2 4L + F = 28,
  // tile0 2L + F = 24 (not 44: no second copy queues behind the first), the repeat shares the first record.
  PacketNoc n(meshParams(4, 1, 32, 2, 16, 64), 3);
  const auto d = n.multicast(0, {3, 1, 3}, 640, 5);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].doneCycle, 5u + 28);
  EXPECT_EQ(d[1].doneCycle, 5u + 24);
  EXPECT_EQ(d[2].doneCycle, d[0].doneCycle);
  EXPECT_EQ(d[0].packets, 2u);
  EXPECT_EQ(d[0].bitHops, 640u * 3);  // r0→r1, r1→r2, r2→r3 once each
  for (std::size_t k : {1u, 2u}) {
    EXPECT_EQ(d[k].packets, 0u);
    EXPECT_EQ(d[k].bitHops, 0u);
  }
  EXPECT_EQ(n.linkBusyCycles(n.injectionLink(0)), 20u);  // unicast: 2 × 20
  EXPECT_EQ(n.linkBusyCycles(n.grid().linkId(0, 1)), 20u);
  EXPECT_EQ(n.linkBusyCycles(n.ejectionLink(3)), 20u);  // the repeat is not ejected twice
}

TEST(PacketNocTest, TreeToEveryTileFromTheCornerInjectsOnce) {
  // 3 × 3 mesh, 8 tiles, W = 32, L = 2, f = 16, C = 64 (full rate); io → tiles 0 … 7, 2560 bits = F = 80
  // flits = 5 packets. Hops of tiles 0 … 7 (routers 1 … 8): 1 2 1 2 3 2 3 4 (Σ = 18).
  // Tree: the union of the XY routes from the corner has one link into each router (r0→r1, r1→r2 along row
  // 0, then each column southwards): 8 links. The injection port carries F = 80 flits; each destination
  // gets (h + 1)·L + F as alone: 84 86 84 86 88 86 88 90; the last at 90 = uncontendedMulticastCycles.
  // Repeated unicasts: the injection port carries 8F = 640 flits and copy i (0-based) enters it at 80i.
  // Nothing downstream delays it more: the packets of copy i − 1 have left every shared link and buffer by
  // the time copy i's head gets there (they hold each link until 80i + depth·L, exactly when copy i's head
  // arrives), so copy i is delivered at 80i + (h_i + 1)·L + F: the last (tile7, h = 4) at 560 + 10 + 80 = 650.
  const std::vector<std::uint64_t> h = {1, 2, 1, 2, 3, 2, 3, 4};
  std::vector<int> all;
  for (int t = 0; t < 8; ++t) all.push_back(t + 1);
  NocParams p = meshParams(3, 3, 32, 2, 16, 64);
  PacketNoc tree(p, 8);
  p.multicast = NocMulticast::Unicast;
  PacketNoc uni(p, 8);
  const auto dt = tree.multicast(0, all, 2560, 0);
  const auto du = uni.multicast(0, all, 2560, 0);
  ASSERT_EQ(dt.size(), 8u);
  ASSERT_EQ(du.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(dt[i].doneCycle, (h[i] + 1) * 2 + 80) << "tile " << i;
    EXPECT_EQ(du[i].doneCycle, 80 * i + (h[i] + 1) * 2 + 80) << "tile " << i;
  }
  EXPECT_EQ(dt.back().doneCycle, 90u);
  EXPECT_EQ(tree.uncontendedMulticastCycles(0, all, 2560), 90u);
  EXPECT_EQ(du.back().doneCycle, 650u);
  EXPECT_EQ(tree.linkBusyCycles(tree.injectionLink(0)), 80u);
  EXPECT_EQ(uni.linkBusyCycles(uni.injectionLink(0)), 8u * 80);
  // Energy: tree 8 links × B; unicasts Σh = 18 links × B.
  std::uint64_t treeHops = 0, uniHops = 0;
  for (const PacketDelivery& d : dt) treeHops += d.bitHops;
  for (const PacketDelivery& d : du) uniHops += d.bitHops;
  EXPECT_EQ(treeHops, 2560u * 8);
  EXPECT_EQ(uniHops, 2560u * 18);
  int busyMeshLinks = 0;
  for (int l = 0; l < tree.networkLinks(); ++l) {
    if (tree.linkBusyCycles(l)) {
      ++busyMeshLinks;
      EXPECT_EQ(tree.linkBusyCycles(l), 80u) << tree.linkName(l);
    }
  }
  EXPECT_EQ(busyMeshLinks, 8);
}

TEST(PacketNocTest, CongestedBranchHoldsTheSharedBufferAndDelaysTheOtherBranch) {
  // The network of FullBufferStallsTheUpstreamLinks: 4 × 1 mesh, W = 32, L = 2, f = C = 4 (one packet per
  // buffer), 384 bits = 12 flits = 3 packets. X: tile0 (r1) → tile1 (r2), offered first, holds r1→r2 at 2, 8,
  // 14 (free from 18) and r2's buffer from r1 until 8, 14, 20.
  // T: tree io → {tile0 (r1), tile2 (r3)}. From r1's buffer from r0 (call it B) leave both the ejection to
  // tile0 and the branch r1→r2 towards tile2; B is released when the packet has left on both.
  //   Packet 0: inj [0, 4), r0→r1 [2, 6) (claims B at 2), ejection to tile0 [4, 8); r1→r2 could start at 4 but
  //     is reserved until 18 and r2's buffer is full until 20: [20, 24). B released at max(8, 24) = 24 — the
  //     congested branch holds it 16 cycles longer than the free one (8). r2→r3 [22, 26), ejection [24, 28).
  //   Packet 1: inj waits for io's local buffer (packet 0 left it at 6): [6, 10); r0→r1 waits for B: [24, 28);
  //     both branches at 26 (r2's buffer: packet 0 left at 26): ejection [26, 30), r1→r2 [26, 30); B free at
  //     30; r2→r3 [28, 32), ejection to tile2 [30, 34).
  //   Packet 2: inj waits for packet 1 to leave io's buffer (28): [28, 32); r0→r1 [30, 34); ejection [32, 36)
  //     → tile0 done 36; r1→r2 [32, 36), r2→r3 [34, 38), ejection [36, 40) → tile2 done 40.
  // Alone each destination takes the credit-limited closed form s(2) + (h + 1)·L + f = 12 + (h + 1)·2 + 4:
  // tile0 (h = 1) 20, tile2 (h = 3) 24. Both stall 16 = 24 − 8, the extra hold of B by packet 0. As repeated
  // unicasts, the copy to tile0 (first) never waits for the congested branch: 20.
  const NocParams p = meshParams(4, 1, 32, 2, 4, 4);
  PacketNoc n(p, 3);
  IntervalLog log;
  log.attach(n);
  StayLog stays;
  stays.attach(n);
  const int r0r1 = n.grid().linkId(0, 1), r1r2 = n.grid().linkId(1, 2);
  const int io = n.ioEndpoint(), t0 = n.tileEndpoint(0), t2 = n.tileEndpoint(2);
  n.send(t0, n.tileEndpoint(1), 384, 0);
  const auto d = n.multicast(io, {t0, t2}, 384, 0);
  EXPECT_EQ(stays.of(r0r1), (std::vector<Interval>{{2, 24}, {24, 30}, {30, 36}}));  // B
  EXPECT_EQ(log.of(n.ejectionLink(t0)), (std::vector<Interval>{{4, 8}, {26, 30}, {32, 36}}));
  EXPECT_EQ(log.of(r1r2), (std::vector<Interval>{{2, 6}, {8, 12}, {14, 18}, {20, 24}, {26, 30}, {32, 36}}));
  EXPECT_EQ(log.of(r0r1), (std::vector<Interval>{{2, 6}, {24, 28}, {30, 34}}));
  EXPECT_EQ(log.of(n.injectionLink(io)), (std::vector<Interval>{{0, 4}, {6, 10}, {28, 32}}));
  EXPECT_EQ(log.of(n.ejectionLink(t2)), (std::vector<Interval>{{24, 28}, {30, 34}, {36, 40}}));
  EXPECT_EQ(d[0].doneCycle, 36u);
  EXPECT_EQ(d[1].doneCycle, 40u);
  EXPECT_EQ(n.uncontendedCycles(io, t0, 384), 20u);
  EXPECT_EQ(n.uncontendedCycles(io, t2, 384), 24u);
  EXPECT_EQ(d[0].stallCycles, 16u);
  EXPECT_EQ(d[1].stallCycles, 16u);

  NocParams up = p;
  up.multicast = NocMulticast::Unicast;
  PacketNoc u(up, 3);
  u.send(t0, u.tileEndpoint(1), 384, 0);
  EXPECT_EQ(u.multicast(io, {t0, t2}, 384, 0)[0].doneCycle, 20u);
}

TEST(PacketNocTest, TreeWithConcentrationEjectsEachDestinationAndSkipsTheSource) {
  // 12 tiles, 4 per router: routers r0 (io), r1 (tiles 0–3), r2 (4–7), r3 (8–11) on a 2 × 2 grid
  // (r0 (0,0), r1 (1,0), r2 (0,1), r3 (1,1)). W = 32, L = 2, f = 16, C = 64; 320 bits = F = 10 flits (one
  // packet), offered at 5. tile0 → {tile1, tile0, tile2, tile4, tile5, tile8, tile4}:
  //   tile1, tile2 share tile0's router: each its own ejection port, fed from tile0's local input buffer:
  //     (0 + 1)·L + F = 12;
  //   tile0 is the source: delivered at 5, nothing reserved;
  //   tile4, tile5 on r2: XY r1→r0, r0→r2 (h = 2), then one ejection each: 3L + F = 16;
  //   tile8 on r3: r1→r3 (h = 1): 2L + F = 14; tile4 again: shares its first record.
  // Tree links r1→r0, r0→r2, r1→r3: bit-hops 3 × 320 on the first record.
  PacketNoc n(meshParams(0, 0, 32, 2, 16, 64, 4), 12);
  auto t = [&](int tile) { return n.tileEndpoint(tile); };
  const std::vector<int> dsts = {t(1), t(0), t(2), t(4), t(5), t(8), t(4)};
  const auto d = n.multicast(t(0), dsts, 320, 5);
  const std::vector<std::uint64_t> expected = {12, 0, 12, 16, 16, 14, 16};
  ASSERT_EQ(d.size(), dsts.size());
  for (std::size_t k = 0; k < d.size(); ++k) {
    EXPECT_EQ(d[k].doneCycle, 5 + expected[k]) << k;
    EXPECT_EQ(d[k].stallCycles, 0u) << k;
    EXPECT_EQ(d[k].packets, k == 0 ? 1u : 0u) << k;
    EXPECT_EQ(d[k].bitHops, k == 0 ? 320u * 3 : 0u) << k;
  }
  EXPECT_EQ(n.uncontendedMulticastCycles(t(0), dsts, 320), 16u);
  EXPECT_EQ(n.linkBusyCycles(n.injectionLink(t(0))), 10u);
  EXPECT_EQ(n.linkBusyCycles(n.ejectionLink(t(0))), 0u);
  for (int tile : {1, 2, 4, 5, 8}) EXPECT_EQ(n.linkBusyCycles(n.ejectionLink(t(tile))), 10u) << tile;
  std::uint64_t meshBusy = 0;
  for (int l = 0; l < n.networkLinks(); ++l) meshBusy += n.linkBusyCycles(l);
  EXPECT_EQ(meshBusy, 3u * 10);

  // Nothing to send: only the source, no bits, no destinations.
  const auto self = n.multicast(t(3), {t(3), t(3)}, 320, 7);
  EXPECT_EQ(self[0].doneCycle, 7u);
  EXPECT_EQ(self[1].doneCycle, 7u);
  EXPECT_EQ(self[0].packets, 0u);
  EXPECT_EQ(n.multicast(t(3), {t(4)}, 0, 7)[0].doneCycle, 7u);
  EXPECT_TRUE(n.multicast(t(3), {}, 320, 7).empty());
  EXPECT_EQ(n.linkBusyCycles(n.injectionLink(t(3))), 0u);
  // A bad destination or a ready cycle in the past throws before anything is reserved.
  EXPECT_THROW(n.multicast(t(3), {t(4), 99}, 320, 7), std::out_of_range);
  EXPECT_THROW(n.multicast(t(3), {t(4)}, 320, 6), std::logic_error);
  EXPECT_EQ(n.linkBusyCycles(n.injectionLink(t(3))), 0u);
}

TEST(PacketNocTest, BusTreeIsOneCrossingPerPacket) {
  // Bus, W = 32, L = 3, f = 2, C = 4 (k·f = 4 < L + f = 5: credit-limited, P = 5), 4 tiles.
  // io → {tile0, tile1, tile3}: 100 bits = 4 flits = 2 packets. Per packet one bus crossing that fills every
  // destination's receive queue, then each destination's ejection. Idle: as a unicast, s(1) = max(s(0) + f,
  // …) = 2 (the 2nd packet fits beside the first), done = s(1) + 2L + f = 2 + 6 + 2 = 10 for everyone.
  // Bus busy 4 cycles (unicasts: 12); bit-hops 100 × 1.
  PacketNoc n(busParams(32, 3, 2, 4), 4);
  const auto d = n.multicast(0, {1, 2, 4}, 100, 0);
  for (const PacketDelivery& x : d) EXPECT_EQ(x.doneCycle, 10u);
  EXPECT_EQ(n.uncontendedCycles(0, 4, 100), 10u);
  EXPECT_EQ(n.linkBusyCycles(0), 4u);
  for (int e : {1, 2, 4}) EXPECT_EQ(n.linkBusyCycles(n.ejectionLink(e)), 4u);
  EXPECT_EQ(n.linkBusyCycles(n.ejectionLink(3)), 0u);
  EXPECT_EQ(d[0].bitHops, 100u);
  EXPECT_EQ(d[0].packets, 2u);
  // A full receive queue holds back the one crossing for every destination. First a unicast tile2 → tile1
  // (endpoints 3 → 2), 384 bits = 12 flits = 6 packets, alone: injections s(j) = 0, 2, 5, 7, 10, 12 (P = 5),
  // bus crossings at s(j) + L = 3, 5, 8, 10, 13, 15, and its packets hold tile1's receive queue until their
  // ejection ends, s(j) + 2L + f: …, 18, 20 (done 20). The broadcast's packet 0 reaches the bus at 3, finds it
  // reserved until 17 and tile1's queue full (2 + 2 flits) until 18: bus [18, 20), every ejection [21, 23).
  // Packet 1 (injected [2, 4)) crosses at 20 (FIFO behind packet 0 in io's transmit queue; the queue of tile1
  // now holds packet 0 only): [20, 22), ejections [23, 25). All three destinations done at 25, stall 15,
  // though tile0's and tile3's queues were empty.
  PacketNoc m(busParams(32, 3, 2, 4), 4);
  IntervalLog mlog;
  mlog.attach(m);
  EXPECT_EQ(m.send(3, 2, 384, 0).doneCycle, 20u);
  const auto late = m.multicast(0, {1, 2, 4}, 100, 0);
  for (const PacketDelivery& x : late) {
    EXPECT_EQ(x.doneCycle, 25u);
    EXPECT_EQ(x.stallCycles, 15u);
  }
  EXPECT_EQ(mlog.of(0),
            (std::vector<Interval>{{3, 5}, {5, 7}, {8, 10}, {10, 12}, {13, 15}, {15, 17}, {18, 20}, {20, 22}}));
  EXPECT_EQ(mlog.of(m.ejectionLink(1)), (std::vector<Interval>{{21, 23}, {23, 25}}));
}

/// Offers a mix of unicasts and tree multicasts; every delivery is checked against its closed form.
struct CastOffer {
  int src;
  std::vector<int> dsts;  // one entry: a unicast (send) unless `asTree`
  std::uint64_t bits, ready;
  bool asTree;
};

std::vector<CastOffer> randomCasts(int endpoints, int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ep(0, endpoints - 1), fanout(1, 6), kind(0, 2);
  std::uniform_int_distribution<std::uint64_t> bits(1, 400), gap(0, 8);
  std::vector<CastOffer> out;
  std::uint64_t ready = 0;
  for (int i = 0; i < count; ++i) {
    ready += gap(rng);
    CastOffer o{ep(rng), {}, bits(rng), ready, kind(rng) != 0};
    const int n = o.asTree ? fanout(rng) : 1;
    for (int k = 0; k < n; ++k) o.dsts.push_back(ep(rng));  // may repeat and may hit the source
    out.push_back(o);
  }
  return out;
}

/// Links a tree occupies, from NocCore's own tree over the routers, independent of PacketNoc's builder:
/// {router-to-router links (bus: the one crossing), all links with the injection and ejection ports}.
std::pair<std::uint64_t, std::uint64_t> treeLinks(const PacketNoc& n, int src, const std::vector<int>& dsts) {
  std::vector<int> remote;
  for (int d : dsts) {
    if (d != src && std::find(remote.begin(), remote.end(), d) == remote.end()) remote.push_back(d);
  }
  if (remote.empty()) return {0, 0};
  std::uint64_t network = 1;
  if (n.params().topology == NocTopology::Mesh) {
    std::vector<int> routers;
    for (int d : remote) routers.push_back(n.routerOf(d));
    network = n.grid().tree(n.routerOf(src), routers).links.size();
  }
  return {network, 1 + network + remote.size()};  // + injection + one ejection per destination
}

TrafficRun runCasts(const NocParams& p, int tiles, const std::vector<CastOffer>& offers) {
  PacketNoc n(p, tiles);
  TrafficRun run;
  n.setIntervalObserver([&](int l, std::uint64_t s, std::uint64_t e) { run.links[l].emplace_back(s, e); });
  n.setBufferObserver([&](int b, std::uint64_t claim, std::uint64_t release, std::uint64_t flits) {
    run.bufferStays.emplace_back(b, claim, release, flits);
  });
  std::uint64_t expectedBusy = 0;
  for (const CastOffer& o : offers) {
    std::vector<PacketDelivery> ds;
    if (o.asTree) {
      ds = n.multicast(o.src, o.dsts, o.bits, o.ready);
    } else {
      ds.push_back(n.send(o.src, o.dsts[0], o.bits, o.ready));
    }
    EXPECT_EQ(ds.size(), o.dsts.size());
    std::uint64_t packets = 0, bitHops = 0;
    for (std::size_t k = 0; k < ds.size(); ++k) {
      const std::uint64_t alone = n.uncontendedCycles(o.src, o.dsts[k], o.bits);
      EXPECT_GE(ds[k].doneCycle, o.ready + alone);
      EXPECT_EQ(ds[k].stallCycles, ds[k].doneCycle - o.ready - alone);
      packets += ds[k].packets;
      bitHops += ds[k].bitHops;
      run.done.push_back(ds[k].doneCycle);
    }
    // Each tree link carries each packet once: the transfer adds F × (tree links) busy cycles.
    const auto [network, links] = treeLinks(n, o.src, o.dsts);
    expectedBusy += n.flitsOf(o.bits) * links;
    EXPECT_EQ(packets, links ? n.packetsOf(o.bits) : 0);
    EXPECT_EQ(bitHops, o.bits * network);
  }
  std::uint64_t busy = 0;
  for (int l = 0; l < n.linkCount(); ++l) busy += n.linkBusyCycles(l);
  EXPECT_EQ(busy, expectedBusy);
  return run;
}

TEST(PacketNocTest, RandomMulticastsAreCausalDeterministicAndWithinCapacity) {
  // The invariants of RandomTrafficIsCausalDeterministicAndWithinCapacity under a mix of unicasts and tree
  // multicasts (1–6 destinations, repeats and the source allowed): per link no overlapping reservations,
  // per buffer occupancy ≤ C, stays ≥ L + flits and FIFO releases; every delivery ≥ ready + its unicast
  // closed form; each tree link carries each packet once. 14 tiles, 2 per router (8 routers on 3 × 3),
  // f = 4, C = 6 (credit-limited), L = 2, W = 16.
  const NocParams p = meshParams(0, 0, 16, 2, 4, 6, 2);
  const std::vector<CastOffer> offers = randomCasts(15, 500, 4242);
  const TrafficRun a = runCasts(p, 14, offers);
  const TrafficRun b = runCasts(p, 14, offers);
  EXPECT_EQ(a.done, b.done);
  EXPECT_EQ(a.links, b.links);
  EXPECT_EQ(a.bufferStays, b.bufferStays);
  EXPECT_GT(checkInvariants(a, 6, 2), 2);  // some buffer too full for another full packet: the load backs up
  std::size_t late = 0, k = 0;
  PacketNoc probe(p, 14);
  for (const CastOffer& o : offers) {
    for (int d : o.dsts) late += a.done[k++] > o.ready + probe.uncontendedCycles(o.src, d, o.bits);
  }
  EXPECT_GT(late, offers.size() / 4);

  // Bus under the same offers.
  const NocParams bus = busParams(16, 2, 4, 6);
  const TrafficRun c = runCasts(bus, 14, offers);
  checkInvariants(c, 6, 2);
  EXPECT_EQ(c.done, runCasts(bus, 14, offers).done);
}

TEST(PacketNocTest, TreeToOneDestinationReservesExactlyWhatSendDoes) {
  // The tree code path with one destination is a chain: under the same random traffic, multicast(src, {dst})
  // and send(src, dst) must make identical reservations (links, buffers, deliveries).
  const std::vector<Offer> offers = randomTraffic(15, 400, 777);
  for (const NocParams& p : {meshParams(0, 0, 16, 2, 4, 6, 2), busParams(16, 2, 4, 6)}) {
    std::vector<CastOffer> asSends, asTrees;
    for (const Offer& o : offers) {
      asSends.push_back(CastOffer{o.src, {o.dst}, o.bits, o.ready, false});
      asTrees.push_back(CastOffer{o.src, {o.dst}, o.bits, o.ready, true});
    }
    const TrafficRun s = runCasts(p, 14, asSends);
    const TrafficRun t = runCasts(p, 14, asTrees);
    EXPECT_EQ(s.done, t.done);
    EXPECT_EQ(s.links, t.links);
    auto sorted = [](auto v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(sorted(s.bufferStays), sorted(t.bufferStays));
  }
}

TEST(PacketNocTest, IdleTreeMatchesTheUnicastClosedFormPerDestination) {
  // On an idle network every buffer of the tree sees the same sequence of claims and releases as on any
  // unicast route through it (all branches of a buffer start together, L after their parent), so each
  // destination gets uncontendedCycles(src, d) exactly — at full rate and credit-limited alike, with
  // concentration and on the bus. Sweep: packet and buffer sizes, latencies, sizes around packet edges.
  const std::vector<std::pair<int, std::vector<int>>> casts = {
      {0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}, {0, {15, 6, 11, 3}}, {7, {0, 7, 8, 15, 2, 2}}};
  int checked = 0;
  for (int f : {1, 3, 4, 16}) {
    for (int extra : {0, 1, 5, 40}) {
      for (int L : {1, 2, 7}) {
        for (std::uint64_t bits : {1ull, 96ull, 97ull, 1000ull, 4097ull}) {
          for (int variant = 0; variant < 3; ++variant) {
            const NocParams p = variant == 2 ? busParams(16, L, f, f + extra)
                                             : meshParams(0, 0, 16, L, f, f + extra, variant == 0 ? 1 : 3);
            for (const auto& [src, dsts] : casts) {
              PacketNoc n(p, 15);
              const auto d = n.multicast(src, dsts, bits, 3);
              std::uint64_t last = 3;
              for (std::size_t k = 0; k < dsts.size(); ++k) {
                ASSERT_EQ(d[k].doneCycle - 3, n.uncontendedCycles(src, dsts[k], bits))
                    << "f " << f << " C " << f + extra << " L " << L << " bits " << bits << " variant " << variant
                    << " src " << src << " dst " << dsts[k];
                last = std::max(last, d[k].doneCycle);
                ++checked;
              }
              ASSERT_EQ(last - 3, n.uncontendedMulticastCycles(src, dsts, bits));
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 4 * 3 * 5 * 3 * (15 + 4 + 6));
}

// ---------------------------------------------------------------------------------------------------
// 7. Configuration

TEST(PacketNocParamsTest, DefaultsAndKeys) {
  const NocParams d = parse("{}");
  EXPECT_EQ(d.packetFlits, 16);
  EXPECT_EQ(d.routerBufferFlits, 64);
  EXPECT_EQ(d.concentration, 1);
  const NocParams p = parse("{packet_flits: 8, router_buffer_flits: 8, concentration: 4}");
  EXPECT_EQ(p.packetFlits, 8);
  EXPECT_EQ(p.routerBufferFlits, 8);
  EXPECT_EQ(p.concentration, 4);
}

TEST(PacketNocParamsTest, BufferSmallerThanAPacketIsAnError) {
  const std::string msg = configErrorOf([] { parse("{packet_flits: 32, router_buffer_flits: 16}"); });
  EXPECT_TRUE(contains(msg, "chip.noc.router_buffer_flits")) << msg;
  EXPECT_TRUE(contains(msg, "value 16")) << msg;
  EXPECT_TRUE(contains(msg, "chip.noc.packet_flits = 32")) << msg;
  // Built in code: the core checks again.
  NocParams p = meshParams(0, 0, 32, 2, 32, 16);
  EXPECT_TRUE(contains(configErrorOf([&] { PacketNoc(p, 4); }), "chip.noc.router_buffer_flits"));
  EXPECT_NO_THROW(parse("{packet_flits: 32, router_buffer_flits: 32}"));
}

TEST(PacketNocParamsTest, RangeErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& k :
       {Case{"{packet_flits: 0}", "chip.noc.packet_flits"},
        Case{"{router_buffer_flits: 2000000}", "chip.noc.router_buffer_flits"},
        Case{"{concentration: 0}", "chip.noc.concentration"}, Case{"{concentration: 65}", "chip.noc.concentration"},
        Case{"{topology: bus, concentration: 4}", "chip.noc.concentration"}}) {
    const std::string msg = configErrorOf([&] { parse(k.yaml); });
    EXPECT_TRUE(contains(msg, k.key)) << k.yaml << " -> '" << msg << "'";
  }
}

TEST(PacketNocTest, OffersMustNotGoBackInTimeAndEndpointsAreChecked) {
  PacketNoc n(meshParams(0, 0, 32, 2, 16, 64), 4);
  n.send(0, 1, 32, 10);
  EXPECT_THROW(n.send(0, 1, 32, 9), std::logic_error);
  EXPECT_THROW(n.send(1, 1, 32, 9), std::logic_error);  // even a local one
  EXPECT_NO_THROW(n.send(0, 2, 32, 10));
  EXPECT_THROW(n.send(0, 5, 32, 10), std::out_of_range);
  EXPECT_THROW(n.tileEndpoint(4), std::out_of_range);
}

}  // namespace
}  // namespace mxsim
