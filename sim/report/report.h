// Contract: prices action counts with the energy table (dynamic energy) and adds leakage power × time;
// breaks energy down by component and by layer; writes report files atomically.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/arch/arch.h"
#include "sim/timing/timing_engine.h"

namespace mxsim {

struct EnergyReport {
  double dynamicJ = 0, leakageJ = 0, totalJ = 0;
  std::map<std::string, double> byComponent;  // crossbar, dac, adc, sram, digital, leakage
  std::map<std::string, double> byAction;
  std::vector<double> byLayer;  // per TimingResult::layers entry: dynamic + leakage during the layer
};

EnergyReport priceEnergy(const TimingResult& timing, const ChipParams& chip, int arraysUsed);

/// Write `content` to `path` via a temporary file and rename, so no half-written file is ever left.
void writeFileAtomic(const std::string& path, const std::string& content);

}  // namespace mxsim
