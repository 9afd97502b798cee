// Several chips in one SystemC elaboration, played by one sc_start(). Each ChipTop has its own clock, action
// ledger and blocks (global buffer, interconnect, tile buffers, arrays, digital unit), so the chips share
// nothing but simulated time and each one's schedule is what runTiming() would give it alone. This lets one
// scenario executable compare configurations although SystemC 2.3 allows one elaboration per process: call
// runSideBySide() at most once per process (and not together with runTiming()).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/timing/chip_top.h"
#include "sim/timing/timing_engine.h"

namespace mxsim::testing {

struct ChipCase {
  std::string name;  // the top module's name; unique among the cases
  const wl::Program* program = nullptr;
  ChipParams chip;
  Mapping mapping;
  std::vector<bool> signedInputs;  // per analog layer (Mapping::layers order)
};

/// Elaborates one ChipTop per case, runs them together, and returns one TimingResult per case, in order
/// (the same fields runTiming() fills).
inline std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// The small chip the timing scenarios derive by hand: 16×2 arrays with a 2-cycle DAC, a 7-cycle read and
/// one 3-cycle ADC per array, and a 64-bit single-port global buffer with 2-cycle accesses. Each test sets
/// the rest (tiles, buffers, links, lanes) where its derivation needs it.
inline void applySmallTimingChip(ChipParams& chip) {
  chip.array.xbar.rows = 16;
  chip.array.xbar.cols = 2;
  chip.array.xbar.readCycles = 7;
  chip.array.dac.cycles = 2;
  chip.array.adc.perArray = 1;
  chip.array.adc.conversionCycles = 3;
  chip.sram.wordBits = 64;
  chip.sram.ports = 1;
  chip.sram.accessCycles = 2;
}

/// The small chip on 4 tiles of 4 arrays that the smallCnn derivations use: a 3 × 2 mesh (5 nodes: node n at
/// (n mod 3, n / 3)) with 16-bit links, 3-cycle hops and tree multicast; 32-bit tile buffers, 16-bit partial
/// sums, 8-bit activations, 4 digital lanes.
inline void applyFourTileTimingChip(ChipParams& chip) {
  applySmallTimingChip(chip);
  chip.sram.activationBits = 8;
  chip.digital.lanes = 4;
  chip.tiles = 4;
  chip.arraysPerTile = 4;
  chip.tile.bufferWordBits = 32;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = NocTopology::Mesh;  // 5 nodes: 3 x 2 routers, node n at (n mod 3, n / 3)
  chip.noc.linkWidthBits = 16;
  chip.noc.hopLatencyCycles = 3;
  chip.noc.multicast = NocMulticast::Tree;
}

inline std::vector<TimingResult> runSideBySide(const std::vector<ChipCase>& cases) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);  // as runTiming: exact cycles at any clock
  std::vector<TimingResult> results(cases.size());
  std::vector<std::unique_ptr<Clock>> clocks;
  std::vector<std::unique_ptr<ChipTop>> tops;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const ChipCase& c = cases[i];
    clocks.push_back(std::make_unique<Clock>(c.chip.clockHz));
    tops.push_back(std::make_unique<ChipTop>(c.name.c_str(), *c.program, c.chip, c.mapping, c.signedInputs,
                                             *clocks.back(), results[i].ledger, nullptr));
  }
  sc_core::sc_start();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    TimingResult& r = results[i];
    const ChipTop& top = *tops[i];
    r.ledger.setScopeResolver(nullptr);  // it refers to the top, which goes away with this function
    r.layers = top.layers();
    r.totalCycles = top.totalCycles();
    r.seconds = static_cast<double>(r.totalCycles) / cases[i].chip.clockHz;
    r.elaboratedArrays = top.arrayCount();
    r.components = top.componentActivity();
    r.denoiserEngine = top.hasDenoiser();
  }
  return results;
}

/// The summed activity of one kind of block (ComponentActivity::kind), or an empty record.
inline ComponentActivity activityOf(const TimingResult& r, const std::string& kind) {
  for (const ComponentActivity& c : r.components)
    if (c.kind == kind) return c;
  return ComponentActivity{kind, 0, 0, 0};
}

}  // namespace mxsim::testing
