// Contract: the timing engine elaborates the chip described by ChipParams as SystemC modules (tiles of
// ArrayModules, the global SRAM, the digital unit) and plays one image's schedule of the mapped program
// through them, event-driven. It returns cycles per layer and the action counts energy is priced from.
// SystemC allows one elaboration per process: call runTiming() at most once per process.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/arch/arch.h"
#include "sim/core/actions.h"
#include "sim/core/activity.h"
#include "models/common/stats.h"
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

/// Per-image occupancy of one pipeline stage's resources (dataflow model): the initiation interval is bounded
/// below by the largest of these over all stages (and by every shared memory and link).
struct StageActivity {
  std::string name;
  int step = -1;
  std::uint64_t arrayCyclesPerImage = 0;    // the layer's arrays (all copies work in parallel)
  std::uint64_t digitalCyclesPerImage = 0;  // its home tile's digital unit
  std::uint64_t memoryCyclesPerImage = 0;   // tile-memory reads (the busiest tile's share is at most this)
  std::uint64_t engineCyclesPerImage = 0;   // denoiser engine, in chip cycles
  std::uint64_t maxCycles() const {
    return std::max({arrayCyclesPerImage, digitalCyclesPerImage, memoryCyclesPerImage, engineCyclesPerImage});
  }
};

/// Steady-state throughput of the dataflow model.
struct ThroughputResult {
  int images = 0;                    // images streamed through the pipeline (--pipeline-images)
  double imagesPerSecond = 0;        // clock / initiationIntervalCycles
  bool measured = false;             // true: from completions; false: the bottleneck bound
  std::uint64_t initiationIntervalCycles = 0;  // max(measured, bottleneck): cycles between images
  std::uint64_t measuredIntervalCycles = 0;    // (last − first completion) / (images − 1); 0 if one image
  std::string bottleneck;            // resource with the most busy cycles per image
  std::uint64_t bottleneckCyclesPerImage = 0;
  double makespanSeconds = 0;        // first input row in → last image's output stored
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
  bool dataflow = false;        // per-tile memories: the dataflow model ran (throughput and stages filled)
  ThroughputResult throughput;
  std::vector<StageActivity> stages;
  /// SystemC kernel delta cycles this run took (each evaluates the processes its events made runnable): the
  /// event-driven model's work, reported with its rate (run.timing_delta_cycles; docs/performance.md).
  std::uint64_t deltaCycles = 0;
  /// The stats tree: every block's counters by its module path ("chip.tile3.memory.bits_written";
  /// models/common/stats.h), collected from the module tree after the run.
  StatsTree stats;
};

/// signedInputs[l]: whether analog layer l (Mapping::layers order) needs two input phases.
/// `activity`: when non-null and enabled, every block reports its busy intervals there (--vcd).
/// `images`: images streamed back to back through the dataflow model (ignored by the global-buffer model).
TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs, ActivityLog* activity = nullptr, int images = 1);

}  // namespace mxsim
