// Contract: a log of when each hardware block was busy, for waveforms (VCD, viewable in GTKWave) and
// utilisation reports. Blocks register one signal each under a dotted hierarchical path
// ("chip.tile0.array3.adc") and report busy intervals in simulated time; overlapping or touching intervals
// of a signal merge. Recording is off unless enabled, so the hot path pays one branch.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mxsim {

class ActivityLog {
 public:
  /// Time unit of the log and of the VCD ($timescale): 1 ps.
  static constexpr double kSecondsPerTick = 1e-12;

  void enable(bool on) { m_enabled = on; }
  bool enabled() const { return m_enabled; }

  /// Id of the signal at `path` (registered on first use). `kind` groups signals in reports
  /// (array, adc, dac, buffer, link, digital, denoiser_core, grng, ...).
  int signal(const std::string& path, const std::string& kind);
  /// The block at `id` was busy during [startSeconds, endSeconds).
  void busy(int id, double startSeconds, double endSeconds);

  struct Signal {
    std::string path, kind;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals;  // ticks, merged and sorted by busyTicks()
  };
  const std::vector<Signal>& signals() const { return m_signals; }
  /// Total busy time of a signal after merging overlaps [s].
  double busySeconds(int id) const;

  /// Writes a VCD: one scope per path level, one 1-bit wire per signal (1 = busy), all 0 at time 0.
  /// `endSeconds` closes the trace (every signal 0 from then on).
  void writeVcd(std::ostream& out, double endSeconds) const;

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged(int id) const;

  bool m_enabled = false;
  std::vector<Signal> m_signals;
  std::unordered_map<std::string, int> m_ids;
};

}  // namespace mxsim
