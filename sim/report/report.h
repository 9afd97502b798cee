// Contract: prices action counts with the energy table (dynamic energy) and adds leakage power × time;
// breaks energy down by component and by layer; writes report files atomically.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/arch/arch.h"
#include "sim/core/output_files.h"
#include "sim/timing/timing_engine.h"

namespace mxsim {

struct EnergyReport {
  double dynamicJ = 0, leakageJ = 0, totalJ = 0;
  std::map<std::string, double> byComponent;  // crossbar, dac, adc, sram, digital, leakage
  std::map<std::string, double> byAction;
  std::vector<double> byLayer;  // per TimingResult::layers entry: dynamic + leakage during the layer
  /// Per TimingResult::layers entry: byLayer split by component (every component of byComponent, "leakage" its
  /// share of leakage), so each row sums to byLayer and each column over the layers to byComponent.
  std::vector<std::map<std::string, double>> byLayerComponent;
};

/// Leakage follows the time each layer takes; when layers overlap (pipelined schedule) the total leakage
/// (power × latency) is shared in proportion to their durations, so Σ layers = total either way.
EnergyReport priceEnergy(const TimingResult& timing, const ChipParams& chip, int arraysUsed);

/// Peak power: the largest energy falling in any window of chip.power.window, divided by the window. Each
/// layer's energy is spread evenly over its [start, start + cycles) interval (resolution: layers).
struct PeakPower {
  double watts = 0;
  double windowStartSeconds = 0;
  double windowSeconds = 0;
};
PeakPower peakPower(const TimingResult& timing, const EnergyReport& energy, const ChipParams& chip);

/// Area by component (m²): instance counts × the area table (chip.area, chip.noc, chip.denoiser).
std::map<std::string, double> areaBreakdownM2(const ChipParams& chip, bool denoiserEngine);

/// One component's power with every instance working at its full rate (each instance's peak action rate ×
/// its price, plus its leakage) next to its area: the numbers of a design's component table (ISAAC's
/// Table I). Rates follow from the architecture (docs/chip.md, "Power at full load").
struct ComponentLoad {
  std::string component;
  double instances = 0;
  double watts = 0;
  double areaM2 = 0;
  std::string rate;  // the full-load rate assumed, in words
};
std::vector<ComponentLoad> fullLoadPower(const ChipParams& chip, bool denoiserEngine);

}  // namespace mxsim
