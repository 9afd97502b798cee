// Contract: SystemC shell of the interconnect. transfer()/multicast() are called from the caller's
// SC_THREAD and return when the data is delivered; post()/postMulticast() offer a transfer and return at
// once (collect it with waitFor()). Contention is NocScheduler's (per-link next-free cycle, first come first
// served, ties in call order); one internal thread wakes only at the cycles where a head reaches a link or a
// transfer completes, never per clock. Counts noc.bit_hop when a transfer is offered; keeps busy cycles per
// link and, on request, every link's busy intervals (utilisation, one busy/idle VCD signal per link).
// Shell::busyTime() is not used (stays 0): a network has no single busy time; use linkBusyCycles().
#pragma once
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "models/common/shell.h"
#include "models/noc/noc.h"

namespace mxsim {

class NocModule : public Shell<NocCore> {
 public:
  SC_HAS_PROCESS(NocModule);

  /// Called once per link occupation when it is granted (the interval may lie in the future). Per link,
  /// intervals arrive in time order and do not overlap (they may touch: end == next start).
  using IntervalObserver = std::function<void(const NocInterval&)>;

  NocModule(const sc_core::sc_module_name& name, const NocCore& core, ShellContext ctx)
      : Shell(name, core, ctx), m_sched(core) {
    m_sched.setGrantObserver([this](const NocInterval& iv) {
      if (m_record) m_intervals[static_cast<std::size_t>(iv.link)].push_back(iv);
      if (m_observer) m_observer(iv);
    });
    SC_THREAD(engine);
  }

  /// Move `bits` from node src to node dst (NocCore::kGlobalBufferNode, NocCore::tileNode(t)); returns when
  /// the last flit has arrived, with the record of the transfer (link occupations, delivery cycle).
  NocDelivery transfer(int src, int dst, std::uint64_t bits) { return waitFor(post(src, dst, bits)); }
  /// One transfer of `bits` from src to every node in dsts (chip.noc.multicast: tree or repeated unicasts);
  /// returns when every destination has the data.
  NocDelivery multicast(int src, const std::vector<int>& dsts, std::uint64_t bits) {
    return waitFor(postMulticast(src, dsts, bits));
  }

  /// Non-blocking forms: offer the transfer at the current cycle (the next cycle boundary if between two)
  /// and count its noc.bit_hop actions now. Every id must be collected once with waitFor().
  NocTransferId post(int src, int dst, std::uint64_t bits) {
    return offered(m_sched.offer(src, dst, bits, nowCycle()));
  }
  NocTransferId postMulticast(int src, const std::vector<int>& dsts, std::uint64_t bits) {
    return offered(m_sched.offerMulticast(src, dsts, bits, nowCycle()));
  }
  /// Wait until transfer `id` is delivered (at once if it already is) and return its record.
  NocDelivery waitFor(NocTransferId id) {
    while (!m_sched.delivered(id)) sc_core::wait(m_delivered);
    return m_sched.collect(id);
  }
  /// Simulated time of the start of chip cycle c.
  sc_core::sc_time timeOf(std::uint64_t cycle) const { return m_ctx.clock->cycles(cycle); }

  // --- statistics -------------------------------------------------------------------------------------
  const NocCore& core() const { return m_core; }
  /// Cycles link `link` has been granted for, including occupations that end in the future.
  std::uint64_t linkBusyCycles(int link) const { return m_sched.busyCycles(link); }
  sc_core::sc_time linkBusyTime(int link) const { return m_ctx.clock->cycles(linkBusyCycles(link)); }
  /// Busy share of the link over `elapsed` (e.g. the run's duration).
  double linkUtilisation(int link, const sc_core::sc_time& elapsed) const {
    return elapsed > sc_core::SC_ZERO_TIME ? linkBusyTime(link) / elapsed : 0.0;
  }
  /// noc.bit_hop actions counted by this module, and transfers (unicasts and multicasts) offered.
  std::uint64_t bitHops() const { return m_bitHops; }
  std::uint64_t transfers() const { return m_transfers; }
  /// Stats tree: transfers, bit-hops, and every link that carried data (`link.<from>-><to>.busy_cycles`).
  void reportStats(StatsTree& tree, const std::string& path) const override {
    if (!m_transfers) return;
    tree.set(path, "transfers", static_cast<double>(m_transfers));
    tree.set(path, "bit_hops", static_cast<double>(m_bitHops));
    reportLinks(tree, path, m_core.linkCount(), [&](int l) { return m_core.linkName(l); },
                [&](int l) { return linkBusyCycles(l); });
  }

  // --- busy intervals (VCD) ------------------------------------------------------------------------------
  /// Keep every link occupation granted from now on (off by default: memory grows with the traffic).
  void recordIntervals(bool on) {
    m_record = on;
    if (on && m_intervals.empty()) m_intervals.resize(static_cast<std::size_t>(m_core.linkCount()));
  }
  /// Recorded occupations of one link, in time order, non-overlapping (empty if not recording).
  const std::vector<NocInterval>& intervals(int link) const {
    static const std::vector<NocInterval> kNone;
    return m_intervals.empty() ? kNone : m_intervals.at(static_cast<std::size_t>(link));
  }
  void setIntervalObserver(IntervalObserver f) { m_observer = std::move(f); }

 private:
  /// First cycle boundary at or after the current time. Divides by the period as sc_time holds it (not by
  /// the nominal frequency), so that timeOf(nowCycle()) == now on a boundary even when the period is rounded
  /// to the time resolution (1.2 GHz: 833 ps).
  std::uint64_t nowCycle() const {
    const sc_core::sc_time& now = sc_core::sc_time_stamp();
    auto c = static_cast<std::uint64_t>(std::llround(now / m_ctx.clock->cycles(1)));
    if (timeOf(c) < now) ++c;
    return c;
  }
  NocTransferId offered(NocTransferId id) {
    ++m_transfers;
    const std::uint64_t n = m_sched.delivery(id).bitHops;
    m_bitHops += n;
    count(action::kNocBitHop, n);
    wakeAt(m_sched.nextEventCycle());
    return id;
  }
  /// The engine runs at `cycle` (an earlier pending wake-up wins; a later one is replaced).
  void wakeAt(std::uint64_t cycle) {
    if (cycle == NocScheduler::kNever) return;
    const sc_core::sc_time at = timeOf(cycle);
    const sc_core::sc_time& now = sc_core::sc_time_stamp();
    m_wake.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
  }
  /// Grants requests and completes deliveries at the cycles they fall due; wakes the waiters.
  void engine() {
    for (;;) {
      sc_core::wait(m_wake);
      if (m_sched.advanceTo(nowCycle())) m_delivered.notify(sc_core::SC_ZERO_TIME);
      wakeAt(m_sched.nextEventCycle());
    }
  }

  NocScheduler m_sched;
  sc_core::sc_event m_wake;
  sc_core::sc_event m_delivered;
  std::uint64_t m_bitHops = 0;
  std::uint64_t m_transfers = 0;
  bool m_record = false;
  std::vector<std::vector<NocInterval>> m_intervals;
  IntervalObserver m_observer;
};

}  // namespace mxsim
