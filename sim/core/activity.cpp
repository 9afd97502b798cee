#include "sim/core/activity.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace mxsim {

namespace {
std::uint64_t toTicks(double seconds) {
  return static_cast<std::uint64_t>(std::llround(seconds / ActivityLog::kSecondsPerTick));
}

/// VCD identifiers: printable ASCII 33..126, little-endian base 94.
std::string vcdId(std::size_t n) {
  std::string id;
  do {
    id.push_back(static_cast<char>(33 + n % 94));
    n /= 94;
  } while (n);
  return id;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(path.substr(start));
  return parts;
}
}  // namespace

int ActivityLog::signal(const std::string& path, const std::string& kind) {
  const auto it = m_ids.find(path);
  if (it != m_ids.end()) return it->second;
  const int id = static_cast<int>(m_signals.size());
  m_signals.push_back(Signal{path, kind, {}});
  m_ids.emplace(path, id);
  return id;
}

void ActivityLog::busy(int id, double startSeconds, double endSeconds) {
  if (!m_enabled || id < 0) return;
  const std::uint64_t a = toTicks(startSeconds), b = toTicks(endSeconds);
  if (b <= a) return;
  auto& iv = m_signals[static_cast<std::size_t>(id)].intervals;
  // Blocks mostly report in time order: extend the last interval when they touch or overlap.
  if (!iv.empty() && a <= iv.back().second && a >= iv.back().first) {
    iv.back().second = std::max(iv.back().second, b);
    return;
  }
  iv.emplace_back(a, b);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> ActivityLog::merged(int id) const {
  auto iv = m_signals[static_cast<std::size_t>(id)].intervals;
  std::sort(iv.begin(), iv.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& x : iv) {
    if (!out.empty() && x.first <= out.back().second) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

double ActivityLog::busySeconds(int id) const {
  std::uint64_t t = 0;
  for (const auto& [a, b] : merged(id)) t += b - a;
  return static_cast<double>(t) * kSecondsPerTick;
}

void ActivityLog::writeVcd(std::ostream& out, double endSeconds) const {
  out << "$version mxsim activity trace $end\n$timescale 1 ps $end\n";
  // Scopes: a tree of path prefixes; signals sorted by path so each scope is opened once.
  std::vector<std::size_t> order(m_signals.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return m_signals[a].path < m_signals[b].path; });
  std::vector<std::string> open;
  for (std::size_t i : order) {
    auto parts = split(m_signals[i].path);
    const std::string leaf = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    while (open.size() > common) {
      out << "$upscope $end\n";
      open.pop_back();
    }
    for (std::size_t k = common; k < parts.size(); ++k) {
      out << "$scope module " << parts[k] << " $end\n";
      open.push_back(parts[k]);
    }
    out << "$var wire 1 " << vcdId(i) << " " << leaf << " $end\n";
  }
  while (!open.empty()) {
    out << "$upscope $end\n";
    open.pop_back();
  }
  out << "$enddefinitions $end\n";

  // Value changes, time ordered; at equal times falls come before rises so touching intervals stay busy.
  std::map<std::uint64_t, std::vector<std::pair<bool, std::size_t>>> changes;
  for (std::size_t i = 0; i < m_signals.size(); ++i) {
    for (const auto& [a, b] : merged(static_cast<int>(i))) {
      changes[a].emplace_back(true, i);
      changes[b].emplace_back(false, i);
    }
  }
  out << "#0\n$dumpvars\n";
  for (std::size_t i = 0; i < m_signals.size(); ++i) out << "0" << vcdId(i) << "\n";
  out << "$end\n";
  for (auto& [t, list] : changes) {
    // A signal that both falls and rises at t stays 1: drop the pair.
    std::map<std::size_t, int> net;
    for (const auto& [rise, i] : list) net[i] += rise ? 1 : -1;
    bool stamped = false;
    for (const auto& [i, d] : net) {
      if (d == 0) continue;
      if (!stamped) {
        out << "#" << t << "\n";
        stamped = true;
      }
      out << (d > 0 ? "1" : "0") << vcdId(i) << "\n";
    }
  }
  out << "#" << std::max<std::uint64_t>(toTicks(endSeconds), changes.empty() ? 0 : changes.rbegin()->first) << "\n";
}

}  // namespace mxsim
