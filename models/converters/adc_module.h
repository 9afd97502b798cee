// Contract: SystemC shell of one array's shared ADCs: a pipeline stage taking ceil(cols/perArray)
// conversions per phase per vector; counts one adc.convert per column per phase.
#pragma once
#include <systemc>

#include "models/common/shell.h"
#include "models/converters/adc.h"

namespace mxsim {

class AdcModule : public sc_core::sc_module {
 public:
  AdcModule(const sc_core::sc_module_name& name, const AdcCore& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  Stream process(const Stream& in, int cols, int phases) {
    m_ctx.ledger->add(action::kAdcConvert, in.count * static_cast<std::uint64_t>(phases) * cols);
    return m_stage.accept(in, m_ctx.clock->cycles(m_core.cyclesPerVector(cols) * phases));
  }
  sc_core::sc_time busyTime() const { return m_stage.busyTime(); }

 private:
  const AdcCore& m_core;
  ShellContext m_ctx;
  StreamStage m_stage;
};

}  // namespace mxsim
