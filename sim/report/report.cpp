#include "sim/report/report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "sim/core/error.h"

namespace mxsim {

EnergyReport priceEnergy(const TimingResult& timing, const ChipParams& chip, int arraysUsed) {
  EnergyReport e;
  for (const char* c : {"crossbar", "dac", "adc", "sram", "digital"}) e.byComponent[c] = 0.0;
  // grng.* appears once a denoiser engine runs (its own component).
  // sram.spill_bit lands in "sram": off-chip traffic caused by the buffer being too small.
  std::map<std::string, double> byScope;
  for (const auto& [scope, actions] : timing.ledger.counts()) {
    const double share = timing.ledger.share(scope);  // < 1 for work amortised over a batch of images
    for (const auto& [name, count] : actions) {
      const double j = static_cast<double>(count) * chip.energy.joulesPer(name) * share;
      e.byAction[name] += j;
      e.byComponent[componentOf(name)] += j;
      byScope[scope] += j;
      e.dynamicJ += j;
    }
  }
  const double leakW = chip.totalLeakageW(arraysUsed);
  e.leakageJ = leakW * timing.seconds;
  e.byComponent["leakage"] = e.leakageJ;
  e.totalJ = e.dynamicJ + e.leakageJ;
  for (const auto& l : timing.layers) {
    const auto it = byScope.find(l.name);
    e.byLayer.push_back((it == byScope.end() ? 0.0 : it->second) +
                        leakW * static_cast<double>(l.cycles) / chip.clockHz);
  }
  return e;
}

void writeFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, static_cast<long>(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot write output file", path));
    out << content;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("{}: failed while writing output file", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: cannot move output file into place", path));
  }
}

}  // namespace mxsim
