// Contract: SystemC shell of the global SRAM: read()/write() wait for the transfer's cycles and count
// sram.read_bit / sram.write_bit. Transfers serialise on the ports (one transfer at a time).
#pragma once
#include <systemc>

#include "models/common/shell.h"
#include "models/memory/sram.h"

namespace mxsim {

class SramModule : public sc_core::sc_module {
 public:
  SramModule(const sc_core::sc_module_name& name, const SramCore& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  void read(std::uint64_t bits) { transfer(bits, action::kSramReadBit); }
  void write(std::uint64_t bits) { transfer(bits, action::kSramWriteBit); }
  sc_core::sc_time busyTime() const { return m_busy; }

 private:
  void transfer(std::uint64_t bits, const char* act) {
    m_ctx.ledger->add(act, bits);
    const sc_core::sc_time t = m_ctx.clock->cycles(m_core.transferCycles(bits));
    m_busy += t;
    if (t > sc_core::SC_ZERO_TIME) sc_core::wait(t);
  }
  const SramCore& m_core;
  ShellContext m_ctx;
  sc_core::sc_time m_busy = sc_core::SC_ZERO_TIME;
};

}  // namespace mxsim
