// Contract: the statistics tree. A SystemC module that counts something implements StatsSource and registers
// its counters under its hierarchical name (sc_object::name(): "chip.tile3.memory" is the memory of tile 3 of
// the top "chip"); collectStats() walks the module tree from a root and asks every StatsSource it meets. So
// the stats tree is the module tree, as in DRAMSys and Ramulator 2: a new block reports by being a module, and
// the report (sim/report: statsJson, the run report's "stats" object) writes the tree as nested objects.
// A block that did nothing (no busy or stall time, no counts) registers nothing: unused arrays stay silent.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <systemc>

namespace mxsim {

class StatsTree {
 public:
  /// Set counter `name` of the block at `path` ("chip.tile3.memory", "bits_written").
  void set(const std::string& path, const std::string& name, double value) { m_values[path + "." + name] = value; }
  /// Every counter by its dotted path, in path order.
  const std::map<std::string, double>& values() const { return m_values; }
  bool empty() const { return m_values.empty(); }
  /// The counter at a dotted path; throws std::out_of_range when the block did not register it.
  double at(const std::string& path) const { return m_values.at(path); }

 private:
  std::map<std::string, double> m_values;
};

class StatsSource {
 public:
  virtual ~StatsSource() = default;
  /// Register this block's counters under `path`, its hierarchical name.
  virtual void reportStats(StatsTree& tree, const std::string& path) const = 0;
};

/// An interconnect's links in the tree: every link that carried data as `<path>.link.<name>.busy_cycles`
/// (`name(l)`, `busy(l)` for l in [0, links)); returns the sum of their busy cycles.
template <class Name, class Busy>
std::uint64_t reportLinks(StatsTree& tree, const std::string& path, int links, Name name, Busy busy) {
  std::uint64_t total = 0;
  for (int l = 0; l < links; ++l)
    if (const std::uint64_t b = busy(l)) {
      total += b;
      tree.set(path + ".link." + name(l), "busy_cycles", static_cast<double>(b));
    }
  return total;
}

/// Walk the module tree from `root` (the root first, then its children depth first in creation order) and
/// collect the counters of every object that is a StatsSource.
inline void collectStats(const sc_core::sc_object& root, StatsTree& tree) {
  if (const auto* src = dynamic_cast<const StatsSource*>(&root)) src->reportStats(tree, root.name());
  for (const sc_core::sc_object* child : root.get_child_objects()) collectStats(*child, tree);
}

}  // namespace mxsim
