// Contract: a tile of the chip as a SystemC module ("chip.tile<k>"). It is the parent of the blocks the tile
// holds, so the module tree (and the stats tree that mirrors it, models/common/stats.h) reads chip → tiles →
// arrays, buffers: the global-buffer model (ChipTop) builds the tile's array and buffer shells inside it; the
// dataflow model (DataflowTop) gives it its activation memory and digital unit as timed resources, which the
// model's processes reserve, and the counts of what used them. No data and no processes of its own.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <systemc>

#include "models/common/stats.h"

namespace mxsim {

/// A resource reserved by cycle intervals (dataflow model): several requests may book it ahead of simulated
/// time; each takes the first free gap at or after its earliest start (DataflowTop::reserve).
struct TimedResource {
  std::map<std::uint64_t, std::uint64_t> intervals;  // reserved [start, end) from now on, disjoint
  std::uint64_t freeAt = 0;  // end of the last reservation
  std::uint64_t busy = 0;    // cycles occupied
  std::uint64_t stall = 0;   // cycles requests waited for it
  int signal = -1;           // activity signal (VCD)
};

/// A timed resource in the stats tree: `<path>.busy_cycles` and `<path>.stall_cycles`.
inline void reportResource(StatsTree& tree, const std::string& path, const TimedResource& r) {
  tree.set(path, "busy_cycles", static_cast<double>(r.busy));
  tree.set(path, "stall_cycles", static_cast<double>(r.stall));
}

class TileModule : public sc_core::sc_module, public StatsSource {
 public:
  /// `build` runs inside the constructor, so the modules it creates are this tile's children.
  TileModule(const sc_core::sc_module_name& name, int index, const std::function<void()>& build = {})
      : sc_module(name), m_index(index) {
    if (build) build();
  }
  int index() const { return m_index; }

  // ---- dataflow model: the tile's own memory and digital unit, and what used them (all images)
  TimedResource memory, digital;
  std::uint64_t memoryBitsWritten = 0;  // rows of its consumers' inputs stored
  std::uint64_t memoryBitsRead = 0;     // inputs read into the arrays' registers or by the digital unit
  std::uint64_t memoryCapacityBits = 0, memoryPlannedBits = 0;  // chip.tile.memory; the plan's minimum rows
  int arrays = 0;                       // arrays holding weights (all copies)
  std::uint64_t arrayBusyCycles = 0;    // Σ over its arrays of the cycles each streamed vectors

  /// Stats tree (dataflow model): memory.{busy,stall}_cycles, bits_written, bits_read, capacity_bits,
  /// planned_bits; digital.{busy,stall}_cycles; arrays.{count, busy_array_cycles}. Nothing for a tile
  /// without a memory (the global-buffer model: its child shells report).
  void reportStats(StatsTree& tree, const std::string& path) const override {
    if (!memoryCapacityBits) return;
    const std::string m = path + ".memory", d = path + ".digital", a = path + ".arrays";
    reportResource(tree, m, memory);
    tree.set(m, "bits_written", static_cast<double>(memoryBitsWritten));
    tree.set(m, "bits_read", static_cast<double>(memoryBitsRead));
    tree.set(m, "capacity_bits", static_cast<double>(memoryCapacityBits));
    tree.set(m, "planned_bits", static_cast<double>(memoryPlannedBits));
    reportResource(tree, d, digital);
    tree.set(a, "count", arrays);
    tree.set(a, "busy_array_cycles", static_cast<double>(arrayBusyCycles));
  }

 private:
  int m_index;
};

}  // namespace mxsim
