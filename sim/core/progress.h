// Contract: a progress bar on stderr for long runs. Thread-safe advance(); redraws at most ~10×/s on a
// terminal, and prints a line per 10 % when stderr is not a terminal (CI logs). Silent when disabled.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace mxsim {

class Progress {
 public:
  Progress(std::string label, std::uint64_t total, bool enabled);
  ~Progress();
  void advance(std::uint64_t n);
  void finish();

 private:
  void draw(bool final);
  std::string m_label;
  std::uint64_t m_total, m_done = 0;
  bool m_enabled, m_tty, m_finished = false;
  int m_lastDecile = -1;
  std::chrono::steady_clock::time_point m_start, m_lastDraw;
  std::mutex m_mutex;
};

}  // namespace mxsim
