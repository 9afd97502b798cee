// Contract: the SystemC top of a chip whose tiles hold their own activation memory (chip.tile.memory > 0):
// it plays a DataflowPlan for `images` images, event-driven, and records when every row of every step was
// issued, finished and delivered. Each step has an issue thread (waits until the input rows its next output
// row needs have ARRIVED in its tiles' memories, reads them, occupies its arrays or digital unit) and a
// drain thread (partial sums reduced over the interconnect to the home tile, accumulation, then — once every
// consumer has room for the row (credits) — the row is written to the consumers' tile memories through the
// packet-level interconnect). Nothing starts from an estimate: every start is a data arrival, a credit or a
// resource release. Schedules: pipelined (row granularity, layers overlap, images stream back to back) and
// sequential (a step starts when the previous step has finished the whole image). docs/chip.md.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "models/denoiser/denoiser_module.h"
#include "models/noc/packet_noc.h"
#include "sim/timing/dataflow.h"
#include "sim/timing/tile_module.h"
#include "sim/timing/timing_engine.h"

namespace mxsim {

class DataflowTop : public sc_core::sc_module, public StatsSource {
 public:
  SC_HAS_PROCESS(DataflowTop);
  DataflowTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
              const Mapping& mapping, const DataflowPlan& plan, const Clock& clock, ActionLedger& ledger,
              ActivityLog* activity, int images);

  /// Throws MappingError if the run stopped with work left (memories too small for the schedule: a deadlock).
  void checkComplete() const;
  /// The run's results in `r`: per-layer timing (image 0), latency, components, stages, throughput.
  void fill(TimingResult& r) const;
  std::vector<LayerTiming> layers() const;            // image 0
  std::uint64_t latencyCycles() const;                // image 0: first input row read → last output row stored
  std::uint64_t makespanCycles() const;               // all images
  const std::vector<std::uint64_t>& imageDoneCycles() const { return m_imageDone; }
  std::vector<ComponentActivity> componentActivity() const;
  std::vector<StageActivity> stageActivity() const;   // per step: busy cycles of its bottleneck resource
  bool hasDenoiser() const { return static_cast<bool>(m_denoiser); }
  /// Stats tree: the chip's own blocks (global_buffer, io, noc and its links); the tiles (children
  /// "tile<k>") and the denoiser engine register theirs (TileModule, DenoiserModule).
  void reportStats(StatsTree& tree, const std::string& path) const override;
  const TileModule& tile(int t) const { return *m_tiles.at(static_cast<std::size_t>(t)); }
  /// Row trace for tests: per step and edge, the cycle each producer row arrived (all images, in order).
  const std::vector<std::vector<std::vector<std::uint64_t>>>& arrivals() const { return m_arrival; }
  /// Per step: the cycle each output row's issue started and the cycle it was finished (before delivery).
  const std::vector<std::vector<std::uint64_t>>& rowStarts() const { return m_rowStart; }
  const std::vector<std::vector<std::uint64_t>>& rowEnds() const { return m_rowEnd; }
  /// Per step and edge: the cycle each producer row was sent (its credit granted), and the (cycle, rows
  /// released so far) history of the consumer's releases: with them a test checks the rows held never
  /// exceed the edge's slots.
  const std::vector<std::vector<std::vector<std::uint64_t>>>& sentCycles() const { return m_sent; }
  const std::vector<std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>>>& releases() const {
    return m_releaseLog;
  }

 private:
  using Resource = TimedResource;
  /// Reserve `cycles` on r in its first free gap at or after `earliest`; returns the end cycle.
  std::uint64_t reserve(Resource& r, std::uint64_t earliest, std::uint64_t cycles);
  std::uint64_t now() const;
  void waitUntil(std::uint64_t cycle);
  int endpointOf(int site) const;
  std::uint64_t ioCycles(std::uint64_t bits) const;  // cycles the chip's links take to carry `bits`
  /// Send `bits` from site a to site b now; returns the cycle the last bit arrives (bit-hops counted for
  /// image 0).
  std::uint64_t send(int from, int to, std::uint64_t bits, int image);
  /// Deliver one finished row of step s (or of the graph input when s < 0) to every consumer; returns the
  /// last arrival. Waits for every consumer's credit first.
  std::uint64_t deliver(int s, std::uint64_t row);
  void waitInputs(std::size_t s, int image, int r);
  void releaseInputs(std::size_t s, int image, int r);
  void source();
  void issue(std::size_t s);
  void drain(std::size_t s);
  /// Count n actions of the running step, for image 0 only (every image does the same work).
  void charge(const char* action, std::uint64_t n, int image);

  const wl::Program& m_program;
  const ChipParams& m_chip;
  const Mapping& m_mapping;
  const DataflowPlan& m_plan;
  const Clock& m_clock;
  ActionLedger& m_ledger;
  ActivityLog* m_activity;
  int m_images;
  bool m_sequential;
  PacketNoc m_noc;
  std::unique_ptr<DenoiserCore> m_denoiserCore;
  std::unique_ptr<DenoiserModule> m_denoiser;
  std::map<int, std::size_t> m_blockFirstStep;

  std::vector<std::unique_ptr<TileModule>> m_tiles;  // children "tile<k>": memory, digital unit, counters
  std::vector<std::vector<std::pair<int, int>>> m_layerTiles;  // per layer: (tile, arrays it holds), all copies
  std::vector<Resource> m_layerArrays;
  Resource m_globalBuffer;
  Resource m_io;  // the chip's off-chip links (chip.io), all links together
  /// Consumers of each step's output (and of the graph input at index n): (consumer step, edge index).
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> m_consumers;
  /// m_arrival[s][e][row]: cycle producer row `row` (global over images) of edge e of step s is stored.
  std::vector<std::vector<std::vector<std::uint64_t>>> m_arrival;
  std::vector<std::vector<std::uint64_t>> m_released;  // [s][e]: producer rows released (global count)
  std::vector<std::vector<std::vector<std::uint64_t>>> m_sent;  // [s][e][row]: cycle the row was sent
  std::vector<std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>>> m_releaseLog;  // [s][e]
  std::vector<std::unique_ptr<sc_core::sc_event>> m_offered, m_releasedEvent, m_issuedEvent, m_drainedEvent;
  std::vector<std::vector<std::uint64_t>> m_rowStart, m_rowEnd;  // [s][global row]
  std::vector<std::uint64_t> m_drained;                             // [s]: rows delivered
  std::vector<std::uint64_t> m_imagesDone;                          // [s]: whole images finished
  std::vector<std::uint64_t> m_imageDone;                           // per image: output stored
  std::vector<std::uint64_t> m_arrayBusyPerStep, m_digitalBusyPerStep, m_memoryBusyPerStep;
  std::vector<int> m_linkSignals;
  std::map<const sc_core::sc_object*, std::string> m_scopeOf;
};

}  // namespace mxsim
