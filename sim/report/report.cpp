#include "sim/report/report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "models/noc/packet_noc.h"
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
      const double j =
          static_cast<double>(count) * chip.energy.joulesPer(name) * share * timing.ledger.actionScale(scope, name);
      e.byAction[name] += j;
      e.byComponent[componentOf(name)] += j;
      byScope[scope] += j;
      e.dynamicJ += j;
    }
  }
  const double leakW = chip.totalLeakageW(arraysUsed, timing.denoiserEngine);
  e.leakageJ = leakW * timing.seconds;
  e.byComponent["leakage"] = e.leakageJ;
  e.totalJ = e.dynamicJ + e.leakageJ;
  double layerCycles = 0;
  for (const auto& l : timing.layers) layerCycles += static_cast<double>(l.cycles);
  for (const auto& l : timing.layers) {
    const auto it = byScope.find(l.name);
    e.byLayer.push_back((it == byScope.end() ? 0.0 : it->second) +
                        (layerCycles > 0 ? e.leakageJ * static_cast<double>(l.cycles) / layerCycles : 0.0));
  }
  return e;
}

PeakPower peakPower(const TimingResult& timing, const EnergyReport& energy, const ChipParams& chip) {
  PeakPower p;
  const double window = std::min(chip.power.windowSeconds, std::max(timing.seconds, 1e-15));
  p.windowSeconds = window;
  if (timing.seconds <= 0) return p;
  // Dynamic energy per layer spread over the layer's interval; leakage is constant.
  const double leakW = energy.leakageJ / timing.seconds;
  std::vector<std::pair<double, double>> rates;  // (start, end) with watts
  std::vector<double> watts;
  for (std::size_t i = 0; i < timing.layers.size(); ++i) {
    const auto& l = timing.layers[i];
    const double a = static_cast<double>(l.startCycle) / chip.clockHz;
    const double d = static_cast<double>(l.cycles) / chip.clockHz;
    const double dyn = energy.byLayer[i];
    if (d <= 0) continue;
    rates.emplace_back(a, a + d);
    watts.push_back(dyn / d);
  }
  // The layer energies include their share of leakage; remove it so leakage is counted once below.
  double layerSeconds = 0;
  for (const auto& r : rates) layerSeconds += r.second - r.first;
  const double leakPerLayerW = layerSeconds > 0 ? energy.leakageJ / layerSeconds : 0.0;
  for (double& w : watts) w -= leakPerLayerW;
  // The energy in [t, t + window) is piecewise linear in t; its maximum is at a window edge meeting a layer
  // edge, so try every layer start and end as the window's start or end.
  std::vector<double> starts = {0.0, std::max(0.0, timing.seconds - window)};
  for (const auto& r : rates)
    for (double t : {r.first, r.second, r.first - window, r.second - window})
      if (t >= 0 && t + window <= timing.seconds * (1 + 1e-12)) starts.push_back(t);
  for (double t : starts) {
    double j = leakW * window;
    for (std::size_t i = 0; i < rates.size(); ++i) {
      const double overlap = std::min(rates[i].second, t + window) - std::max(rates[i].first, t);
      if (overlap > 0) j += watts[i] * overlap;
    }
    if (j / window > p.watts) {
      p.watts = j / window;
      p.windowStartSeconds = t;
    }
  }
  return p;
}

std::map<std::string, double> areaBreakdownM2(const ChipParams& chip, bool denoiserEngine) {
  const double arrays = chip.totalArrays();
  std::map<std::string, double> a;
  a["crossbar"] = arrays * chip.area.arrayM2;
  a["dac"] = arrays * chip.array.xbar.rows * chip.area.dacM2;
  a["adc"] = arrays * chip.array.adc.perArray * chip.area.adcM2;
  a["sram"] = (chip.sram.capacityBytes + chip.tiles * chip.tile.memoryBytes) / 1024.0 * chip.area.sramPerKibM2;
  a["tile_buffer"] =
      chip.tiles * (chip.tile.inputBufferBytes + chip.tile.outputBufferBytes) / 1024.0 * chip.area.tileBufferPerKibM2;
  const double tileLanes = chip.tile.memoryBytes > 0 ? static_cast<double>(chip.tiles) * chip.tile.digitalLanes : 0.0;
  a["digital"] = (chip.digital.lanes + tileLanes) * chip.area.digitalPerLaneM2;
  a["noc"] = PacketNoc(chip.noc, chip.tiles).areaM2();  // routers for ceil(tiles / concentration) + 1 nodes
  if (denoiserEngine) a["denoiser"] = DenoiserCore(chip.denoiser).area().totalM2();
  return a;
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
