// Contract: the timing engine elaborates the chip described by ChipParams as SystemC modules (tiles of
// ArrayModules, the global SRAM, the digital unit) and plays one image's schedule of the mapped program
// through them, event-driven. It returns cycles per layer and the action counts energy is priced from.
// SystemC allows one elaboration per process: call runTiming() at most once per process.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/arch/arch.h"
#include "sim/core/actions.h"
#include "sim/mapping/mapping.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct LayerTiming {
  std::string name, op;
  std::uint64_t startCycle = 0, cycles = 0;
  int arrays = 0;
};

struct TimingResult {
  std::uint64_t totalCycles = 0;
  double seconds = 0;
  std::vector<LayerTiming> layers;  // one per program step, in order
  ActionLedger ledger;              // scopes are step names
  int elaboratedArrays = 0;
};

/// signedInputs[l]: whether analog layer l (Mapping::layers order) needs two input phases.
TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs);

}  // namespace mxsim
