// Contract: on-chip SRAM (global activation buffer) core, no SystemC. Banks, read/write ports, word width
// and access latency set how many cycles a transfer takes: transferCycles() for one requester moving a
// whole tensor (closed form), schedule() for several concurrent requesters (cycle-level loop over words,
// bank conflicts serialise). Capacity is either a hard limit (MappingError) or spills the excess to
// off-chip DRAM. Equations and parameters: docs/memory.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/memory/memory_cost.h"
#include "sim/core/config.h"

namespace mxsim {

namespace action {
/// One bit moved between the global buffer and off-chip DRAM (either direction). Declared here, not in
/// sim/core/actions.h: only the SRAM counts it. Priced by chip.sram.spill_energy_per_bit (see docs/memory.md).
inline constexpr const char* kSramSpillBit = "sram.spill_bit";
}  // namespace action

enum class SramAccess { Read, Write };

/// What happens when a layer's working set exceeds the capacity.
enum class SramCapacityPolicy {
  Error,  // MappingError naming chip.sram.capacity
  Spill,  // the excess lives in off-chip DRAM (sram.spill_bit, spill_bandwidth)
};

struct SramParams {
  double capacityBytes = 2.0 * 1024 * 1024;
  int wordBits = 256;      // bits per access per port
  int banks = 1;           // independent banks (power of two); words are striped across them
  int ports = 2;           // default of readPorts and writePorts
  int readPorts = 0;       // read ports per bank (0: same as `ports`)
  int writePorts = 0;      // write ports per bank (0: same as `ports`)
  int accessCycles = 1;    // cycles per access (pipelined: one new access per port per cycle)
  int activationBits = 8;  // stored width of one activation value
  SramCapacityPolicy capacityPolicy = SramCapacityPolicy::Error;
  double spillEnergyPerBit = 20e-12;  // J per bit moved to/from DRAM
  int spillBandwidth = 128;           // bits per chip cycle to/from DRAM
  MemoryTechnology technology = MemoryTechnology::Sram;  // prices access energy and static power (docs/memory.md)

  int readPortCount() const { return readPorts > 0 ? readPorts : ports; }
  int writePortCount() const { return writePorts > 0 ? writePorts : ports; }
  int portCount(SramAccess kind) const { return kind == SramAccess::Read ? readPortCount() : writePortCount(); }

  /// Throws ConfigError naming the key under `path` (e.g. chip.sram.banks) if a value breaks the model.
  void validate(const std::string& path = "chip.sram") const;
  static SramParams fromConfig(ConfigReader& r);
};

/// One requester's contiguous access: `bits` starting at byte address `addressBytes`.
struct SramRequest {
  std::uint64_t addressBytes = 0;
  std::uint64_t bits = 0;
  bool isWrite = false;
};

/// Outcome of schedule(): cycles until the last word completes, and how often a requester was held back
/// because its next word's bank had no free port of the needed kind (one count per requester per cycle).
struct SramSchedule {
  std::uint64_t cycles = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t words = 0;  // word accesses performed (a partially used word counts as one)
  std::uint64_t readBits = 0;
  std::uint64_t writeBits = 0;
};

class SramCore {
 public:
  using Request = SramRequest;

  explicit SramCore(const SramParams& p);

  /// Cycles for one requester to move `bits` through the ports of `kind`: ceil(bits / (wordBits·ports))
  /// pipelined accesses plus the access latency once. Independent of banks: a requester issues at most
  /// `ports` consecutive words per cycle, which fall in distinct banks or share one bank's `ports` ports,
  /// so a lone stream never conflicts with itself.
  std::uint64_t transferCycles(std::uint64_t bits, SramAccess kind) const {
    if (!bits) return 0;
    const std::uint64_t perCycle = static_cast<std::uint64_t>(m_p.wordBits) * m_p.portCount(kind);
    return (bits + perCycle - 1) / perCycle + static_cast<std::uint64_t>(m_p.accessCycles) - 1;
  }
  /// Read transfer (the original single-argument form).
  std::uint64_t transferCycles(std::uint64_t bits) const { return transferCycles(bits, SramAccess::Read); }

  /// Bank holding the word that contains byte address `addressBytes`: word index mod banks.
  std::uint64_t bankOf(std::uint64_t addressBytes) const { return wordIndex(addressBytes * 8) & (m_banks - 1); }
  /// Words a request touches (a word only partly covered still costs a whole access).
  std::uint64_t wordsOf(const SramRequest& r) const;

  /// Cycle-level schedule of concurrent requests (all issued at cycle 1). Each cycle, requesters in index
  /// order (lower index wins) issue their next words in address order, up to `ports` of their kind each;
  /// a bank accepts at most readPorts reads and writePorts writes per cycle. A requester whose next word
  /// finds its bank full stops for the cycle (in order; counted as one conflict). Done = last issue cycle
  /// + accessCycles − 1. Pure; O(words + cycles · requesters).
  SramSchedule schedule(const std::vector<SramRequest>& requests) const;
  std::uint64_t scheduleCycles(const std::vector<SramRequest>& requests) const { return schedule(requests).cycles; }

  std::uint64_t capacityBits() const { return static_cast<std::uint64_t>(m_p.capacityBytes) * 8; }
  /// Bits beyond the capacity. Spill policy: max(0, required − capacity). Error policy: 0 if it fits,
  /// else throws like requireFits().
  std::uint64_t spillBits(std::uint64_t requiredBits, const std::string& what = "the working set") const;
  /// Off-chip traffic for a spill of spillBits(required): each spilled bit is written out and read back.
  std::uint64_t spillTrafficBits(std::uint64_t requiredBits, const std::string& what = "the working set") const {
    return 2 * spillBits(requiredBits, what);
  }
  /// Throws MappingError ("<what> needs X (N bits) but chip.sram.capacity is Y (M bits) ...") if
  /// requiredBits > capacityBits(), whatever the policy.
  void requireFits(std::uint64_t requiredBits, const std::string& what = "the working set") const;
  /// Cycles to move `bits` to or from DRAM: ceil(bits / spill_bandwidth).
  std::uint64_t spillCycles(std::uint64_t bits) const {
    const auto bw = static_cast<std::uint64_t>(m_p.spillBandwidth);
    return (bits + bw - 1) / bw;
  }
  /// Energy of `bits` of spill traffic (for reports that do not price sram.spill_bit from the energy table).
  double spillJoules(std::uint64_t bits) const { return m_p.spillEnergyPerBit * static_cast<double>(bits); }

  const SramParams& params() const { return m_p; }

 private:
  std::uint64_t wordIndex(std::uint64_t bitAddress) const {
    return bitAddress / static_cast<std::uint64_t>(m_p.wordBits);
  }

  SramParams m_p;
  std::uint64_t m_banks;
};

}  // namespace mxsim
