#include "sim/timing/timing_engine.h"

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/timing/chip_top.h"
#include "sim/timing/dataflow_top.h"

namespace mxsim {

namespace {
TimingResult runDataflow(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                         const std::vector<bool>& signedInputs, ActivityLog* activity, int images) {
  TimingResult r;
  Clock clock(chip.clockHz);
  DataflowPlan plan = planDataflow(program, chip, mapping, signedInputs);
  auto top = std::make_unique<DataflowTop>("chip", program, chip, mapping, plan, clock, r.ledger, activity, images);
  const sc_dt::uint64 deltas = sc_core::sc_delta_count();
  sc_core::sc_start();
  r.deltaCycles = sc_core::sc_delta_count() - deltas;
  r.ledger.setScopeResolver(nullptr);
  top->checkComplete();
  top->fill(r);
  return r;
}
}  // namespace

TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs, ActivityLog* activity, int images) {
  // 1 fs resolution keeps cycle counts exact for clocks whose period is not a whole number of ps.
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  if (chip.tile.memoryBytes > 0 && !mapping.timeMultiplexed())
    return runDataflow(program, chip, mapping, signedInputs, activity, images);
  if (chip.schedule == Schedule::Pipelined)
    throw ConfigError(fmt::format(
        "chip.schedule: pipelined needs per-tile activation memories (chip.tile.memory > 0){}: layers stream rows "
        "from tile to tile; with activations in the global buffer only the sequential schedule is modelled",
        mapping.timeMultiplexed() ? " and a model that fits the chip without time multiplexing" : ""));
  if (chip.noc.concentration > 1)
    throw ConfigError(fmt::format(
        "chip.noc.concentration: value {} needs the dataflow model (per-tile memories and a model that fits the "
        "chip without time multiplexing): the global-buffer model routes every tile through its own router",
        chip.noc.concentration));
  TimingResult r;
  Clock clock(chip.clockHz);
  auto top = std::make_unique<ChipTop>("chip", program, chip, mapping, signedInputs, clock, r.ledger,
                                       activity);
  const sc_dt::uint64 deltas = sc_core::sc_delta_count();
  sc_core::sc_start();
  r.deltaCycles = sc_core::sc_delta_count() - deltas;
  r.ledger.setScopeResolver(nullptr);  // it refers to the top, which goes away with this function
  r.layers = top->layers();
  r.totalCycles = top->totalCycles();
  r.seconds = static_cast<double>(r.totalCycles) / chip.clockHz;
  r.elaboratedArrays = top->arrayCount();
  r.components = top->componentActivity();
  collectStats(*top, r.stats);
  r.denoiserEngine = top->hasDenoiser();
  r.throughput.images = 1;
  r.throughput.imagesPerSecond = r.seconds > 0 ? 1.0 / r.seconds : 0.0;  // one image at a time
  r.throughput.initiationIntervalCycles = r.totalCycles;
  r.throughput.makespanSeconds = r.seconds;
  r.throughput.bottleneck = "sequential";
  return r;
}

}  // namespace mxsim
