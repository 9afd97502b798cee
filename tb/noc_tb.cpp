// Testbench: the on-chip interconnect driven through its SystemC shell (models/noc/noc_module.h).
// Checks (1) an uncontended transfer takes hops · hop_latency + ceil(bits / link_width) cycles on a mesh and a
// bus, for two parameter sets each (one at ISAAC's 1.2 GHz, whose 833 ps period is rounded by SystemC);
// (2) transfers sharing a link serialise on it (L + N·S when they meet at the first link; first come first
// served when they converge from different distances), while disjoint paths (and the two directions of one
// link) overlap fully, and the bus serialises everything; multicast as a tree and as repeated unicasts;
// (3) the noc.bit_hop count equals Σ bits × hops, and the recorded busy intervals add up to Σ flits × hops.
// Every expected cycle count is derived by hand in the comments (L = hop latency, S = flits).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <systemc>
#include <vector>

#include "models/noc/noc_module.h"

namespace mxsim {
namespace {

NocParams mesh(int cols, int width, int latency, NocMulticast mc = NocMulticast::Tree) {
  NocParams p;
  p.topology = NocTopology::Mesh;
  p.meshCols = cols;
  p.linkWidthBits = width;
  p.hopLatencyCycles = latency;
  p.multicast = mc;
  return p;
}
NocParams bus(int width, int latency) {
  NocParams p;
  p.topology = NocTopology::Bus;
  p.linkWidthBits = width;
  p.hopLatencyCycles = latency;
  return p;
}

// Independent derivation of an uncontended transfer.
std::uint64_t derived(std::uint64_t bits, int hops, int width, int latency) {
  return static_cast<std::uint64_t>(hops * latency) + (bits + width - 1) / width;
}

class NocBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(NocBench);
  explicit NocBench(const sc_core::sc_module_name& n)
      : sc_module(n),
        m_clk1(1e9),
        m_clk12(1.2e9),
        m_coreA(mesh(0, 32, 2), 8),  // 3×3 (derived), 32-bit links, 2 cycles per hop
        m_coreB(mesh(4, 64, 3), 7),  // 4×2, 64-bit links, 3 cycles per hop, at 1.2 GHz
        m_coreC(bus(32, 2), 8),
        m_coreD(bus(128, 1), 7),  // at 1.2 GHz
        m_coreE(mesh(0, 32, 2, NocMulticast::Unicast), 8),
        m_nocA("nocA", m_coreA, {&m_clk1, &m_ledgerA}),
        m_nocB("nocB", m_coreB, {&m_clk12, &m_ledgerB}),
        m_nocC("nocC", m_coreC, {&m_clk1, &m_ledgerC}),
        m_nocD("nocD", m_coreD, {&m_clk12, &m_ledgerD}),
        m_nocE("nocE", m_coreE, {&m_clk1, &m_ledgerE}) {
    SC_THREAD(drive);
  }

  // Cycles of `clk` at the current time (rounded, and rounded up).
  static std::uint64_t cycleNow(const Clock& clk) {
    return static_cast<std::uint64_t>(std::llround(sc_core::sc_time_stamp() / clk.cycles(1)));
  }
  // Move to the next cycle boundary of `clk` and return that cycle: phases start on a boundary.
  static std::uint64_t align(const Clock& clk) {
    std::uint64_t c = cycleNow(clk);
    if (clk.cycles(c) < sc_core::sc_time_stamp()) ++c;
    if (clk.cycles(c) > sc_core::sc_time_stamp()) sc_core::wait(clk.cycles(c) - sc_core::sc_time_stamp());
    return c;
  }
  // Elapsed cycles of one blocking call.
  template <class F>
  std::uint64_t timed(const Clock& clk, F f) {
    const std::uint64_t c0 = align(clk);
    f();
    return cycleNow(clk) - c0;
  }
  // Run each transfer in its own thread, all started in the same cycle; sorted completion cycles (relative).
  std::vector<std::uint64_t> concurrent(NocModule& noc, const Clock& clk, const std::vector<std::array<int, 2>>& pairs,
                                        std::uint64_t bits) {
    const std::uint64_t c0 = align(clk);
    std::vector<std::uint64_t> end(pairs.size());
    sc_core::sc_event_and_list all;
    std::vector<sc_core::sc_process_handle> procs;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      procs.push_back(sc_core::sc_spawn([&, i] {
        noc.transfer(pairs[i][0], pairs[i][1], bits);
        end[i] = cycleNow(clk) - c0;
      }));
    }
    for (auto& p : procs) all &= p.terminated_event();
    sc_core::wait(all);
    std::sort(end.begin(), end.end());
    return end;
  }

  void drive() {
    // ---- (1) Uncontended transfers = hops · L + ceil(bits / W) ---------------------------------------------
    // A, 3×3 mesh, W = 32, L = 2 (0 1 2 / 3 4 5 / 6 7 8):
    //   global buffer → tile 7 (node 8): 4 hops, 1000 bits = 32 flits: 8 + 32 = 40
    //   tile 3 (node 4) → tile 2 (node 3): 1 hop, 1 flit: 2 + 1 = 3;  node 2 → node 6: 4 hops, 2 flits: 10
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.transfer(NocCore::kGlobalBufferNode, NocCore::tileNode(7), 1000); }), 40u);
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.transfer(4, 3, 32); }), 3u);
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.transfer(2, 6, 33); }), 10u);
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.transfer(0, 8, 0); }), 0u);     // nothing to send
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.transfer(4, 4, 1000); }), 0u);  // already there
    EXPECT_EQ(derived(1000, 4, 32, 2), 40u);
    EXPECT_EQ(m_coreA.unicastCycles(2, 6, 33), 10u);
    m_expectA += 1000ul * 4 + 32ul * 1 + 33ul * 4;
    // B, 4×2 mesh (0 1 2 3 / 4 5 6 7), W = 64, L = 3, 1.2 GHz:
    //   0 → 7: 4 hops, ceil(1000/64) = 16: 12 + 16 = 28;  4 → 3: 4 hops, 10 flits: 22;  5 → 2: 2 hops, 2 flits: 8
    EXPECT_EQ(timed(m_clk12, [&] { m_nocB.transfer(0, 7, 1000); }), 28u);
    EXPECT_EQ(timed(m_clk12, [&] { m_nocB.transfer(4, 3, 640); }), 22u);
    EXPECT_EQ(timed(m_clk12, [&] { m_nocB.transfer(5, 2, 65); }), 8u);
    EXPECT_EQ(derived(640, 4, 64, 3), m_coreB.unicastCycles(4, 3, 640));
    m_expectB += 1000ul * 4 + 640ul * 4 + 65ul * 2;
    // C, bus, W = 32, L = 2: one hop whatever the nodes: 2 + 32 = 34;  2 + 1 = 3
    EXPECT_EQ(timed(m_clk1, [&] { m_nocC.transfer(0, 8, 1000); }), 34u);
    EXPECT_EQ(timed(m_clk1, [&] { m_nocC.transfer(4, 3, 32); }), 3u);
    m_expectC += 1000ul + 32;
    // D, bus, W = 128, L = 1, 1.2 GHz: 1 + ceil(1000/128) = 9;  1 + 1 = 2
    EXPECT_EQ(timed(m_clk12, [&] { m_nocD.transfer(0, 7, 1000); }), 9u);
    EXPECT_EQ(timed(m_clk12, [&] { m_nocD.transfer(3, 6, 128); }), 2u);
    EXPECT_EQ(derived(1000, 1, 128, 1), m_coreD.unicastCycles(0, 7, 1000));
    m_expectD += 1000ul + 128;

    // ---- (2) Contention ------------------------------------------------------------------------------------
    // A: three transfers from the global buffer, 320 bits = 10 flits each, offered in one cycle, all crossing
    // a = 0→1 (requested by all three heads at 2; ties in call order):
    //   T1 0→2: a [2,12), 1→2 [4,14) → 14;  T2 0→5: a [12,22), 1→2 [14,24), 2→5 [16,26) → 26;
    //   T3 0→1: a [22,32) → 32 = L + N·S.
    m_nocA.recordIntervals(true);
    const int a = m_coreA.linkId(0, 1);
    const std::uint64_t busyA0 = m_nocA.linkBusyCycles(a);
    std::uint64_t c0 = align(m_clk1);
    const NocTransferId t1 = m_nocA.post(0, 2, 320), t2 = m_nocA.post(0, 5, 320), t3 = m_nocA.post(0, 1, 320);
    EXPECT_EQ(m_nocA.waitFor(t3).doneCycle - c0, 32u);  // collected in any order
    EXPECT_EQ(m_nocA.waitFor(t1).doneCycle - c0, 14u);
    EXPECT_EQ(m_nocA.waitFor(t2).doneCycle - c0, 26u);
    EXPECT_EQ(cycleNow(m_clk1) - c0, 32u);
    ASSERT_EQ(m_nocA.intervals(a).size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(m_nocA.intervals(a)[k].startCycle - c0, 2 + 10 * k);
      EXPECT_EQ(m_nocA.intervals(a)[k].endCycle - c0, 12 + 10 * k);
    }
    EXPECT_EQ(m_nocA.linkBusyCycles(a) - busyA0, 30u);
    EXPECT_EQ(m_nocA.linkBusyCycles(a), 32u + 30u);  // + the 32 flits of 0 → 8 in (1)
    EXPECT_DOUBLE_EQ(m_nocA.linkUtilisation(a, m_clk1.cycles(248)), 0.25);
    m_expectA += 320ul * (2 + 3 + 1);
    // The same from three threads calling the blocking transfer(): identical transfers 0→2, so whatever order
    // SystemC runs them in, they end at 2·L + S, + 2S, + 3S = 14, 24, 34 (1→2 is free each time the next head
    // arrives: 12 + 2 = 14 = end of the previous occupation).
    EXPECT_EQ(concurrent(m_nocA, m_clk1, {{0, 2}, {0, 2}, {0, 2}}, 320), (std::vector<std::uint64_t>{14, 24, 34}));
    m_expectA += 3ul * 320 * 2;
    // Disjoint paths overlap fully: rows 0, 1, 2 eastward and row 2 westward (same wires, other direction) all
    // end at the uncontended 2·2 + 10 = 14; the two links leaving the global buffer too (2 + 10 = 12).
    EXPECT_EQ(concurrent(m_nocA, m_clk1, {{0, 2}, {3, 5}, {6, 8}, {8, 6}}, 320), (std::vector<std::uint64_t>(4, 14)));
    EXPECT_EQ(concurrent(m_nocA, m_clk1, {{0, 1}, {0, 3}}, 320), (std::vector<std::uint64_t>{12, 12}));
    m_expectA += 320ul * 8 + 320ul * 2;  // 4 routes of 2 hops, 2 of 1

    // B: nodes 0, 1, 2, 3 all send 640 bits (10 flits) to node 7; every route ends with 3→7 (L = 3). First
    // come first served: cycle 3: 0→1, 1→2, 2→3 and 3→7 granted [3,13) (node 3 done at 13);
    // cycle 6: heads of 0, 1, 2 reach 1→2, 2→3, 3→7, all busy until 13: [13,23) (node 2 done at 23);
    // cycle 16: node 0's head at 2→3 [23,33), node 1's at 3→7 [23,33) (done 33); cycle 26: node 0's at 3→7
    // [33,43) (done 43). 3→7 is busy from L to L + N·S = 3 + 40 = 43 without a gap.
    c0 = align(m_clk12);
    std::vector<NocTransferId> ids;
    for (int src = 0; src < 4; ++src) ids.push_back(m_nocB.post(src, 7, 640));
    std::vector<std::uint64_t> doneB;
    for (NocTransferId id : ids) doneB.push_back(m_nocB.waitFor(id).doneCycle - c0);
    EXPECT_EQ(doneB, (std::vector<std::uint64_t>{43, 33, 23, 13}));
    EXPECT_EQ(cycleNow(m_clk12) - c0, 43u);
    EXPECT_EQ(m_nocB.linkBusyCycles(m_coreB.linkId(3, 7)), 16u + 40u);  // + the 16 flits of 0 → 7 in (1)
    m_expectB += 640ul * (4 + 3 + 2 + 1);

    // C, bus: disjoint node pairs still share the one bus: L + S, + 2S, + 3S = 12, 22, 32.
    EXPECT_EQ(concurrent(m_nocC, m_clk1, {{0, 1}, {2, 3}, {4, 5}}, 320), (std::vector<std::uint64_t>{12, 22, 32}));
    m_expectC += 3ul * 320;
    // D, bus at 1.2 GHz: four transfers of 1280 bits (10 flits): 1 + 10k = 11, 21, 31, 41.
    EXPECT_EQ(concurrent(m_nocD, m_clk12, {{0, 1}, {7, 2}, {3, 4}, {0, 6}}, 1280),
              (std::vector<std::uint64_t>{11, 21, 31, 41}));
    m_expectD += 4ul * 1280;

    // Multicast of 320 bits from the global buffer to all 8 tiles.
    std::vector<int> tiles;
    for (int t = 0; t < 8; ++t) tiles.push_back(NocCore::tileNode(t));
    // A, tree: the XY tree from the corner has 8 links (row 0 + every column); node 8 at depth 4: 4·2 + 10 = 18.
    EXPECT_EQ(timed(m_clk1, [&] { m_nocA.multicast(0, tiles, 320); }), 18u);
    m_expectA += 320ul * 8;
    // E, repeated unicasts in tile order. Link 0→1 carries the copies for nodes 1, 2, 4, 5, 7, 8 back to back
    // from cycle 2 ([2,12), [12,22), ... [52,62)); 0→3 those for 3, 6 ([2,12), [12,22)). Then:
    //   node 1: 12;  node 3: 12;  node 2: 1→2 at 14 [14,24) → 24;  node 6: 3→6 at 14 → 24;
    //   node 4: 1→4 at 24 → 34;  node 5: 1→2 at 34, 2→5 at 36 → 46;  node 7: 1→4 at 44, 4→7 at 46 → 56;
    //   node 8: 1→2 at 54, 2→5 at 56, 5→8 at 58 → 68.
    NocDelivery e;
    EXPECT_EQ(timed(m_clk1, [&] { e = m_nocE.multicast(0, tiles, 320); }), 68u);
    EXPECT_EQ(e.deliveredCycle.size(), 8u);
    std::vector<std::uint64_t> rel;
    for (std::uint64_t c : e.deliveredCycle) rel.push_back(c - e.readyCycle);
    EXPECT_EQ(rel, (std::vector<std::uint64_t>{12, 24, 12, 34, 46, 24, 56, 68}));
    m_expectE += 320ul * (1 + 2 + 1 + 2 + 3 + 2 + 3 + 4);
    // C, bus: one broadcast, L + S = 12, counted as one hop.
    EXPECT_EQ(timed(m_clk1, [&] { m_nocC.multicast(0, tiles, 320); }), 12u);
    m_expectC += 320;

    // ---- (3) Action counts = Σ bits × hops ----------------------------------------------------------------
    EXPECT_EQ(m_ledgerA.total(action::kNocBitHop), m_expectA);
    EXPECT_EQ(m_ledgerB.total(action::kNocBitHop), m_expectB);
    EXPECT_EQ(m_ledgerC.total(action::kNocBitHop), m_expectC);
    EXPECT_EQ(m_ledgerD.total(action::kNocBitHop), m_expectD);
    EXPECT_EQ(m_ledgerE.total(action::kNocBitHop), m_expectE);
    EXPECT_EQ(m_nocA.bitHops(), m_expectA);
    EXPECT_EQ(m_expectA, 4164u + 1920u + 1920u + 3200u + 2560u);
    EXPECT_EQ(m_expectB, 6690u + 6400u);
    // Busy link-cycles recorded on A since recording began = Σ flits × hops of those transfers
    // (10 flits each: 6 + 6 + 10 hops, then the 8-link tree), and per link the intervals never overlap.
    std::uint64_t recorded = 0;
    for (int l = 0; l < m_coreA.linkCount(); ++l) {
      const auto& v = m_nocA.intervals(l);
      for (std::size_t i = 0; i < v.size(); ++i) {
        recorded += v[i].endCycle - v[i].startCycle;
        if (i) {
          EXPECT_LE(v[i - 1].endCycle, v[i].startCycle) << m_coreA.linkName(l);
        }
      }
    }
    EXPECT_EQ(recorded, 10u * (6 + 6 + 8 + 2) + 10u * 8);

    m_finished = true;
    sc_core::sc_stop();
  }
  bool finished() const { return m_finished; }

 private:
  Clock m_clk1, m_clk12;
  ActionLedger m_ledgerA, m_ledgerB, m_ledgerC, m_ledgerD, m_ledgerE;
  NocCore m_coreA, m_coreB, m_coreC, m_coreD, m_coreE;
  NocModule m_nocA, m_nocB, m_nocC, m_nocD, m_nocE;
  std::uint64_t m_expectA = 0, m_expectB = 0, m_expectC = 0, m_expectD = 0, m_expectE = 0;
  bool m_finished = false;
};

TEST(NocTb, TransfersContentionMulticastAndActionsMatchDerivation) {
  NocBench bench("bench");
  sc_core::sc_start();
  EXPECT_TRUE(bench.finished());
}

}  // namespace
}  // namespace mxsim
