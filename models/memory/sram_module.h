// Contract: SystemC shell of the global SRAM. read()/write() move one requester's whole tensor
// (SramCore::transferCycles), access() a set of concurrent requests (SramCore::schedule, bank conflicts
// serialise), spill() bits to/from off-chip DRAM (spill_bandwidth). Each counts its bits
// (sram.read_bit / sram.write_bit / sram.spill_bit) and waits its cycles. Calls are one transfer at a
// time: a call made while another thread's transfer is in flight starts when that one ends.
#pragma once
#include <vector>

#include "models/common/shell.h"
#include "models/memory/sram.h"

namespace mxsim {

class SramModule : public Shell<SramCore> {
 public:
  using Shell::Shell;
  void read(std::uint64_t bits) {
    count(action::kSramReadBit, bits);
    exclusive(m_core.transferCycles(bits, SramAccess::Read));
  }
  void write(std::uint64_t bits) {
    count(action::kSramWriteBit, bits);
    exclusive(m_core.transferCycles(bits, SramAccess::Write));
  }
  /// Concurrent requests from several requesters, scheduled together; returns the schedule (cycles,
  /// bank conflicts). Counts the requested bits (not whole words) as read/write actions.
  SramSchedule access(const std::vector<SramRequest>& requests) {
    const SramSchedule s = m_core.schedule(requests);
    count(action::kSramReadBit, s.readBits);
    count(action::kSramWriteBit, s.writeBits);
    m_conflicts += s.conflicts;
    exclusive(s.cycles);
    return s;
  }
  /// Move `bits` between the buffer and off-chip DRAM (either direction; pass the traffic, e.g.
  /// SramCore::spillTrafficBits for a write-out plus read-back).
  void spill(std::uint64_t bits) {
    count(action::kSramSpillBit, bits);
    exclusive(m_core.spillCycles(bits));
  }
  /// Bank conflicts seen by access() so far.
  std::uint64_t conflicts() const { return m_conflicts; }

 private:
  std::uint64_t m_conflicts = 0;
};

}  // namespace mxsim
