// Contract: what every SystemC shell shares: its clock, the chip's action ledger, and its busy time.
// Shells never compute data; they ask their functional core how long an action takes, count it, and
// advance time. Two kinds: a pipeline stage (turns an input Stream into an output Stream without waiting;
// the array waits once for its last stage) and a blocking resource (waits for the whole transfer).
#pragma once
#include <cstdint>
#include <string>

#include <systemc>

#include "models/common/stats.h"
#include "models/common/stream.h"
#include "sim/core/actions.h"
#include "sim/core/activity.h"

namespace mxsim {

struct ShellContext {
  const Clock* clock = nullptr;
  ActionLedger* ledger = nullptr;
};

template <class Core>
class Shell : public sc_core::sc_module, public StatsSource {
 public:
  Shell(const sc_core::sc_module_name& name, const Core& core, ShellContext ctx)
      : sc_module(name), m_core(core), m_ctx(ctx) {}
  /// Stats tree: busy and stall time, in cycles of the block's clock (seconds for a block without one);
  /// nothing when the block was never used.
  void reportStats(StatsTree& tree, const std::string& path) const override {
    if (m_busy == sc_core::SC_ZERO_TIME && m_stall == sc_core::SC_ZERO_TIME) return;
    if (m_ctx.clock) {
      tree.set(path, "busy_cycles", static_cast<double>(m_ctx.clock->toCycles(m_busy)));
      tree.set(path, "stall_cycles", static_cast<double>(m_ctx.clock->toCycles(m_stall)));
    } else {
      tree.set(path, "busy_s", m_busy.to_seconds());
      tree.set(path, "stall_s", m_stall.to_seconds());
    }
  }
  sc_core::sc_time busyTime() const { return m_busy; }
  /// Time requests waited for this block while it served others (contention).
  sc_core::sc_time stallTime() const { return m_stall; }
  /// Report busy intervals to `log` as the signal `path` (VCD, utilisation).
  void trace(ActivityLog* log, const std::string& path, const std::string& kind) {
    m_log = log;
    m_signal = log ? log->signal(path, kind) : -1;
  }

 protected:
  /// Pipeline stage: `actionsPerItem` of `act` and `cyclesPerItem` per stream item.
  Stream pass(const Stream& in, const char* act, std::uint64_t actionsPerItem, std::uint64_t cyclesPerItem) {
    m_ctx.ledger->add(act, in.count * actionsPerItem);
    const sc_core::sc_time perItem = m_ctx.clock->cycles(cyclesPerItem);
    m_busy += perItem * static_cast<double>(in.count);
    const Stream out = m_stage.accept(in, perItem);
    if (m_log && in.count) m_log->busy(m_signal, (out.first - perItem).to_seconds(), out.last().to_seconds());
    return out;
  }
  /// Blocking resource: occupy the block for `cycles` (the calling thread waits).
  void occupy(std::uint64_t cycles) {
    const sc_core::sc_time t = m_ctx.clock->cycles(cycles);
    m_busy += t;
    if (m_log) {
      const double now = sc_core::sc_time_stamp().to_seconds();
      m_log->busy(m_signal, now, now + t.to_seconds());
    }
    if (t > sc_core::SC_ZERO_TIME) sc_core::wait(t);
  }
  /// Shared resource: one request at a time. Reserve [start, start + cycles) with start = max(now, end of
  /// the previous reservation), wait for the start (a stall), then occupy the block.
  void exclusive(std::uint64_t cycles) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const sc_core::sc_time start = m_freeAt > now ? m_freeAt : now;
    m_freeAt = start + m_ctx.clock->cycles(cycles);
    if (start > now) {
      stalled(start - now);
      sc_core::wait(start - now);
    }
    occupy(cycles);
  }
  /// A request waited `t` for this block (counted as stall).
  void stalled(const sc_core::sc_time& t) { m_stall += t; }
  void count(const char* act, std::uint64_t n) { m_ctx.ledger->add(act, n); }

  const Core& m_core;
  ShellContext m_ctx;

 private:
  StreamStage m_stage;
  sc_core::sc_time m_busy = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_stall = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_freeAt = sc_core::SC_ZERO_TIME;
  ActivityLog* m_log = nullptr;
  int m_signal = -1;
};

}  // namespace mxsim
