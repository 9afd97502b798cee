// Contract: what every SystemC shell shares: its clock, the chip's action ledger, and its busy time.
// Shells never compute data; they ask their functional core how long an action takes, count it, and
// advance time. Two kinds: a pipeline stage (turns an input Stream into an output Stream without waiting;
// the array waits once for its last stage) and a blocking resource (waits for the whole transfer).
#pragma once
#include <cstdint>

#include <systemc>

#include "models/common/stream.h"
#include "sim/core/actions.h"

namespace mxsim {

struct ShellContext {
  const Clock* clock = nullptr;
  ActionLedger* ledger = nullptr;
};

template <class Core>
class Shell : public sc_core::sc_module {
 public:
  Shell(const sc_core::sc_module_name& name, const Core& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  sc_core::sc_time busyTime() const { return m_busy; }

 protected:
  /// Pipeline stage: `actionsPerItem` of `act` and `cyclesPerItem` per stream item.
  Stream pass(const Stream& in, const char* act, std::uint64_t actionsPerItem, std::uint64_t cyclesPerItem) {
    m_ctx.ledger->add(act, in.count * actionsPerItem);
    const sc_core::sc_time perItem = m_ctx.clock->cycles(cyclesPerItem);
    m_busy += perItem * static_cast<double>(in.count);
    return m_stage.accept(in, perItem);
  }
  /// Blocking resource: occupy the block for `cycles` (the calling thread waits).
  void occupy(std::uint64_t cycles) {
    const sc_core::sc_time t = m_ctx.clock->cycles(cycles);
    m_busy += t;
    if (t > sc_core::SC_ZERO_TIME) sc_core::wait(t);
  }
  void count(const char* act, std::uint64_t n) { m_ctx.ledger->add(act, n); }

  const Core& m_core;
  ShellContext m_ctx;

 private:
  StreamStage m_stage;
  sc_core::sc_time m_busy = sc_core::SC_ZERO_TIME;
};

}  // namespace mxsim
