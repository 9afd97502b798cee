// Testbench: the global SRAM driven through its SystemC shell (models/memory/sram_module.h).
// Checks (a) whole-tensor read()/write() take the derived cycles for two parameter sets, (b) a bank-conflict
// scenario through access() takes SramCore::scheduleCycles and the hand derivation, (c) spill() takes
// ceil(bits / spill_bandwidth), (d) two threads calling read() at once serialise, and that the action
// counts (sram.read_bit, sram.write_bit, sram.spill_bit) equal the bits moved.
#include <gtest/gtest.h>

#include <memory>
#include <systemc>

#include "models/memory/sram_module.h"

namespace mxsim {
namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// Independent derivation of a lone whole-tensor transfer: ceil(bits / (word · ports)) + latency − 1.
std::uint64_t derivedTransfer(std::uint64_t bits, int wordBits, int ports, int latency) {
  return bits ? ceilDiv(bits, static_cast<std::uint64_t>(wordBits) * ports) + latency - 1 : 0;
}

SramParams paramsA() {  // the defaults: 256-bit words, 2 ports, 1 bank, latency 1
  return SramParams();
}
SramParams paramsB() {  // 4 banks of 64-bit words, 3 read ports and 1 write port, latency 4
  SramParams p;
  p.wordBits = 64;
  p.banks = 4;
  p.ports = 3;
  p.readPorts = 3;
  p.writePorts = 1;
  p.accessCycles = 4;
  return p;
}
SramParams paramsC() {  // conflict + spill: 4 banks of 64-bit words, 1 port each, latency 2, 1 KiB, spill
  SramParams p;
  p.wordBits = 64;
  p.banks = 4;
  p.ports = 1;
  p.accessCycles = 2;
  p.capacityBytes = 1024;
  p.capacityPolicy = SramCapacityPolicy::Spill;
  p.spillBandwidth = 128;
  return p;
}

class SramBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(SramBench);
  explicit SramBench(const sc_core::sc_module_name& n)
      : sc_module(n),
        m_clock(1e9),
        m_coreA(paramsA()),
        m_coreB(paramsB()),
        m_coreC(paramsC()),
        m_sramA("sramA", m_coreA, {&m_clock, &m_ledgerA}),
        m_sramB("sramB", m_coreB, {&m_clock, &m_ledgerB}),
        m_sramC("sramC", m_coreC, {&m_clock, &m_ledgerC}) {
    SC_THREAD(drive);
  }

  std::uint64_t now() const { return m_clock.toCycles(sc_core::sc_time_stamp()); }

  // Elapsed cycles of one call on the driving thread.
  template <class F>
  std::uint64_t timed(F f) {
    const std::uint64_t t0 = now();
    f();
    return now() - t0;
  }

  void drive() {
    // (a) Whole tensors, parameter set A: 1000 and 3000 8-bit activations.
    // read 8000 bits / 512 per cycle = 15.6 -> 16; write 24000 / 512 = 46.9 -> 47.
    EXPECT_EQ(timed([&] { m_sramA.read(8000); }), 16u);
    EXPECT_EQ(timed([&] { m_sramA.write(24000); }), 47u);
    EXPECT_EQ(derivedTransfer(8000, 256, 2, 1), 16u);
    EXPECT_EQ(derivedTransfer(24000, 256, 2, 1), 47u);
    EXPECT_EQ(m_ledgerA.total(action::kSramReadBit), 8000u);
    EXPECT_EQ(m_ledgerA.total(action::kSramWriteBit), 24000u);
    EXPECT_EQ(m_clock.toCycles(m_sramA.busyTime()), 16u + 47u);

    // Parameter set B: read 10000 bits / (64 · 3) = 52.1 -> 53, + 3 = 56; write 10000 / 64 = 156.25 -> 157,
    // + 3 = 160 (one write port). Banks do not change a lone transfer.
    EXPECT_EQ(timed([&] { m_sramB.read(10000); }), 56u);
    EXPECT_EQ(timed([&] { m_sramB.write(10000); }), 160u);
    EXPECT_EQ(derivedTransfer(10000, 64, 3, 4), 56u);
    EXPECT_EQ(derivedTransfer(10000, 64, 1, 4), 160u);
    EXPECT_EQ(timed([&] { m_sramB.read(0); }), 0u);
    EXPECT_EQ(m_ledgerB.total(action::kSramReadBit), 10000u);
    EXPECT_EQ(m_ledgerB.total(action::kSramWriteBit), 10000u);

    // (b) Conflicts, parameter set C (8-byte words, bank = word mod 4, 1 port per bank, latency 2):
    //   A reads words 0..3 (banks 0,1,2,3), B reads words 8..11 (banks 0,1,2,3), W writes words 0..1.
    //   cycle 1: A b0, B held (conflict), W b0 (write port); cycle 2: A b1, B b0, W b1;
    //   cycle 3: A b2, B b1; cycle 4: A b3, B b2; cycle 5: B b3. Last issue 5, + 2 − 1 = 6 cycles.
    const std::vector<SramRequest> reqs = {{0, 256, false}, {64, 256, false}, {0, 128, true}};
    SramSchedule s;
    const std::uint64_t conflictCycles = timed([&] { s = m_sramC.access(reqs); });
    EXPECT_EQ(conflictCycles, 6u);
    EXPECT_EQ(conflictCycles, m_coreC.scheduleCycles(reqs));
    EXPECT_EQ(s.conflicts, 1u);
    EXPECT_EQ(m_sramC.conflicts(), 1u);
    // B two words further (word 2: banks 2,3,0,1): A and B never want the same bank in the same cycle:
    //   cycle 1: A b0, B b2; cycle 2: A b1, B b3; cycle 3: A b2, B b0; cycle 4: A b3, B b1 -> 4 + 1 = 5.
    const std::vector<SramRequest> apart = {{0, 256, false}, {16, 256, false}};
    EXPECT_EQ(timed([&] { m_sramC.access(apart); }), 5u);
    EXPECT_EQ(m_coreC.scheduleCycles(apart), 5u);
    EXPECT_EQ(m_sramC.conflicts(), 1u);
    EXPECT_EQ(m_ledgerC.total(action::kSramReadBit), 256u * 4);
    EXPECT_EQ(m_ledgerC.total(action::kSramWriteBit), 128u);

    // (c) Spill: a 20000-bit working set in an 8192-bit buffer spills 11808 bits, written out and read back
    // = 23616 bits over 128 bits/cycle = 184.5 -> 185 cycles.
    const std::uint64_t traffic = m_coreC.spillTrafficBits(20000);
    EXPECT_EQ(traffic, 23616u);
    EXPECT_EQ(timed([&] { m_sramC.spill(traffic); }), 185u);
    EXPECT_EQ(m_ledgerC.total(action::kSramSpillBit), 23616u);
    EXPECT_EQ(m_ledgerA.total(action::kSramSpillBit), 0u);

    // (d) Two threads read 8000 bits each from A at the same time: one transfer at a time, so one ends
    // after 16 cycles and the other after 32.
    const std::uint64_t t0 = now();
    std::uint64_t end1 = 0, end2 = 0;
    auto p1 = sc_core::sc_spawn([&] {
      m_sramA.read(8000);
      end1 = now();
    });
    auto p2 = sc_core::sc_spawn([&] {
      m_sramA.read(8000);
      end2 = now();
    });
    sc_core::wait(p1.terminated_event() & p2.terminated_event());
    EXPECT_EQ(std::min(end1, end2) - t0, 16u);
    EXPECT_EQ(std::max(end1, end2) - t0, 32u);
    EXPECT_EQ(m_ledgerA.total(action::kSramReadBit), 8000u * 3);

    m_finished = true;
    sc_core::sc_stop();
  }
  bool finished() const { return m_finished; }

 private:
  Clock m_clock;
  ActionLedger m_ledgerA, m_ledgerB, m_ledgerC;
  SramCore m_coreA, m_coreB, m_coreC;
  SramModule m_sramA, m_sramB, m_sramC;
  bool m_finished = false;
};

TEST(SramTb, TransfersConflictsAndSpillMatchDerivation) {
  SramBench bench("bench");
  sc_core::sc_start();
  EXPECT_TRUE(bench.finished());
}

}  // namespace
}  // namespace mxsim
