// Tests for the interconnect core (models/noc/noc.h): node placement and the derived mesh size, XY routes
// (hop counts and link lists written out by hand on a 3×3 and a 4×2 mesh), the multicast tree, the
// uncontended transfer rule, the contention schedule (start cycles derived by hand in the comments), area,
// and the configuration checks (every error names its key).
#include "models/noc/noc.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.h"

namespace mxsim {
namespace {

using Hop = std::pair<int, int>;  // (from router, to router)

NocParams meshParams(int cols = 0, int rows = 0, int width = 32, int latency = 2) {
  NocParams p;
  p.topology = NocTopology::Mesh;
  p.meshCols = cols;
  p.meshRows = rows;
  p.linkWidthBits = width;
  p.hopLatencyCycles = latency;
  return p;
}
NocParams busParams(int width = 32, int latency = 2) {
  NocParams p;
  p.topology = NocTopology::Bus;
  p.linkWidthBits = width;
  p.hopLatencyCycles = latency;
  return p;
}

std::vector<Hop> hopsOf(const NocCore& c, const std::vector<int>& links) {
  std::vector<Hop> out;
  for (int id : links) out.emplace_back(c.link(id).from, c.link(id).to);
  return out;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

NocParams parse(const std::string& yaml, ParamRegistry* reg = nullptr) {
  ConfigReader r(YAML::Load(yaml), "chip.noc", reg);
  return NocParams::fromConfig(r);
}

// ---------------------------------------------------------------------------------------------------
// Placement and mesh size

TEST(NocCoreTest, NodeNumbering) {
  EXPECT_EQ(NocCore::kGlobalBufferNode, 0);
  EXPECT_EQ(NocCore::tileNode(0), 1);
  EXPECT_EQ(NocCore::tileNode(7), 8);
  const NocCore c(meshParams(), 8);
  EXPECT_EQ(c.nodes(), 9);
  EXPECT_EQ(c.xOf(NocCore::kGlobalBufferNode), 0);  // the global buffer sits in a corner
  EXPECT_EQ(c.yOf(NocCore::kGlobalBufferNode), 0);
  EXPECT_EQ(c.xOf(5), 2);
  EXPECT_EQ(c.yOf(5), 1);
}

TEST(NocCoreTest, MeshProductIsBounded) {
  // Issue 18: 65536 x 65536 routers overflowed int (noc.cpp) and crashed NocCore::route.
  try {
    NocCore(meshParams(65536, 65536), 8);
    ADD_FAILURE() << "no error for a 65536 x 65536 mesh";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("65536 × 65536 = 4294967296 routers"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(meshParams(2048, 1024).validate("chip.noc"));  // at the bound
}

TEST(NocCoreTest, DerivedMeshSize) {
  // N = tiles + 1 nodes; cols = ceil(√N), rows = ceil(N / cols).
  struct Case {
    int tiles, cols, rows;
  };
  for (const Case& k : {Case{1, 2, 1}, Case{3, 2, 2}, Case{4, 3, 2}, Case{8, 3, 3}, Case{9, 4, 3}, Case{15, 4, 4},
                        Case{16, 5, 4}, Case{128, 12, 11}, Case{168, 13, 13}}) {
    const NocCore c(meshParams(), k.tiles);
    EXPECT_EQ(c.cols(), k.cols) << k.tiles << " tiles";
    EXPECT_EQ(c.rows(), k.rows) << k.tiles << " tiles";
    EXPECT_GE(c.cols() * c.rows(), k.tiles + 1);
  }
  // One dimension given: the other is ceil(N / it).
  EXPECT_EQ(NocCore(meshParams(4, 0), 7).rows(), 2);
  EXPECT_EQ(NocCore(meshParams(0, 2), 7).cols(), 4);
  EXPECT_EQ(NocCore(meshParams(0, 2), 8).cols(), 5);  // 9 nodes in 2 rows
  EXPECT_EQ(NocCore(meshParams(5, 5), 8).routers(), 25);
}

TEST(NocCoreTest, LinkCountsAndIds) {
  // A C×R mesh has 2·(R·(C−1) + C·(R−1)) directed links.
  const NocCore m33(meshParams(3, 3), 8);
  EXPECT_EQ(m33.linkCount(), 24);
  const NocCore m42(meshParams(4, 2), 7);
  EXPECT_EQ(m42.linkCount(), 20);
  for (int id = 0; id < m42.linkCount(); ++id) EXPECT_EQ(m42.linkId(m42.link(id).from, m42.link(id).to), id);
  EXPECT_EQ(m42.linkId(3, 4), -1);  // 3 is the east end of row 0, 4 the west end of row 1: not neighbours
  EXPECT_EQ(m42.linkId(0, 5), -1);  // diagonal
  EXPECT_EQ(m42.linkName(m42.linkId(2, 6)), "2->6");
  const NocCore bus(busParams(), 8);
  EXPECT_EQ(bus.linkCount(), 1);
  EXPECT_EQ(bus.linkName(0), "bus");
  EXPECT_EQ(bus.routers(), 0);
}

// ---------------------------------------------------------------------------------------------------
// Routing

// 3×3 mesh (8 tiles):   0 1 2
//                       3 4 5
//                       6 7 8
TEST(NocCoreTest, XyRoutes3x3) {
  const NocCore c(meshParams(), 8);
  ASSERT_EQ(c.cols(), 3);
  ASSERT_EQ(c.rows(), 3);
  EXPECT_EQ(hopsOf(c, c.route(0, 8)), (std::vector<Hop>{{0, 1}, {1, 2}, {2, 5}, {5, 8}}));  // x first, then y
  EXPECT_EQ(hopsOf(c, c.route(8, 0)), (std::vector<Hop>{{8, 7}, {7, 6}, {6, 3}, {3, 0}}));  // not the reverse path
  EXPECT_EQ(hopsOf(c, c.route(2, 6)), (std::vector<Hop>{{2, 1}, {1, 0}, {0, 3}, {3, 6}}));
  EXPECT_EQ(hopsOf(c, c.route(3, 5)), (std::vector<Hop>{{3, 4}, {4, 5}}));
  EXPECT_EQ(hopsOf(c, c.route(7, 1)), (std::vector<Hop>{{7, 4}, {4, 1}}));  // same column: y only
  EXPECT_TRUE(c.route(4, 4).empty());
  EXPECT_EQ(c.hops(0, 8), 4);
  EXPECT_EQ(c.hops(2, 6), 4);
  EXPECT_EQ(c.hops(3, 5), 2);
  EXPECT_EQ(c.hops(4, 3), 1);
  EXPECT_EQ(c.hops(4, 4), 0);
  for (int s = 0; s < c.nodes(); ++s) {
    for (int d = 0; d < c.nodes(); ++d) EXPECT_EQ(static_cast<int>(c.route(s, d).size()), c.hops(s, d));
  }
}

// 4×2 mesh (7 tiles, mesh_cols: 4):   0 1 2 3
//                                     4 5 6 7
TEST(NocCoreTest, XyRoutes4x2) {
  const NocCore c(meshParams(4), 7);
  ASSERT_EQ(c.cols(), 4);
  ASSERT_EQ(c.rows(), 2);
  EXPECT_EQ(hopsOf(c, c.route(0, 7)), (std::vector<Hop>{{0, 1}, {1, 2}, {2, 3}, {3, 7}}));
  EXPECT_EQ(hopsOf(c, c.route(7, 0)), (std::vector<Hop>{{7, 6}, {6, 5}, {5, 4}, {4, 0}}));
  EXPECT_EQ(hopsOf(c, c.route(4, 3)), (std::vector<Hop>{{4, 5}, {5, 6}, {6, 7}, {7, 3}}));
  EXPECT_EQ(hopsOf(c, c.route(5, 2)), (std::vector<Hop>{{5, 6}, {6, 2}}));
  EXPECT_EQ(hopsOf(c, c.route(NocCore::kGlobalBufferNode, NocCore::tileNode(3))), (std::vector<Hop>{{0, 4}}));
  EXPECT_EQ(c.hops(0, 7), 4);
  EXPECT_EQ(c.hops(4, 3), 4);
  EXPECT_EQ(c.hops(5, 2), 2);
  EXPECT_EQ(c.hops(1, 6), 2);
}

TEST(NocCoreTest, RoutesCrossRoutersWithoutEndpoints) {
  // 4 tiles: 3×2 grid holding nodes 0..4; router 5 at (2, 1) has no endpoint but routes.
  const NocCore c(meshParams(), 4);
  ASSERT_EQ(c.cols(), 3);
  ASSERT_EQ(c.rows(), 2);
  EXPECT_EQ(c.routers(), 6);
  EXPECT_EQ(hopsOf(c, c.route(4, 2)), (std::vector<Hop>{{4, 5}, {5, 2}}));
  EXPECT_THROW(c.route(0, 5), std::out_of_range);  // router 5 is not a node
  EXPECT_THROW(c.hops(-1, 0), std::out_of_range);
}

TEST(NocCoreTest, BusIsOneSharedHop) {
  const NocCore c(busParams(), 8);
  EXPECT_EQ(c.route(0, 8), std::vector<int>{0});
  EXPECT_EQ(c.route(5, 2), std::vector<int>{0});
  EXPECT_TRUE(c.route(3, 3).empty());
  EXPECT_EQ(c.hops(0, 8), 1);
  EXPECT_EQ(c.hops(3, 3), 0);
}

TEST(NocCoreTest, MulticastTreeIsTheUnionOfXyRoutes) {
  const NocCore c(meshParams(), 8);
  std::vector<int> all;
  for (int t = 0; t < 8; ++t) all.push_back(NocCore::tileNode(t));
  const NocTree t = c.tree(0, all);
  // From the corner the XY tree is row 0 plus every column: one link into each of the 8 other routers.
  EXPECT_EQ(t.links.size(), 8u);
  std::vector<int> into(9, 0);
  for (int id : t.links) ++into[static_cast<std::size_t>(c.link(id).to)];
  for (int n = 1; n < 9; ++n) EXPECT_EQ(into[static_cast<std::size_t>(n)], 1) << "node " << n;
  for (std::size_t k = 0; k < all.size(); ++k) EXPECT_EQ(t.hopsTo(k), c.hops(0, all[k]));
  for (std::size_t i = 0; i < t.links.size(); ++i) EXPECT_LT(t.parent[i], static_cast<int>(i));
  // Two tiles in one column below the source's row share the row segment and the column prefix.
  const NocTree two = c.tree(0, {8, 5, 8, 0});
  EXPECT_EQ(hopsOf(c, two.links), (std::vector<Hop>{{0, 1}, {1, 2}, {2, 5}, {5, 8}}));
  EXPECT_EQ(two.hopsTo(1), 3);
  EXPECT_EQ(two.lastLink[2], two.lastLink[0]);  // a repeated destination
  EXPECT_EQ(two.lastLink[3], -1);               // the source itself
  // The bus: one broadcast.
  const NocCore bus(busParams(), 8);
  EXPECT_EQ(bus.tree(0, all).links.size(), 1u);
}

// ---------------------------------------------------------------------------------------------------
// Uncontended transfer, bit-hops, area

TEST(NocCoreTest, TransferCyclesDerivation) {
  const NocCore a(meshParams(3, 3, 32, 2), 8);
  EXPECT_EQ(a.flits(1000), 32u);              // ceil(31.25)
  EXPECT_EQ(a.transferCycles(1000, 4), 40u);  // 4 · 2 + 32
  EXPECT_EQ(a.unicastCycles(0, 8, 1000), 40u);
  EXPECT_EQ(a.unicastCycles(4, 3, 32), 3u);    // 1 · 2 + 1
  EXPECT_EQ(a.unicastCycles(2, 6, 33), 10u);   // 4 · 2 + 2
  EXPECT_EQ(a.unicastCycles(2, 2, 1000), 0u);  // nothing crosses the network
  EXPECT_EQ(a.transferCycles(0, 4), 0u);
  const NocCore b(meshParams(4, 2, 64, 3), 7);
  EXPECT_EQ(b.unicastCycles(0, 7, 1000), 28u);  // 4 · 3 + ceil(15.6)
  EXPECT_EQ(b.unicastCycles(5, 2, 65), 8u);     // 2 · 3 + 2
  const NocCore bus(busParams(128, 1), 7);
  EXPECT_EQ(bus.unicastCycles(0, 7, 1000), 9u);  // 1 + ceil(7.8)
  EXPECT_EQ(bus.unicastCycles(3, 6, 128), 2u);
}

TEST(NocCoreTest, BitHopsAndArea) {
  EXPECT_EQ(NocCore::bitHops(1000, 4), 4000u);
  EXPECT_EQ(NocCore::bitHops(1000, 0), 0u);
  NocParams p = meshParams(4, 2);
  p.routerAreaM2 = 0.151e-6;
  p.energyPerBitHopJ = 0.5e-12;
  const NocCore c(p, 7);
  EXPECT_DOUBLE_EQ(c.areaM2(), 8 * 0.151e-6);
  EXPECT_DOUBLE_EQ(c.joules(4000), 4000 * 0.5e-12);
  NocParams b = busParams();
  b.busAreaM2 = 0.2e-6;
  EXPECT_DOUBLE_EQ(NocCore(b, 100).areaM2(), 0.2e-6);
}

// ---------------------------------------------------------------------------------------------------
// Contention (NocScheduler), 3×3 mesh, link width 32, hop latency 2; 320 bits = 10 flits

struct Offer {
  int src, dst;
  std::uint64_t bits;
};
// Offer the transfers in order at `ready`, run to the end, return each one's done cycle.
std::vector<std::uint64_t> doneCycles(NocScheduler& s, const std::vector<Offer>& offers, std::uint64_t ready) {
  std::vector<NocTransferId> ids;
  for (const Offer& o : offers) ids.push_back(s.offer(o.src, o.dst, o.bits, ready));
  s.drain();
  std::vector<std::uint64_t> done;
  for (NocTransferId id : ids) done.push_back(s.collect(id).doneCycle);
  return done;
}

TEST(NocSchedulerTest, UncontendedMatchesTransferCycles) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  const NocTransferId id = s.offer(0, 8, 1000, 100);
  EXPECT_FALSE(s.delivered(id));
  EXPECT_EQ(s.nextEventCycle(), 102u);  // the head reaches the first link after one hop latency
  s.drain();
  const NocDelivery d = s.collect(id);
  EXPECT_EQ(d.cycles(), c.unicastCycles(0, 8, 1000));
  ASSERT_EQ(d.busy.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {  // link k starts when the head has crossed k + 1 routers
    EXPECT_EQ(d.busy[k].startCycle, 100 + 2 * (k + 1));
    EXPECT_EQ(d.busy[k].endCycle, d.busy[k].startCycle + 32);
  }
  EXPECT_EQ(d.bitHops, 4000u);
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_EQ(s.nextEventCycle(), NocScheduler::kNever);
}

TEST(NocSchedulerTest, SharedFirstLinkSerialises) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  const int a = c.linkId(0, 1), b = c.linkId(1, 2);
  // All three heads request a = 0→1 at cycle 2; ties go in offer order.
  // T1 0→2: a [2,12), b [4,14) → 14.  T2 0→5: a [12,22), b at 14: [14,24), 2→5 at 16: [16,26) → 26.
  // T3 0→1: a [22,32) → 32 = L + 3·S.
  EXPECT_EQ(doneCycles(s, {{0, 2, 320}, {0, 5, 320}, {0, 1, 320}}, 0), (std::vector<std::uint64_t>{14, 26, 32}));
  EXPECT_EQ(s.freeAt(a), 32u);
  EXPECT_EQ(s.busyCycles(a), 30u);
  EXPECT_EQ(s.busyCycles(b), 20u);
}

TEST(NocSchedulerTest, TiesGoInOfferOrder) {
  const NocCore c(meshParams(), 8);
  // Both heads request 4→5 at cycle 2: the first offered goes first.
  NocScheduler big(c);
  EXPECT_EQ(doneCycles(big, {{4, 5, 320}, {4, 5, 32}}, 0), (std::vector<std::uint64_t>{12, 13}));
  NocScheduler small(c);
  EXPECT_EQ(doneCycles(small, {{4, 5, 32}, {4, 5, 320}}, 0), (std::vector<std::uint64_t>{3, 13}));
}

TEST(NocSchedulerTest, FirstComeFirstServedNotOfferOrder) {
  const NocCore c(meshParams(), 8);
  // X 3→5 (3→4, 4→5) and Y 4→5 offered together: Y's head reaches 4→5 at 2, X's at 4, so Y goes first
  // whatever the offer order. Y [2,12) → 12; X 3→4 [2,12), 4→5 at 4 waits: [12,22) → 22.
  NocScheduler xFirst(c);
  EXPECT_EQ(doneCycles(xFirst, {{3, 5, 320}, {4, 5, 320}}, 0), (std::vector<std::uint64_t>{22, 12}));
  NocScheduler yFirst(c);
  EXPECT_EQ(doneCycles(yFirst, {{4, 5, 320}, {3, 5, 320}}, 0), (std::vector<std::uint64_t>{12, 22}));
}

TEST(NocSchedulerTest, ConvergingRowSerialisesOnTheLastLink) {
  // 4×2 mesh, link width 64, hop latency 3; 640 bits = 10 flits. Nodes 0, 1, 2, 3 all send to 7: every route
  // ends with 3→7. Node 3's head is there first (cycle 3), the others queue behind it and behind each other
  // on the row links; 3→7 then stays busy from 3 to 3 + 4·10 = 43 (derivation in tb/noc_tb.cpp).
  const NocCore c(meshParams(4, 2, 64, 3), 7);
  NocScheduler s(c);
  EXPECT_EQ(doneCycles(s, {{0, 7, 640}, {1, 7, 640}, {2, 7, 640}, {3, 7, 640}}, 0),
            (std::vector<std::uint64_t>{43, 33, 23, 13}));
  EXPECT_EQ(s.busyCycles(c.linkId(3, 7)), 40u);
}

TEST(NocSchedulerTest, DisjointAndOppositeLinksOverlap) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  // Rows 0, 1, 2 eastward and row 2 westward (the opposite direction of the same wires): no shared link.
  EXPECT_EQ(doneCycles(s, {{0, 2, 320}, {3, 5, 320}, {6, 8, 320}, {8, 6, 320}}, 7),
            (std::vector<std::uint64_t>(4, 7u + 14u)));
  // Later offers find the links free again.
  EXPECT_EQ(doneCycles(s, {{0, 2, 320}}, 100), std::vector<std::uint64_t>{114});
}

TEST(NocSchedulerTest, BusSerialisesEveryPair) {
  const NocCore c(busParams(), 8);
  NocScheduler s(c);
  // Bus [2,12), [12,22), [22,32): L + 3·S even though the node pairs are disjoint.
  EXPECT_EQ(doneCycles(s, {{0, 1, 320}, {2, 3, 320}, {4, 5, 320}}, 0), (std::vector<std::uint64_t>{12, 22, 32}));
  EXPECT_EQ(s.busyCycles(0), 30u);
}

TEST(NocSchedulerTest, TreeMulticastVersusRepeatedUnicasts) {
  std::vector<int> all;
  for (int t = 0; t < 8; ++t) all.push_back(NocCore::tileNode(t));
  {
    const NocCore c(meshParams(), 8);
    NocScheduler s(c);
    const NocTransferId id = s.offerMulticast(0, all, 320, 0);
    s.drain();
    const NocDelivery d = s.collect(id);
    // Every tree link starts at depth · L: node n is delivered at hops(0, n) · 2 + 10.
    for (std::size_t k = 0; k < all.size(); ++k) EXPECT_EQ(d.deliveredCycle[k], c.unicastCycles(0, all[k], 320));
    EXPECT_EQ(d.doneCycle, 18u);     // node 8: 4 hops
    EXPECT_EQ(d.bitHops, 320u * 8);  // 8 tree links
  }
  {
    NocParams p = meshParams();
    p.multicast = NocMulticast::Unicast;
    const NocCore c(p, 8);
    NocScheduler s(c);
    const NocTransferId id = s.offerMulticast(0, all, 320, 0);
    s.drain();
    const NocDelivery d = s.collect(id);
    // Link 0→1 carries the copies for nodes 1, 2, 4, 5, 7, 8 back to back from cycle 2; node 8's copy starts
    // on it at 2 + 5·10 = 52, then 3 more hops: 52 + 3·2 + 10 = 68 (every copy derived in tb/noc_tb.cpp).
    EXPECT_EQ(d.deliveredCycle, (std::vector<std::uint64_t>{12, 24, 12, 34, 46, 24, 56, 68}));
    EXPECT_EQ(d.doneCycle, 68u);
    EXPECT_EQ(d.bitHops, 320u * (1 + 2 + 1 + 2 + 3 + 2 + 3 + 4));
  }
  {
    const NocCore bus(busParams(), 8);
    NocScheduler s(bus);
    const NocTransferId id = s.offerMulticast(0, all, 320, 0);  // one broadcast on the bus
    s.drain();
    EXPECT_EQ(s.delivery(id).doneCycle, 12u);
    EXPECT_EQ(s.delivery(id).bitHops, 320u);
  }
}

TEST(NocSchedulerTest, ZeroBitsAndLocalTransfersCostNothing) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  const NocTransferId none = s.offer(0, 8, 0, 5);
  const NocTransferId local = s.offer(4, 4, 1000, 5);
  EXPECT_TRUE(s.delivered(none));  // delivered when offered: no event needed
  EXPECT_TRUE(s.delivered(local));
  EXPECT_EQ(s.nextEventCycle(), NocScheduler::kNever);
  EXPECT_EQ(s.collect(none).doneCycle, 5u);
  EXPECT_EQ(s.collect(local).bitHops, 0u);
  for (int l = 0; l < c.linkCount(); ++l) EXPECT_EQ(s.busyCycles(l), 0u);
}

TEST(NocSchedulerTest, GrantsAreObservedInTimeOrderPerLink) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  std::vector<std::vector<NocInterval>> perLink(static_cast<std::size_t>(c.linkCount()));
  s.setGrantObserver([&](const NocInterval& iv) { perLink[static_cast<std::size_t>(iv.link)].push_back(iv); });
  doneCycles(s, {{0, 8, 320}, {2, 6, 100}, {0, 5, 320}, {6, 2, 50}, {1, 7, 640}}, 0);
  std::uint64_t total = 0;
  for (int l = 0; l < c.linkCount(); ++l) {
    const auto& v = perLink[static_cast<std::size_t>(l)];
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      sum += v[i].endCycle - v[i].startCycle;
      if (i) {
        EXPECT_LE(v[i - 1].endCycle, v[i].startCycle) << c.linkName(l);
      }
    }
    EXPECT_EQ(sum, s.busyCycles(l)) << c.linkName(l);
    total += sum;
  }
  // Busy link-cycles = Σ flits × hops.
  EXPECT_EQ(total, 10u * 4 + 4u * 4 + 10u * 3 + 2u * 4 + 20u * 2);
}

TEST(NocSchedulerTest, RejectsOffersBeforeProcessedTime) {
  const NocCore c(meshParams(), 8);
  NocScheduler s(c);
  s.offer(0, 1, 32, 0);
  s.advanceTo(10);
  EXPECT_THROW(s.offer(0, 1, 32, 8), std::logic_error);  // its head would request a link at 10: processed
  EXPECT_NO_THROW(s.offer(0, 1, 32, 9));
  EXPECT_THROW(s.collect(99), std::logic_error);
}

// ---------------------------------------------------------------------------------------------------
// Configuration

TEST(NocParamsTest, DefaultsFromAnEmptySection) {
  const NocParams p = parse("{}");
  const NocParams d;
  EXPECT_EQ(p.topology, NocTopology::Mesh);
  EXPECT_EQ(p.linkWidthBits, d.linkWidthBits);
  EXPECT_EQ(p.hopLatencyCycles, d.hopLatencyCycles);
  EXPECT_EQ(p.meshCols, 0);
  EXPECT_EQ(p.meshRows, 0);
  EXPECT_EQ(p.multicast, NocMulticast::Tree);
  EXPECT_DOUBLE_EQ(p.energyPerBitHopJ, d.energyPerBitHopJ);
  EXPECT_DOUBLE_EQ(p.routerAreaM2, d.routerAreaM2);
  EXPECT_DOUBLE_EQ(p.busAreaM2, d.busAreaM2);
}

TEST(NocParamsTest, ReadsEveryKey) {
  const NocParams p = parse(
      "{topology: mesh, link_width: 64, hop_latency: 3, mesh_cols: 4, mesh_rows: 2, multicast: unicast, "
      "energy_per_bit_hop: 0.5 pJ, router_area: 0.02 mm2, bus_area: 0.1 mm2}");
  EXPECT_EQ(p.linkWidthBits, 64);
  EXPECT_EQ(p.hopLatencyCycles, 3);
  EXPECT_EQ(p.meshCols, 4);
  EXPECT_EQ(p.meshRows, 2);
  EXPECT_EQ(p.multicast, NocMulticast::Unicast);
  EXPECT_NEAR(p.energyPerBitHopJ, 0.5e-12, 1e-24);
  EXPECT_NEAR(p.routerAreaM2, 0.02e-6, 1e-18);
  EXPECT_NEAR(p.busAreaM2, 0.1e-6, 1e-18);
  EXPECT_EQ(parse("{topology: bus}").topology, NocTopology::Bus);
}

TEST(NocParamsTest, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& k :
       {Case{"{topology: ring}", "chip.noc.topology"}, Case{"{link_width: 0}", "chip.noc.link_width"},
        Case{"{link_width: wide}", "chip.noc.link_width"}, Case{"{hop_latency: -1}", "chip.noc.hop_latency"},
        Case{"{mesh_cols: -2}", "chip.noc.mesh_cols"}, Case{"{topology: bus, mesh_cols: 4}", "chip.noc.mesh_cols"},
        Case{"{topology: bus, mesh_rows: 2}", "chip.noc.mesh_rows"}, Case{"{multicast: flood}", "chip.noc.multicast"},
        Case{"{energy_per_bit_hop: 0.1}", "chip.noc.energy_per_bit_hop"},  // no unit
        Case{"{energy_per_bit_hop: 1 mm2}", "chip.noc.energy_per_bit_hop"},
        Case{"{router_area: 1 pJ}", "chip.noc.router_area"}, Case{"{bus_area: -1 mm2}", "chip.noc.bus_area"},
        Case{"{hop_latncy: 3}", "chip.noc.hop_latncy"}}) {  // typo: unknown key
    const std::string msg = errorOf([&] { parse(k.yaml); });
    EXPECT_TRUE(contains(msg, k.key)) << k.yaml << " -> '" << msg << "'";
  }
}

TEST(NocParamsTest, CoreChecksMeshSizeAndCodeBuiltParams) {
  // An explicit 2 × 2 mesh cannot hold 4 tiles + the global buffer.
  const std::string small = errorOf([] { NocCore(parse("{mesh_cols: 2, mesh_rows: 2}"), 4); });
  EXPECT_TRUE(contains(small, "chip.noc.mesh_cols")) << small;
  EXPECT_TRUE(contains(small, "chip.noc.mesh_rows")) << small;
  EXPECT_TRUE(contains(small, "5 nodes")) << small;
  EXPECT_NO_THROW(NocCore(parse("{mesh_cols: 2, mesh_rows: 2}"), 3));
  NocParams p;
  p.linkWidthBits = 0;
  EXPECT_TRUE(contains(errorOf([&] { NocCore(p, 4); }), "chip.noc.link_width"));
  EXPECT_TRUE(contains(errorOf([] { NocCore(NocParams(), 0); }), "at least 1 tile"));
}

TEST(NocParamsTest, EveryKeyIsDocumented) {
  ParamRegistry reg;
  parse("{}", &reg);
  std::vector<std::string> keys;
  for (const ParamDoc& d : reg.docs()) {
    keys.push_back(d.path);
    EXPECT_FALSE(d.unit.empty()) << d.path;
    EXPECT_FALSE(d.meaning.empty()) << d.path;
    EXPECT_FALSE(d.range.empty()) << d.path;
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"chip.noc.topology", "chip.noc.link_width", "chip.noc.hop_latency",
                                      "chip.noc.mesh_cols", "chip.noc.mesh_rows", "chip.noc.multicast",
                                      "chip.noc.energy_per_bit_hop", "chip.noc.router_area", "chip.noc.bus_area",
                                      "chip.noc.packet_flits", "chip.noc.router_buffer_flits",
                                      "chip.noc.concentration"}));
  for (const ParamDoc& d : reg.docs()) {
    if (d.path == "chip.noc.energy_per_bit_hop" || d.path == "chip.noc.router_area" ||
        d.path == "chip.noc.link_width" || d.path == "chip.noc.hop_latency") {
      EXPECT_FALSE(d.source.empty()) << d.path;
    }
  }
}

}  // namespace
}  // namespace mxsim
