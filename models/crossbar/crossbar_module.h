// Contract: SystemC shell of the crossbar array: integrate-and-sample stage of the array pipeline;
// counts crossbar.cell_read per device taking part in each phase of each MVM.
#pragma once
#include <systemc>

#include "models/common/shell.h"
#include "models/crossbar/crossbar.h"

namespace mxsim {

class CrossbarModule : public sc_core::sc_module {
 public:
  CrossbarModule(const sc_core::sc_module_name& name, const CrossbarCore& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  Stream process(const Stream& in, int rows, int cols, int phases) {
    m_ctx.ledger->add(action::kXbarCellRead, in.count * static_cast<std::uint64_t>(phases) * rows * cols *
                                                 CrossbarCore::kDevicesPerWeight);
    return m_stage.accept(in, m_ctx.clock->cycles(m_core.cyclesPerVector(phases)));
  }
  sc_core::sc_time busyTime() const { return m_stage.busyTime(); }

 private:
  const CrossbarCore& m_core;
  ShellContext m_ctx;
  StreamStage m_stage;
};

}  // namespace mxsim
