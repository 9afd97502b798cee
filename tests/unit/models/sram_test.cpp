// Tests for the global SRAM core (models/memory/sram.h): the transfer-cycle rule per access kind, the
// bank/port schedule of concurrent requesters (expected cycles and conflicts derived by hand, cycle by
// cycle, in the comments), the capacity policies and the configuration checks.
#include "models/memory/sram.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sim/core/error.h"

namespace mxsim {
namespace {

SramParams makeParams(int wordBits, int banks, int readPorts, int writePorts, int accessCycles) {
  SramParams p;
  p.wordBits = wordBits;
  p.banks = banks;
  p.ports = readPorts;
  p.readPorts = readPorts;
  p.writePorts = writePorts;
  p.accessCycles = accessCycles;
  return p;
}

SramRequest rd(std::uint64_t addr, std::uint64_t bits) {
  return {addr, bits, false};
}
SramRequest wr(std::uint64_t addr, std::uint64_t bits) {
  return {addr, bits, true};
}

// The formula of the original model: ceil(bits / (wordBits·ports)) + accessCycles − 1, 0 for no bits.
std::uint64_t oldFormula(std::uint64_t bits, std::uint64_t wordBits, std::uint64_t ports, std::uint64_t latency) {
  if (!bits) return 0;
  return (bits + wordBits * ports - 1) / (wordBits * ports) + latency - 1;
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

SramParams parse(const std::string& yaml, ParamRegistry* reg = nullptr) {
  ConfigReader r(YAML::Load(yaml), "chip.sram", reg);
  return SramParams::fromConfig(r);
}

// ---------------------------------------------------------------------------------------------------
// transferCycles

TEST(SramCoreTest, TransferCyclesDerivation) {
  // 128-bit words, 4 ports: 512 bits per cycle; latency 3 adds 2 cycles once.
  const SramCore a(makeParams(128, 1, 4, 4, 3));
  EXPECT_EQ(a.transferCycles(0, SramAccess::Read), 0u);
  EXPECT_EQ(a.transferCycles(1, SramAccess::Read), 3u);       // 1 access + 2
  EXPECT_EQ(a.transferCycles(512, SramAccess::Read), 3u);     // 1 access cycle (4 words in parallel) + 2
  EXPECT_EQ(a.transferCycles(1000, SramAccess::Read), 4u);    // ceil(1000/512) = 2, + 2
  EXPECT_EQ(a.transferCycles(5120, SramAccess::Write), 12u);  // 10 + 2
  // 32-bit words, 3 ports: 96 bits per cycle, latency 1.
  const SramCore b(makeParams(32, 1, 3, 3, 1));
  EXPECT_EQ(b.transferCycles(96, SramAccess::Read), 1u);
  EXPECT_EQ(b.transferCycles(97, SramAccess::Read), 2u);
  EXPECT_EQ(b.transferCycles(960, SramAccess::Read), 10u);
  // 64-bit words, 1 port, latency 5: one word per cycle, 4 extra cycles.
  const SramCore c(makeParams(64, 1, 1, 1, 5));
  EXPECT_EQ(c.transferCycles(64, SramAccess::Read), 5u);
  EXPECT_EQ(c.transferCycles(65, SramAccess::Read), 6u);
  EXPECT_EQ(c.transferCycles(64 * 100, SramAccess::Write), 104u);
}

TEST(SramCoreTest, SingleBankDefaultsMatchTheOriginalFormula) {
  // The struct's defaults and the config defaults: 256-bit words, 2 ports, latency 1, one bank.
  const SramParams def;
  EXPECT_EQ(def.banks, 1);
  EXPECT_EQ(def.readPortCount(), 2);
  EXPECT_EQ(def.writePortCount(), 2);
  const SramCore d(def);
  for (std::uint64_t bits : {0ull, 1ull, 511ull, 512ull, 513ull, 8ull * 1024 * 1024, 123457ull}) {
    EXPECT_EQ(d.transferCycles(bits), oldFormula(bits, 256, 2, 1)) << bits;
    EXPECT_EQ(d.transferCycles(bits, SramAccess::Read), oldFormula(bits, 256, 2, 1)) << bits;
    EXPECT_EQ(d.transferCycles(bits, SramAccess::Write), oldFormula(bits, 256, 2, 1)) << bits;
  }
  // Setting only `ports` (as the old parameter set did) drives both kinds.
  for (int word : {8, 64, 256}) {
    for (int ports : {1, 2, 3, 64}) {
      for (int lat : {1, 2, 7}) {
        SramParams p;
        p.wordBits = word;
        p.ports = ports;
        p.accessCycles = lat;
        const SramCore s(p);
        for (std::uint64_t bits : {0ull, 1ull, 100ull, 6400ull, 6401ull, 1000003ull}) {
          const std::uint64_t expect = oldFormula(bits, word, ports, lat);
          EXPECT_EQ(s.transferCycles(bits), expect);
          EXPECT_EQ(s.transferCycles(bits, SramAccess::Write), expect);
        }
      }
    }
  }
}

TEST(SramCoreTest, LoneAlignedRequestScheduleEqualsTransferCyclesForAnyBanks) {
  // A lone requester issues `ports` consecutive words per cycle; they never exceed one bank's ports, so the
  // cycle-level schedule reproduces the closed form whatever the bank count.
  for (int banks : {1, 2, 4, 16}) {
    for (int ports : {1, 2, 3, 8}) {
      const SramCore s(makeParams(64, banks, ports, ports, 2));
      for (std::uint64_t bits : {1ull, 64ull, 65ull, 640ull, 6401ull}) {
        for (std::uint64_t addr : {0ull, 8ull, 8ull * 13}) {  // word-aligned starts
          const SramSchedule r = s.schedule({rd(addr, bits)});
          EXPECT_EQ(r.cycles, s.transferCycles(bits, SramAccess::Read)) << banks << " " << ports << " " << bits;
          EXPECT_EQ(r.conflicts, 0u);
          EXPECT_EQ(s.scheduleCycles({wr(addr, bits)}), s.transferCycles(bits, SramAccess::Write));
        }
      }
    }
  }
}

TEST(SramCoreTest, ReadAndWritePortsAreSeparate) {
  // 64-bit words, 4 read ports, 1 write port, latency 1. 1024 bits = 16 words.
  const SramCore s(makeParams(64, 1, 4, 1, 1));
  EXPECT_EQ(s.transferCycles(1024, SramAccess::Read), 4u);    // 16 words / 4 per cycle
  EXPECT_EQ(s.transferCycles(1024, SramAccess::Write), 16u);  // 16 words / 1 per cycle
  EXPECT_EQ(s.scheduleCycles({rd(0, 1024)}), 4u);
  EXPECT_EQ(s.scheduleCycles({wr(0, 1024)}), 16u);
  // A read and a write to the same (only) bank use different port sets: they overlap, cycles = max(4, 16).
  const SramSchedule rw = s.schedule({rd(0, 1024), wr(0, 1024)});
  EXPECT_EQ(rw.cycles, 16u);
  EXPECT_EQ(rw.conflicts, 0u);
  // Two writes share the single write port: 16 + 16 words one per cycle = 32; the second write is held
  // back in each of the first 16 cycles.
  const SramSchedule ww = s.schedule({wr(0, 1024), wr(4096, 1024)});
  EXPECT_EQ(ww.cycles, 32u);
  EXPECT_EQ(ww.conflicts, 16u);
  // Config: ports sets both kinds, read_ports / write_ports override one each.
  const SramParams p = parse("{ports: 3, write_ports: 1}");
  EXPECT_EQ(p.readPortCount(), 3);
  EXPECT_EQ(p.writePortCount(), 1);
  EXPECT_EQ(SramCore(p).transferCycles(256 * 6, SramAccess::Read), 2u);   // 6 words / 3
  EXPECT_EQ(SramCore(p).transferCycles(256 * 6, SramAccess::Write), 6u);  // 6 words / 1
}

// ---------------------------------------------------------------------------------------------------
// Banks and conflicts

TEST(SramCoreTest, BankOfIsWordIndexModBanks) {
  const SramCore s(makeParams(64, 4, 1, 1, 1));  // 8-byte words
  EXPECT_EQ(s.bankOf(0), 0u);
  EXPECT_EQ(s.bankOf(7), 0u);
  EXPECT_EQ(s.bankOf(8), 1u);
  EXPECT_EQ(s.bankOf(24), 3u);
  EXPECT_EQ(s.bankOf(32), 0u);
  EXPECT_EQ(s.bankOf(40), 1u);  // word 5
  // Words touched: a partly covered word is a whole access.
  EXPECT_EQ(s.wordsOf(rd(0, 0)), 0u);
  EXPECT_EQ(s.wordsOf(rd(0, 64)), 1u);
  EXPECT_EQ(s.wordsOf(rd(0, 65)), 2u);
  EXPECT_EQ(s.wordsOf(rd(4, 64)), 2u);  // bits 32..95: words 0 and 1
  EXPECT_EQ(s.wordsOf(rd(7, 8)), 1u);   // bits 56..63
  EXPECT_EQ(s.wordsOf(rd(7, 9)), 2u);   // bits 56..64
  // An unaligned lone request pays its extra word: 2 words on 1 port = 2 cycles, not transferCycles' 1.
  EXPECT_EQ(s.scheduleCycles({rd(4, 64)}), 2u);
  EXPECT_EQ(s.transferCycles(64), 1u);
}

TEST(SramCoreTest, SameBankSerialisesDifferentBanksOverlap) {
  // 4 banks, 64-bit (8-byte) words, 1 read port per bank, latency 1.
  const SramCore s(makeParams(64, 4, 1, 1, 1));
  // One word each. A at byte 0 (word 0, bank 0); B at byte 32 (word 4, bank 0): same bank.
  // cycle 1: A issues, B finds bank 0 busy (conflict); cycle 2: B issues. cycles = 1 + 1 = 2 (sum).
  const SramSchedule same = s.schedule({rd(0, 64), rd(32, 64)});
  EXPECT_EQ(same.cycles, 2u);
  EXPECT_EQ(same.conflicts, 1u);
  // B at byte 8 (word 1, bank 1): cycle 1: both issue. cycles = max(1, 1) = 1.
  const SramSchedule diff = s.schedule({rd(0, 64), rd(8, 64)});
  EXPECT_EQ(diff.cycles, 1u);
  EXPECT_EQ(diff.conflicts, 0u);
  // Different lengths on disjoint banks: A word 0 (bank 0); B words 1..3 (banks 1, 2, 3).
  // cycle 1: A b0, B b1; cycle 2: B b2; cycle 3: B b3. cycles = max(1, 3) = 3.
  EXPECT_EQ(s.scheduleCycles({rd(0, 64), rd(8, 3 * 64)}), 3u);
  // Three one-word requesters on bank 0 (bytes 0, 32, 64): one per cycle = 3 cycles; conflicts:
  // cycle 1 B and C wait (2), cycle 2 C waits (1) = 3.
  const SramSchedule three = s.schedule({rd(0, 64), rd(32, 64), rd(64, 64)});
  EXPECT_EQ(three.cycles, 3u);
  EXPECT_EQ(three.conflicts, 3u);
  // Latency is paid once after the last issue: same-bank pair with access_cycles 3 = 2 + 3 − 1 = 4.
  EXPECT_EQ(SramCore(makeParams(64, 4, 1, 1, 3)).scheduleCycles({rd(0, 64), rd(32, 64)}), 4u);
}

TEST(SramCoreTest, SingleBankLongRequestsSerialiseToTheSum) {
  // One bank, 1 port: A 10 words, B 6 words. A (lower index) issues in cycles 1..10 while B is held back
  // (10 conflicts), B issues in cycles 11..16. cycles = 10 + 6 = 16 = transfer(A) + transfer(B).
  const SramCore s(makeParams(64, 1, 1, 1, 1));
  const SramSchedule r = s.schedule({rd(0, 640), rd(1024, 384)});
  EXPECT_EQ(r.cycles, 16u);
  EXPECT_EQ(r.cycles, s.transferCycles(640) + s.transferCycles(384));
  EXPECT_EQ(r.conflicts, 10u);
  // One bank with 2 ports: each requester wants 2 words per cycle and the bank serves 2, so again they
  // take turns. A (4 words) cycles 1-2, B (4 words) cycles 3-4, B waits twice: 4 = 2 + 2.
  const SramCore two(makeParams(64, 1, 2, 2, 1));
  const SramSchedule r2 = two.schedule({rd(0, 256), rd(512, 256)});
  EXPECT_EQ(r2.cycles, 4u);
  EXPECT_EQ(r2.conflicts, 2u);
  // Two banks of 2 ports: both requesters' pairs of words spread over both banks (1 word per bank each),
  // so they overlap completely: 2 cycles, no conflict.
  const SramCore banked(makeParams(64, 2, 2, 2, 1));
  const SramSchedule r3 = banked.schedule({rd(0, 256), rd(0, 256)});
  EXPECT_EQ(r3.cycles, 2u);
  EXPECT_EQ(r3.conflicts, 0u);
}

TEST(SramCoreTest, StripedStreamsConflictOnceThenPipeline) {
  // 4 banks, 1 port. A = words 0..3 (banks 0,1,2,3); B = words 8..11 (banks 0,1,2,3).
  // cycle 1: A b0; B b0 busy (conflict). cycle 2: A b1, B b0. cycle 3: A b2, B b1. cycle 4: A b3, B b2.
  // cycle 5: B b3. cycles = 5 (not the sum 8: after one stall B trails A by one bank); conflicts = 1.
  const SramCore s(makeParams(64, 4, 1, 1, 1));
  const SramSchedule r = s.schedule({rd(0, 256), rd(64, 256)});
  EXPECT_EQ(r.cycles, 5u);
  EXPECT_EQ(r.conflicts, 1u);
  EXPECT_EQ(r.words, 8u);
  // Offset by one bank from the start: A words 0..7, B words 1..8 — lock-step, no conflict, 8 cycles.
  const SramSchedule lock = s.schedule({rd(0, 512), rd(8, 512)});
  EXPECT_EQ(lock.cycles, 8u);
  EXPECT_EQ(lock.conflicts, 0u);
}

TEST(SramCoreTest, ScheduleTotalsAndEmptyRequests) {
  const SramCore s(makeParams(64, 2, 1, 1, 4));
  EXPECT_EQ(s.scheduleCycles({}), 0u);
  const SramSchedule zero = s.schedule({rd(0, 0), wr(8, 0)});
  EXPECT_EQ(zero.cycles, 0u);
  EXPECT_EQ(zero.words, 0u);
  const SramSchedule mix = s.schedule({rd(0, 100), wr(64, 30), rd(0, 0)});
  EXPECT_EQ(mix.readBits, 100u);
  EXPECT_EQ(mix.writeBits, 30u);
  EXPECT_EQ(mix.words, 3u);  // read: words 0,1; write: word 8
  // read b0 in cycle 1, b1 in cycle 2; write b0 in cycle 1 (write port set): last issue 2, + 4 − 1 = 5.
  EXPECT_EQ(mix.cycles, 5u);
}

// ---------------------------------------------------------------------------------------------------
// Capacity

TEST(SramCoreTest, SpillPolicyArithmetic) {
  SramParams p;
  p.capacityBytes = 1024;  // 8192 bits
  p.capacityPolicy = SramCapacityPolicy::Spill;
  p.spillBandwidth = 128;
  p.spillEnergyPerBit = 20e-12;
  const SramCore s(p);
  EXPECT_EQ(s.capacityBits(), 8192u);
  EXPECT_EQ(s.spillBits(0), 0u);
  EXPECT_EQ(s.spillBits(8000), 0u);
  EXPECT_EQ(s.spillBits(8192), 0u);
  EXPECT_EQ(s.spillBits(8193), 1u);
  EXPECT_EQ(s.spillBits(20000), 11808u);
  EXPECT_EQ(s.spillTrafficBits(20000), 23616u);  // written out and read back
  EXPECT_EQ(s.spillCycles(0), 0u);
  EXPECT_EQ(s.spillCycles(1), 1u);
  EXPECT_EQ(s.spillCycles(128), 1u);
  EXPECT_EQ(s.spillCycles(129), 2u);
  EXPECT_EQ(s.spillCycles(23616), 185u);  // ceil(23616 / 128) = 184.5 -> 185
  EXPECT_DOUBLE_EQ(s.spillJoules(1000), 1000 * 20e-12);
}

TEST(SramCoreTest, ErrorPolicyMessageNamesKeyAndSizes) {
  SramParams p;
  p.capacityBytes = 1024;
  const SramCore s(p);                               // default policy: error
  EXPECT_EQ(s.spillBits(8192, "layer 'conv'"), 0u);  // fits exactly
  EXPECT_NO_THROW(s.requireFits(8192));
  const std::string msg = errorOf([&] { s.spillBits(8193 * 8, "layer 'conv'"); });
  EXPECT_TRUE(contains(msg, "layer 'conv'")) << msg;
  EXPECT_TRUE(contains(msg, "chip.sram.capacity is 1 KiB (8192 bits)")) << msg;
  EXPECT_TRUE(contains(msg, "needs 8.00098 KiB (65544 bits)")) << msg;  // 8193 B
  EXPECT_TRUE(contains(msg, "capacity_policy: spill")) << msg;
  EXPECT_THROW(s.requireFits(8193), MappingError);
  // requireFits throws whatever the policy.
  p.capacityPolicy = SramCapacityPolicy::Spill;
  EXPECT_THROW(SramCore(p).requireFits(8193), MappingError);
}

// ---------------------------------------------------------------------------------------------------
// Configuration

TEST(SramConfigTest, DefaultsAndKeys) {
  ParamRegistry reg;
  const SramParams p = parse("{}", &reg);
  EXPECT_DOUBLE_EQ(p.capacityBytes, 2.0 * 1024 * 1024);
  EXPECT_EQ(p.wordBits, 256);
  EXPECT_EQ(p.banks, 1);
  EXPECT_EQ(p.ports, 2);
  EXPECT_EQ(p.readPortCount(), 2);
  EXPECT_EQ(p.writePortCount(), 2);
  EXPECT_EQ(p.accessCycles, 1);
  EXPECT_EQ(p.activationBits, 8);
  EXPECT_EQ(p.capacityPolicy, SramCapacityPolicy::Error);
  EXPECT_DOUBLE_EQ(p.spillEnergyPerBit, 20e-12);
  EXPECT_EQ(p.spillBandwidth, 128);
  // Every key is documented with a meaning; the spill defaults cite their source.
  for (const char* key : {"capacity", "word_bits", "banks", "ports", "read_ports", "write_ports", "access_cycles",
                          "activation_bits", "capacity_policy", "spill_energy_per_bit", "spill_bandwidth"}) {
    const std::string path = std::string("chip.sram.") + key;
    bool found = false;
    for (const ParamDoc& d : reg.docs()) {
      if (d.path != path) continue;
      found = true;
      EXPECT_FALSE(d.meaning.empty()) << path;
      EXPECT_FALSE(d.unit.empty()) << path;
      if (std::string(key).rfind("spill_", 0) == 0) {
        EXPECT_FALSE(d.source.empty()) << path;
      }
    }
    EXPECT_TRUE(found) << path;
  }
  const SramParams q = parse(
      "{capacity: 64 KiB, banks: 8, ports: 4, read_ports: 2, access_cycles: 3, capacity_policy: spill, "
      "spill_energy_per_bit: 30 pJ, spill_bandwidth: 256}");
  EXPECT_DOUBLE_EQ(q.capacityBytes, 65536.0);
  EXPECT_EQ(q.banks, 8);
  EXPECT_EQ(q.readPortCount(), 2);
  EXPECT_EQ(q.writePortCount(), 4);
  EXPECT_EQ(q.accessCycles, 3);
  EXPECT_EQ(q.capacityPolicy, SramCapacityPolicy::Spill);
  EXPECT_DOUBLE_EQ(q.spillEnergyPerBit, 30e-12);
  EXPECT_EQ(q.spillBandwidth, 256);
}

TEST(SramConfigTest, InvalidValuesNameTheKey) {
  auto configError = [](const std::string& yaml) {
    try {
      parse(yaml);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string banks3 = configError("{banks: 3}");
  EXPECT_TRUE(contains(banks3, "chip.sram.banks")) << banks3;
  EXPECT_TRUE(contains(banks3, "power of two")) << banks3;
  EXPECT_TRUE(contains(configError("{banks: 12}"), "chip.sram.banks"));
  EXPECT_TRUE(contains(configError("{banks: 0}"), "chip.sram.banks"));
  EXPECT_TRUE(contains(configError("{banks: 2048}"), "chip.sram.banks"));
  EXPECT_TRUE(contains(configError("{ports: 0}"), "chip.sram.ports"));
  EXPECT_TRUE(contains(configError("{read_ports: 0}"), "chip.sram.read_ports"));
  EXPECT_TRUE(contains(configError("{write_ports: 0}"), "chip.sram.write_ports"));
  EXPECT_TRUE(contains(configError("{capacity_policy: drop}"), "chip.sram.capacity_policy"));
  EXPECT_TRUE(contains(configError("{spill_bandwidth: 0}"), "chip.sram.spill_bandwidth"));
  EXPECT_TRUE(contains(configError("{spill_energy_per_bit: 20}"), "chip.sram.spill_energy_per_bit"));
  EXPECT_TRUE(contains(configError("{bank: 2}"), "chip.sram.bank"));  // typo: unknown key
  for (int ok : {1, 2, 4, 1024}) EXPECT_EQ(configError("{banks: " + std::to_string(ok) + "}"), "") << ok;

  // Parameters built in code are checked when the core is made.
  auto coreError = [](SramParams p) { return errorOf([&] { SramCore c(p); }); };
  SramParams p;
  p.banks = 6;
  EXPECT_TRUE(contains(coreError(p), "chip.sram.banks"));
  p = SramParams();
  p.ports = 0;
  EXPECT_TRUE(contains(coreError(p), "chip.sram.ports"));
  p = SramParams();
  p.spillBandwidth = 0;
  EXPECT_TRUE(contains(coreError(p), "chip.sram.spill_bandwidth"));
}

}  // namespace
}  // namespace mxsim
