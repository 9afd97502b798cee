#include "models/memory/sram.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/core/units.h"

namespace mxsim {

namespace {
bool isPowerOfTwo(std::int64_t v) {
  return v > 0 && (v & (v - 1)) == 0;
}
}  // namespace

void SramParams::validate(const std::string& path) const {
  auto bad = [&](const char* key, const std::string& what) {
    throw ConfigError(fmt::format("{}.{}: {}", path, key, what));
  };
  if (!isPowerOfTwo(banks)) bad("banks", fmt::format("value {} is not a power of two (allowed 1, 2, 4, …)", banks));
  if (ports < 1) bad("ports", fmt::format("value {} is out of range (at least 1 port)", ports));
  if (readPorts < 0) bad("read_ports", fmt::format("value {} is out of range (at least 1 port)", readPorts));
  if (writePorts < 0) bad("write_ports", fmt::format("value {} is out of range (at least 1 port)", writePorts));
  if (wordBits < 1) bad("word_bits", fmt::format("value {} is out of range (at least 1 bit)", wordBits));
  if (accessCycles < 1) bad("access_cycles", fmt::format("value {} is out of range (at least 1 cycle)", accessCycles));
  if (activationBits < 1) {
    bad("activation_bits", fmt::format("value {} is out of range (at least 1 bit)", activationBits));
  }
  if (!(capacityBytes >= 0)) bad("capacity", "must not be negative");
  if (!(spillEnergyPerBit >= 0)) bad("spill_energy_per_bit", "must not be negative");
  if (spillBandwidth < 1) {
    bad("spill_bandwidth", fmt::format("value {} is out of range (at least 1 bit/cycle)", spillBandwidth));
  }
}

SramParams SramParams::fromConfig(ConfigReader& r) {
  SramParams p;
  p.capacityBytes = r.getQuantity("capacity", Dimension::Bytes, p.capacityBytes, 1024.0, 1024.0 * 1024 * 1024 * 4,
                                  "global activation buffer capacity");
  p.wordBits = static_cast<int>(
      r.getInt("word_bits", p.wordBits, 8, 8192, "bits per access per port", "bits", {"ISAAC eDRAM buffer: 256-bit bus"}));
  p.banks = static_cast<int>(r.getInt(
      "banks", p.banks, 1, 1024, "independent banks (power of two); consecutive words go to consecutive banks", "banks"));
  if (!isPowerOfTwo(p.banks)) {
    throw ConfigError(
        fmt::format("{}: value {} is not a power of two (allowed 1, 2, 4, … 1024)", r.keyPath("banks"), p.banks));
  }
  p.ports = static_cast<int>(r.getInt(
      "ports", p.ports, 1, 64, "ports per bank, each one word per cycle; default of read_ports and write_ports", "ports"));
  p.readPorts = static_cast<int>(r.getInt("read_ports", p.ports, 1, 64,
                                          "read ports per bank, each one word per cycle (defaults to ports)", "ports"));
  p.writePorts = static_cast<int>(r.getInt(
      "write_ports", p.ports, 1, 64, "write ports per bank, each one word per cycle (defaults to ports)", "ports"));
  p.accessCycles = static_cast<int>(r.getInt("access_cycles", p.accessCycles, 1, 1024, "latency of one access", "cycles"));
  p.activationBits = static_cast<int>(r.getInt("activation_bits", p.activationBits, 1, 32, "stored bits per activation", "bits"));
  p.capacityPolicy = r.getEnum<SramCapacityPolicy>(
      "capacity_policy", p.capacityPolicy, {{"error", SramCapacityPolicy::Error}, {"spill", SramCapacityPolicy::Spill}},
      "a layer whose inputs + output exceed capacity: error (MappingError) or spill the excess to DRAM");
  p.spillEnergyPerBit =
      r.getQuantity("spill_energy_per_bit", Dimension::Energy, p.spillEnergyPerBit, 0.0, 1e-6,
                    "energy per bit moved between the buffer and off-chip DRAM (capacity_policy: spill)",
                    {"Horowitz ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access = 20-40 pJ/bit; lower end"});
  p.spillBandwidth = static_cast<int>(r.getInt(
      "spill_bandwidth", p.spillBandwidth, 1, 1 << 20, "bits moved to or from off-chip DRAM per chip cycle", "bits/cycle",
      {"16 GB/s at the 1 GHz default clock, about one 64-bit DDR4-2133 channel (17 GB/s peak, JEDEC JESD79-4)"}));
  p.technology = r.getEnum<MemoryTechnology>(
      "technology", p.technology, {{"sram", MemoryTechnology::Sram}, {"edram", MemoryTechnology::Edram}},
      "bit cell of the buffer: sram (6T) or edram (gain cell / 1T1C, refreshed); sets the static power (eDRAM "
      "adds refresh power, docs/memory.md)",
      {"eDRAM refresh: Giterman et al., IEEE SSC-L 3, 2020 (16 nm 1-Mbit gain-cell eDRAM, 276 uW refresh)"});
  r.finish();
  p.validate(r.path());
  return p;
}

SramCore::SramCore(const SramParams& p) : m_p(p), m_banks(0) {
  m_p.validate();
  m_banks = static_cast<std::uint64_t>(m_p.banks);
}

std::uint64_t SramCore::wordsOf(const SramRequest& r) const {
  if (!r.bits) return 0;
  const std::uint64_t first = r.addressBytes * 8;
  return wordIndex(first + r.bits - 1) - wordIndex(first) + 1;
}

SramSchedule SramCore::schedule(const std::vector<SramRequest>& requests) const {
  SramSchedule s;
  struct Stream {
    std::uint64_t next, end;  // word indices [next, end)
    std::uint64_t width;      // words per cycle (ports of its kind)
    bool write;
  };
  std::vector<Stream> live;
  live.reserve(requests.size());
  for (const SramRequest& r : requests) {
    (r.isWrite ? s.writeBits : s.readBits) += r.bits;
    const std::uint64_t n = wordsOf(r);
    if (!n) continue;
    s.words += n;
    const std::uint64_t first = wordIndex(r.addressBytes * 8);
    live.push_back({first, first + n,
                    static_cast<std::uint64_t>(m_p.portCount(r.isWrite ? SramAccess::Write : SramAccess::Read)),
                    r.isWrite});
  }
  if (live.empty()) return s;

  const auto readCap = static_cast<std::uint64_t>(m_p.readPortCount());
  const auto writeCap = static_cast<std::uint64_t>(m_p.writePortCount());
  std::vector<std::uint64_t> readsUsed(m_banks, 0), writesUsed(m_banks, 0);
  std::vector<std::uint64_t> touched;  // banks used this cycle, to reset cheaply
  std::uint64_t cycle = 0, lastIssue = 0;
  size_t remaining = live.size();
  while (remaining) {
    ++cycle;
    for (std::uint64_t b : touched) readsUsed[b] = writesUsed[b] = 0;
    touched.clear();
    for (Stream& st : live) {
      if (st.next == st.end) continue;
      std::vector<std::uint64_t>& used = st.write ? writesUsed : readsUsed;
      const std::uint64_t cap = st.write ? writeCap : readCap;
      std::uint64_t issued = 0;
      while (issued < st.width && st.next < st.end) {
        const std::uint64_t bank = st.next & (m_banks - 1);
        if (used[bank] >= cap) {
          ++s.conflicts;
          break;
        }
        if (readsUsed[bank] + writesUsed[bank] == 0) touched.push_back(bank);
        ++used[bank];
        ++st.next;
        ++issued;
      }
      if (issued) lastIssue = cycle;
      if (st.next == st.end) --remaining;
    }
  }
  s.cycles = lastIssue + static_cast<std::uint64_t>(m_p.accessCycles) - 1;
  return s;
}

std::uint64_t SramCore::spillBits(std::uint64_t requiredBits, const std::string& what) const {
  if (m_p.capacityPolicy == SramCapacityPolicy::Error) {
    requireFits(requiredBits, what);
    return 0;
  }
  const std::uint64_t cap = capacityBits();
  return requiredBits > cap ? requiredBits - cap : 0;
}

void SramCore::requireFits(std::uint64_t requiredBits, const std::string& what) const {
  const std::uint64_t cap = capacityBits();
  if (requiredBits <= cap) return;
  throw MappingError(
      fmt::format("{} needs {} ({} bits) of activation buffer but chip.sram.capacity is {} ({} bits); raise "
                  "chip.sram.capacity or set chip.sram.capacity_policy: spill",
                  what, formatQuantity(static_cast<double>(requiredBits) / 8, Dimension::Bytes), requiredBits,
                  formatQuantity(static_cast<double>(cap) / 8, Dimension::Bytes), cap));
}

}  // namespace mxsim
