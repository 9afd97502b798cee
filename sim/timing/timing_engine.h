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
#include "sim/core/activity.h"
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

/// Busy and stalled time of one kind of block, summed over its instances (docs/chip.md).
struct ComponentActivity {
  std::string kind;          // array, dac, adc, global_buffer, tile_buffer, link, digital, denoiser_core, grng
  int instances = 0;         // instances on the chip (links: directed links; arrays: holding weights)
  double busySeconds = 0;    // Σ over instances of the time each was occupied
  double stallSeconds = 0;   // Σ of the time requests waited for a busy instance (contention)
};

struct TimingResult {
  std::uint64_t totalCycles = 0;
  double seconds = 0;
  /// One per program step, in order; when the mapping is time-multiplexed, a "reprogram round k" pseudo-layer
  /// (its own ledger scope, priced at 1/multiplex_batch) precedes the first step of every round k.
  std::vector<LayerTiming> layers;
  ActionLedger ledger;              // scopes are layer names
  int elaboratedArrays = 0;
  std::vector<ComponentActivity> components;
  bool denoiserEngine = false;  // the chip had a denoiser engine
};

/// signedInputs[l]: whether analog layer l (Mapping::layers order) needs two input phases.
/// `activity`: when non-null and enabled, every block reports its busy intervals there (--vcd).
TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs, ActivityLog* activity = nullptr);

}  // namespace mxsim
