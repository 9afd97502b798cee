// Contract: SystemC shell of the digital unit: run() waits ceil(ops / lanes) cycles and counts the ops.
#pragma once
#include <systemc>

#include "models/common/shell.h"
#include "models/digital/digital.h"

namespace mxsim {

class DigitalModule : public sc_core::sc_module {
 public:
  DigitalModule(const sc_core::sc_module_name& name, const DigitalCore& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  /// `adds`: accumulations/residual adds (digital.add); `ops`: activations, compares, scalings (digital.op).
  void run(std::uint64_t adds, std::uint64_t ops) {
    m_ctx.ledger->add(action::kDigitalAdd, adds);
    m_ctx.ledger->add(action::kDigitalOp, ops);
    const sc_core::sc_time t = m_ctx.clock->cycles(m_core.cycles(adds + ops));
    m_busy += t;
    if (t > sc_core::SC_ZERO_TIME) sc_core::wait(t);
  }
  sc_core::sc_time busyTime() const { return m_busy; }

 private:
  const DigitalCore& m_core;
  ShellContext m_ctx;
  sc_core::sc_time m_busy = sc_core::SC_ZERO_TIME;
};

}  // namespace mxsim
