#include "sim/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace mxsim {

Progress::Progress(std::string label, std::uint64_t total, bool enabled)
    : m_label(std::move(label)),
      m_total(total),
      m_enabled(enabled && total > 0),
      m_tty(isatty(STDERR_FILENO) != 0),
      m_start(std::chrono::steady_clock::now()),
      m_lastDraw(m_start) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t n) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_done += n;
  draw(false);
}

void Progress::finish() {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_finished) return;
  m_finished = true;
  draw(true);
}

void Progress::draw(bool final) {
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - m_start).count();
  const double frac = m_total ? static_cast<double>(m_done) / static_cast<double>(m_total) : 1.0;
  if (m_tty) {
    if (!final && now - m_lastDraw < std::chrono::milliseconds(100)) return;
    m_lastDraw = now;
    const int width = 30, filled = static_cast<int>(frac * width);
    const double eta = frac > 0 ? secs / frac - secs : 0.0;
    std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %llu/%llu %.1fs eta %.1fs%s", m_label.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), frac * 100.0,
                 static_cast<unsigned long long>(m_done), static_cast<unsigned long long>(m_total), secs, eta,
                 final ? "\n" : "");
  } else {
    const int decile = static_cast<int>(frac * 10.0);
    if (decile == m_lastDecile && !final) return;
    if (final && decile == m_lastDecile) return;
    m_lastDecile = decile;
    std::fprintf(stderr, "%s: %3d%% (%llu/%llu) %.1fs\n", m_label.c_str(), decile * 10,
                 static_cast<unsigned long long>(m_done), static_cast<unsigned long long>(m_total), secs);
  }
  std::fflush(stderr);
}

}  // namespace mxsim
