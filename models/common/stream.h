// Contract: event-driven timing at stream granularity. A Stream is `count` items, the first ready at
// `first`, then one every `interval`. A StreamStage that needs `perItem` per item turns an input stream
// into an output stream in closed form (exact for constant-rate input into an idle stage), so a shell
// schedules thousands of vectors with one wait() instead of one event per item or per clock.
#pragma once
#include <cstdint>

#include <systemc>

namespace mxsim {

struct Stream {
  sc_core::sc_time first = sc_core::SC_ZERO_TIME;
  std::uint64_t count = 0;
  sc_core::sc_time interval = sc_core::SC_ZERO_TIME;
  sc_core::sc_time last() const { return count ? first + interval * static_cast<double>(count - 1) : first; }
};

class StreamStage {
 public:
  Stream accept(const Stream& in, const sc_core::sc_time& perItem) {
    Stream out;
    out.count = in.count;
    if (!in.count) {
      out.first = in.first;
      return out;
    }
    const sc_core::sc_time start = in.first > m_busyUntil ? in.first : m_busyUntil;
    out.first = start + perItem;
    out.interval = in.interval > perItem ? in.interval : perItem;
    m_busyUntil = out.last();
    return out;
  }

 private:
  sc_core::sc_time m_busyUntil = sc_core::SC_ZERO_TIME;
};

/// Clock of a block: turns cycle counts into simulated time.
class Clock {
 public:
  explicit Clock(double hz) : m_period(1.0 / hz, sc_core::SC_SEC), m_hz(hz) {}
  sc_core::sc_time cycles(std::uint64_t n) const { return m_period * static_cast<double>(n); }
  double hz() const { return m_hz; }
  /// Whole cycles elapsed in t (rounded to nearest: sc_time has a finite resolution).
  std::uint64_t toCycles(const sc_core::sc_time& t) const {
    return static_cast<std::uint64_t>(t.to_seconds() * m_hz + 0.5);
  }

 private:
  sc_core::sc_time m_period;
  double m_hz;
};

}  // namespace mxsim
