#include "sim/core/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace mxsim {

namespace {

// Nothing is drawn on a terminal before this: a run that ends sooner leaves no trace on the screen.
constexpr auto kFirstDraw = std::chrono::seconds(1);
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

/// write(2), not stdio: the run forks a child for the denoiser-overhead timing while this thread may be
/// drawing, and a child must not inherit a held FILE lock.
void writeAll(const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // progress is best effort
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::size_t terminalColumns() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

std::string groupThousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Progress::Progress(std::string label, std::uint64_t totalImages, ProgressMode mode)
    : m_label(std::move(label)),
      m_total(totalImages),
      m_tty(isatty(STDERR_FILENO) != 0),
      m_start(std::chrono::steady_clock::now()) {
  m_enabled = mode == ProgressMode::On || (mode == ProgressMode::Auto && m_tty);
  if (m_enabled && m_tty) m_redraw = std::thread([this] { redrawLoop(); });
}

Progress::~Progress() {
  finish();
}

void Progress::stage(std::string text, std::uint64_t images) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_stage = std::move(text);
  m_stageImages = images;
  m_stageDone = 0;
  if (!m_enabled || m_finished || m_tty) return;  // the terminal line is redrawn by the thread
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  writeAll(fmt::format("{}: {}{} ({:.1f} s)\n", m_label, m_stage,
                       m_stageImages ? fmt::format(", {} images", groupThousands(m_stageImages)) : std::string(),
                       secs));
}

void Progress::setTotal(std::uint64_t totalImages) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_total = totalImages;
}

void Progress::advance(std::uint64_t n) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_done += n;
  m_stageDone += n;
  if (m_tty || m_finished || m_total == 0) return;
  const int decile = static_cast<int>(10.0 * static_cast<double>(m_done) / static_cast<double>(m_total));
  if (decile == m_lastDecile) return;
  m_lastDecile = decile;
  writeAll(lineLocked(false) + "\n");
}

void Progress::note(const std::string& line) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_drawn) clearLocked();
  writeAll(line + "\n");
}

void Progress::finish() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_finished) return;
    m_finished = true;
    m_stop = true;
    if (m_drawn) clearLocked();
  }
  m_wake.notify_all();
  if (m_redraw.joinable()) m_redraw.join();
}

std::string Progress::lineLocked(bool withBar) const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  std::string line = m_label;
  if (m_total > 0) {
    const double frac = std::min(1.0, static_cast<double>(m_done) / static_cast<double>(m_total));
    if (withBar) {
      const int width = 12, filled = static_cast<int>(frac * width);
      line += fmt::format(" [{}{}]", std::string(static_cast<std::size_t>(filled), '#'),
                          std::string(static_cast<std::size_t>(width - filled), '.'));
    } else {
      line += ":";
    }
    line += fmt::format(" {:3.0f}%", 100.0 * frac);
  } else {
    line += ":";
  }
  if (!m_stage.empty()) line += " " + m_stage;
  if (m_stageImages > 0)
    line += fmt::format(": {}/{} images", groupThousands(std::min(m_stageDone, m_stageImages)),
                        groupThousands(m_stageImages));
  line += fmt::format("  {:.1f} s", secs);
  if (m_total > 0 && m_done > 0 && m_done < m_total) {
    const double frac = static_cast<double>(m_done) / static_cast<double>(m_total);
    line += fmt::format(", eta {:.0f} s", secs / frac - secs);
  }
  return line;
}

void Progress::drawLocked() {
  std::string line = lineLocked(true);
  const std::size_t cols = terminalColumns();
  if (line.size() >= cols) line.resize(cols - 1);  // a wrapped line cannot be redrawn in place
  writeAll("\r\033[K" + line);
  m_drawn = true;
}

void Progress::clearLocked() {
  writeAll("\r\033[K");
  m_drawn = false;
}

void Progress::redrawLoop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, kRedrawEvery);
    if (m_stop) break;
    if (std::chrono::steady_clock::now() - m_start >= kFirstDraw) drawLocked();
  }
}

PhaseLog::PhaseLog(bool enabled, Progress& progress)
    : m_enabled(enabled), m_progress(progress), m_start(std::chrono::steady_clock::now()), m_last(m_start) {}

void PhaseLog::mark(const std::string& phase, const std::string& detail) {
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - m_last).count();
  m_last = now;
  auto it = std::find_if(m_seconds.begin(), m_seconds.end(), [&](const auto& p) { return p.first == phase; });
  if (it == m_seconds.end()) it = m_seconds.insert(m_seconds.end(), {phase, 0.0});
  it->second += secs;
  if (m_enabled)
    m_progress.note(fmt::format("mxsim: {} {:.3f} s{}", phase, secs, detail.empty() ? "" : " (" + detail + ")"));
}

void PhaseLog::summary() {
  if (!m_enabled) return;
  std::string line = "mxsim: phases:";
  for (const auto& [phase, secs] : m_seconds) line += fmt::format(" {} {:.3f} s,", phase, secs);
  line +=
      fmt::format(" total {:.3f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count());
  m_progress.note(line);
}

}  // namespace mxsim
