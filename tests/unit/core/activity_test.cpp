// ActivityLog: interval merging, busy time, and a VCD that a minimal parser reads back to the same busy
// intervals (scopes from the dotted paths, one wire per signal).
#include "sim/core/activity.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace mxsim {
namespace {

/// Minimal VCD reader: wire name (scoped path) -> list of (time, value) changes after $enddefinitions.
std::map<std::string, std::vector<std::pair<long, int>>> parseVcd(const std::string& text) {
  std::map<std::string, std::string> nameOf;  // id -> path
  std::map<std::string, std::vector<std::pair<long, int>>> changes;
  std::istringstream in(text);
  std::vector<std::string> scope;
  std::string tok;
  long now = 0;
  bool body = false;
  while (in >> tok) {
    if (!body) {
      if (tok == "$scope") {
        std::string kind, name;
        in >> kind >> name >> tok;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        in >> tok;
        scope.pop_back();
      } else if (tok == "$var") {
        std::string type, width, id, name;
        in >> type >> width >> id >> name >> tok;
        std::string path;
        for (const auto& s : scope) path += s + ".";
        nameOf[id] = path + name;
      } else if (tok == "$enddefinitions") {
        in >> tok;
        body = true;
      }
      continue;
    }
    if (tok[0] == '#') {
      now = std::stol(tok.substr(1));
    } else if (tok[0] == '0' || tok[0] == '1') {
      changes[nameOf.at(tok.substr(1))].emplace_back(now, tok[0] - '0');
    }
  }
  return changes;
}

TEST(ActivityLog, DisabledRecordsNothing) {
  ActivityLog log;
  const int a = log.signal("chip.tile0.array0", "array");
  log.busy(a, 0.0, 1e-9);
  EXPECT_EQ(log.busySeconds(a), 0.0);
}

TEST(ActivityLog, MergesOverlapsAndWritesAReadableVcd) {
  ActivityLog log;
  log.enable(true);
  const int a = log.signal("chip.tile0.array0", "array");
  const int b = log.signal("chip.noc.link_0_1", "link");
  EXPECT_EQ(log.signal("chip.tile0.array0", "array"), a);  // same path, same signal
  log.busy(a, 0e-9, 10e-9);
  log.busy(a, 5e-9, 12e-9);   // overlaps: merged to [0, 12)
  log.busy(a, 12e-9, 20e-9);  // touches: still one busy period [0, 20)
  log.busy(a, 30e-9, 40e-9);
  log.busy(b, 15e-9, 16e-9);
  EXPECT_NEAR(log.busySeconds(a), 30e-9, 1e-15);
  EXPECT_NEAR(log.busySeconds(b), 1e-9, 1e-15);

  std::ostringstream vcd;
  log.writeVcd(vcd, 50e-9);
  const auto changes = parseVcd(vcd.str());
  ASSERT_EQ(changes.count("chip.tile0.array0"), 1u);
  ASSERT_EQ(changes.count("chip.noc.link_0_1"), 1u);
  // Initial 0, rise at 0 ps, fall at 20 ns, rise at 30 ns, fall at 40 ns (times in ps).
  const std::vector<std::pair<long, int>> expectA = {{0, 0}, {0, 1}, {20000, 0}, {30000, 1}, {40000, 0}};
  EXPECT_EQ(changes.at("chip.tile0.array0"), expectA);
  const std::vector<std::pair<long, int>> expectB = {{0, 0}, {15000, 1}, {16000, 0}};
  EXPECT_EQ(changes.at("chip.noc.link_0_1"), expectB);
}

}  // namespace
}  // namespace mxsim
