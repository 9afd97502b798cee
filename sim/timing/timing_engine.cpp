#include "sim/timing/timing_engine.h"

#include "sim/timing/chip_top.h"

namespace mxsim {

TimingResult runTiming(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                       const std::vector<bool>& signedInputs, ActivityLog* activity) {
  TimingResult r;
  // 1 fs resolution keeps cycle counts exact for clocks whose period is not a whole number of ps.
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  Clock clock(chip.clockHz);
  auto top = std::make_unique<ChipTop>("chip", program, chip, mapping, signedInputs, clock, r.ledger,
                                       activity);
  sc_core::sc_start();
  r.ledger.setScopeResolver(nullptr);  // it refers to the top, which goes away with this function
  r.layers = top->layers();
  r.totalCycles = top->totalCycles();
  r.seconds = static_cast<double>(r.totalCycles) / chip.clockHz;
  r.elaboratedArrays = top->arrayCount();
  r.components = top->componentActivity();
  r.denoiserEngine = top->hasDenoiser();
  return r;
}

}  // namespace mxsim
