// Several dataflow chips (per-tile memories) in one SystemC elaboration, played by one sc_start(): each
// DataflowTop has its own clock, ledger, interconnect and resources, so the chips share nothing but simulated
// time. SystemC 2.3 allows one elaboration per process: call runDataflowSideBySide() at most once per process.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/timing/dataflow_top.h"
#include "sim/timing/timing_engine.h"

namespace mxsim::testing {

struct DataflowCase {
  std::string name;  // the top module's name; unique among the cases
  const wl::Program* program = nullptr;
  ChipParams chip;
  Mapping mapping;
  std::vector<bool> signedInputs;  // per analog layer (Mapping::layers order)
  int images = 1;
};

struct DataflowRun {
  DataflowPlan plan;
  TimingResult result;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<DataflowTop> top;  // kept for its row traces (arrivals, row starts and ends)
};

/// Elaborates one DataflowTop per case, runs them together, fills each result as runTiming() would.
inline std::vector<std::unique_ptr<DataflowRun>> runDataflowSideBySide(const std::vector<DataflowCase>& cases) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  std::vector<std::unique_ptr<DataflowRun>> runs;
  for (const DataflowCase& c : cases) {
    auto r = std::make_unique<DataflowRun>();
    r->plan = planDataflow(*c.program, c.chip, c.mapping, c.signedInputs);
    r->clock = std::make_unique<Clock>(c.chip.clockHz);
    r->top = std::make_unique<DataflowTop>(c.name.c_str(), *c.program, c.chip, c.mapping, r->plan, *r->clock,
                                           r->result.ledger, nullptr, c.images);
    runs.push_back(std::move(r));
  }
  sc_core::sc_start();
  for (auto& r : runs) {
    r->result.ledger.setScopeResolver(nullptr);
    r->top->checkComplete();
    r->top->fill(r->result);
  }
  return runs;
}

}  // namespace mxsim::testing
