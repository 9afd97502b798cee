// Contract: progress of a long command on stderr, in the user's units: the current stage ("chip 1/2:
// evaluating") and the images it has done, plus the overall share of the run's image evaluations and an ETA.
// Thread-safe advance(). Whether it shows is decided once (ProgressMode): Auto shows it only when stderr is a
// terminal, so scripts and CI logs get clean stderr (errors only); On forces it (a line per stage and per
// 10 % when stderr is not a terminal). On a terminal nothing is drawn until the run has taken a second, then a
// background thread redraws the line ~10x/s even while one stage runs long without ticks (SystemC timing).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mxsim {

enum class ProgressMode { Auto, On, Off };

class Progress {
 public:
  /// `totalImages`: the image evaluations of the whole run (0: unknown, stages only, no percentage).
  Progress(std::string label, std::uint64_t totalImages, ProgressMode mode);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// A new stage: `text` says what runs ("chip 1/2: calibrating on 256 images"); `images` > 0 makes the line
  /// count this stage's images as advance() reports them ("1,536/3,000 images").
  void stage(std::string text, std::uint64_t images = 0);
  /// The run's image evaluations, once known (after the data is loaded).
  void setTotal(std::uint64_t totalImages);
  /// `n` more images done in the current stage (and in the run).
  void advance(std::uint64_t n);
  /// One line on stderr, printed even when progress is off (verbose logs), without garbling the bar.
  void note(const std::string& line);
  /// Removes the bar (terminal) or prints the closing line; idempotent, also run by the destructor.
  void finish();
  bool shown() const { return m_enabled; }

 private:
  std::string lineLocked(bool withBar) const;
  void drawLocked();
  void clearLocked();
  void redrawLoop();

  std::string m_label;
  std::uint64_t m_total, m_done = 0;
  std::string m_stage;
  std::uint64_t m_stageImages = 0, m_stageDone = 0;
  bool m_enabled, m_tty, m_finished = false, m_drawn = false, m_stop = false;
  int m_lastDecile = -1;
  std::chrono::steady_clock::time_point m_start;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::thread m_redraw;
};

/// --verbose's phase timings: mark(phase) charges the wall time since the previous mark to `phase` and, when
/// enabled, notes it ("mxsim: program 0.52 s (chip 1/2)"); summary() notes the total of each phase in the order
/// first marked. Disabled, it only keeps time.
class PhaseLog {
 public:
  PhaseLog(bool enabled, Progress& progress);
  void mark(const std::string& phase, const std::string& detail = {});
  void summary();

 private:
  bool m_enabled;
  Progress& m_progress;
  std::chrono::steady_clock::time_point m_start, m_last;
  std::vector<std::pair<std::string, double>> m_seconds;
};

/// "12345" -> "12,345": image counts in progress lines.
std::string groupThousands(std::uint64_t n);

}  // namespace mxsim
