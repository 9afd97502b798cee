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
  int step = -1;   // index into Program::steps; -1 for a "reprogram round k" pseudo-layer
  int round = -1;  // time-multiplexing round of an analog layer or of a reprogramming; -1 for digital steps
};

struct TimingResult {
  std::uint64_t totalCycles = 0;
  double seconds = 0;
  /// One per program step, in order; when the mapping is time-multiplexed, a "reprogram round k" pseudo-layer
  /// (its own ledger scope, priced at 1/multiplex_batch) precedes the first step of every round k.
  std::vector<LayerTiming> layers;
  ActionLedger ledger;              // scopes are layer names
  int elaboratedArrays = 0;
};

/// signedInputs[l]: whether analog layer l (Mapping::layers order) needs two input phases.
TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs);

}  // namespace mxsim
