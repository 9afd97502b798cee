// Contract: on-chip SRAM (global activation buffer) core: capacity, word width and ports set how many
// cycles a transfer of B bits takes; every bit read or written is an energy action.
#pragma once
#include <cstdint>

#include "sim/core/config.h"

namespace mxsim {

struct SramParams {
  double capacityBytes = 2.0 * 1024 * 1024;
  int wordBits = 256;      // bits per access per port
  int ports = 2;           // accesses per cycle
  int accessCycles = 1;    // cycles per access (pipelined: one new access per port per cycle)
  int activationBits = 8;  // stored width of one activation value

  static SramParams fromConfig(ConfigReader& r);
};

class SramCore {
 public:
  explicit SramCore(const SramParams& p) : m_p(p) {}
  /// Cycles to move `bits` through the ports: ceil(bits / (wordBits·ports)) accesses per port, pipelined,
  /// plus the access latency once.
  std::uint64_t transferCycles(std::uint64_t bits) const {
    if (!bits) return 0;
    const std::uint64_t perCycle = static_cast<std::uint64_t>(m_p.wordBits) * m_p.ports;
    return (bits + perCycle - 1) / perCycle + static_cast<std::uint64_t>(m_p.accessCycles) - 1;
  }
  std::uint64_t capacityBits() const { return static_cast<std::uint64_t>(m_p.capacityBytes) * 8; }
  const SramParams& params() const { return m_p; }

 private:
  SramParams m_p;
};

}  // namespace mxsim
