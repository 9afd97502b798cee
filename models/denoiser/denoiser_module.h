// Contract: SystemC shell of the denoiser engine, a blocking resource on its own clock. runBlock(shape, images)
// waits until the engine is free (calls from several threads are served one block run at a time, in call
// order), counts the block's actions (DenoiserCore::work × images) in the ledger and occupies the engine for
// images × DenoiserCore::timing(shape).blockCycles engine cycles; images run back to back, not overlapped.
// The data overload computes y with the functional core first. Busy intervals, for waveforms: one per core
// per row phase of DenoiserCore::schedule() and one per GRNG unit per image (see BusyInterval).
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "models/common/shell.h"
#include "models/denoiser/denoiser.h"

namespace mxsim {

class DenoiserModule : public Shell<DenoiserCore> {
 public:
  enum class Unit { Core, Grng };
  /// [start, end) in simulated time during which unit `index` (core 0…P−1 or GRNG 0…G−1) was busy. A core's
  /// interval for a row phase starts at the phase's start and lasts its issue cycles in that phase (its
  /// output channels × cycles per channel): the total per core is exact; idle slots inside a phase (a core
  /// without a channel in the last round of a pixel) are gathered at the phase's end. Pipeline drain and the
  /// subtract unit are not shown. A GRNG unit is busy from the image's start for its own samples' cycles.
  struct BusyInterval {
    Unit unit;
    int index;
    sc_core::sc_time start, end;
  };
  using BusyCallback = std::function<void(const BusyInterval&)>;

  /// `ctx.clock` null (recommended): the engine runs on its own clock, params().clockHz.
  DenoiserModule(const sc_core::sc_module_name& name, const DenoiserCore& core, ShellContext ctx)
      : Shell(name, core, ctx), m_ownClock(core.params().clockHz) {
    if (!m_ctx.clock) m_ctx.clock = &m_ownClock;
  }

  /// Timing and actions of `images` back-to-back runs of one block. Throws MappingError (before counting or
  /// waiting) if the block does not fit the line buffer. Returns the per-image timing.
  /// `countActions` false: time only (a caller that counts one representative image of many).
  DenoiserTiming runBlock(const DenoiserBlockShape& s, std::uint64_t images = 1, bool countActions = true) {
    m_core.requireLineBuffer(s);
    const DenoiserTiming t = m_core.timing(s);
    const DenoiserWork w = m_core.work(s);
    const std::uint64_t counted = countActions ? images : 0;
    count(action::kDenoiserMac, w.macs * counted);
    count(action::kDenoiserWeightReadBit, w.weightReadBits * counted);
    count(action::kDenoiserLineBufferBit, w.lineBufferBits() * counted);
    count(action::kDenoiserSubtract, w.subtracts * counted);
    count(action::kDenoiserExp, w.exps * counted);
    count(action::kGrngSample, w.grngSamples * counted);

    const std::uint64_t cycles = t.blockCycles * images;
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const sc_core::sc_time start = m_freeAt > now ? m_freeAt : now;
    m_freeAt = start + engineClock().cycles(cycles);
    if (start > now) sc_core::wait(start - now);
    if (m_record || m_onBusy) {
      for (std::uint64_t i = 0; i < images; ++i) recordImage(s, start + engineClock().cycles(i * t.blockCycles));
    }
    occupy(cycles);
    m_blocks += images;
    return t;
  }

  /// y = block(x) for the batch x (DenoiserCore::run), then runBlock(s, x.rows()).
  DenoiserTiming runBlock(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w,
                          const RowMatrix* eps, RowMatrix& y) {
    m_core.run(s, x, w, eps, y);
    return runBlock(s, static_cast<std::uint64_t>(x.rows()));
  }

  /// Keep busy intervals in busyIntervals() (off by default).
  void recordBusy(bool on) { m_record = on; }
  /// Called with every busy interval as it is scheduled (e.g. to forward to an activity log).
  void onBusy(BusyCallback cb) { m_onBusy = std::move(cb); }
  const std::vector<BusyInterval>& busyIntervals() const { return m_intervals; }
  /// Block runs (images) completed or in flight.
  std::uint64_t blocksRun() const { return m_blocks; }
  const Clock& engineClock() const { return *m_ctx.clock; }

 private:
  void emit(Unit unit, int index, const sc_core::sc_time& start, std::uint64_t cycles) {
    if (!cycles) return;
    const BusyInterval b{unit, index, start, start + engineClock().cycles(cycles)};
    if (m_record) m_intervals.push_back(b);
    if (m_onBusy) m_onBusy(b);
  }

  void recordImage(const DenoiserBlockShape& s, const sc_core::sc_time& start) {
    const int cores = m_core.params().cores;
    for (const DenoiserPhase& ph : m_core.schedule(s)) {
      const sc_core::sc_time phaseStart = start + engineClock().cycles(ph.startCycle);
      for (int c = 0; c < cores; ++c) emit(Unit::Core, c, phaseStart, ph.coreBusyCycles(c, cores));
    }
    if (s.mode != DenoiserMode::Sample) return;
    for (int g = 0; g < m_core.params().grngUnits; ++g) {
      emit(Unit::Grng, g, start, m_core.grngUnitCycles(m_core.grngUnitSamples(s.elements(), g)));
    }
  }

  Clock m_ownClock;
  sc_core::sc_time m_freeAt = sc_core::SC_ZERO_TIME;
  bool m_record = false;
  BusyCallback m_onBusy;
  std::vector<BusyInterval> m_intervals;
  std::uint64_t m_blocks = 0;
};

}  // namespace mxsim
