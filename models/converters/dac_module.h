// Contract: SystemC shell of the input DACs of one array: one stage of the array pipeline; counts one
// dac.convert per driven row per phase.
#pragma once
#include <systemc>

#include "models/common/shell.h"
#include "models/converters/dac.h"

namespace mxsim {

class DacModule : public sc_core::sc_module {
 public:
  DacModule(const sc_core::sc_module_name& name, const DacCore& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  Stream process(const Stream& in, int rows, int phases) {
    m_ctx.ledger->add(action::kDacConvert, in.count * static_cast<std::uint64_t>(phases) * rows);
    return m_stage.accept(in, m_ctx.clock->cycles(m_core.cyclesPerVector(phases)));
  }
  sc_core::sc_time busyTime() const { return m_stage.busyTime(); }

 private:
  const DacCore& m_core;
  ShellContext m_ctx;
  StreamStage m_stage;
};

}  // namespace mxsim
