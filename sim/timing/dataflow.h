// Contract: the dataflow plan of a mapped program on a chip whose tiles hold their own activation memory
// (chip.tile.memory > 0), no SystemC. It says where each step runs (its home tile), which tiles store which
// rows of which inputs and how many rows each may hold (capacity enforced: a MappingError names the tile when
// even the rows a step needs at once do not fit), what one output row costs on each resource (array
// pipeline, tile memory, digital unit, interconnect bits), and which input rows an output row needs
// (receptive fields). DataflowTop (sim/timing/dataflow_top.h) plays the plan event by event. docs/chip.md.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/arch/arch.h"
#include "sim/timing/digital_work.h"
#include "sim/mapping/mapping.h"
#include "workloads/ir/program.h"

namespace mxsim {

/// A site is a tile index (>= 0) or kChipSite: the chip-level endpoint at the corner router, where the chip's
/// input arrives, its output leaves (through the global buffer) and the denoiser engine sits.
inline constexpr int kChipSite = -1;

/// ⌈a / b⌉ for cycle, bit and share counts (0 when b is 0).
inline std::uint64_t ceilDivU(std::uint64_t a, std::uint64_t b) { return b ? (a + b - 1) / b : 0; }

/// Which rows of a producer one output row of a consumer needs.
enum class RowNeed {
  Same,    // row r needs producer row r (elementwise ops, views, dense over the last axis of a C×H×W tensor)
  Window,  // row r needs producer rows up to r·stride − padTop + (kernel − 1)·dilation (conv, pooling)
  All,     // every row (dense layers after a flatten, global pooling, softmax, gathers, concat, denoiser)
};

/// One input of a step: the producer, the rows it needs, where the rows are stored and how many may be held.
struct DataflowEdge {
  int buffer = -1;
  int producer = -1;        // step writing the buffer; -1: the graph input
  int producerRows = 1;     // rows of the buffer per image
  std::uint64_t rowBits = 0;  // bits of one whole row of the buffer
  RowNeed need = RowNeed::All;
  int stride = 1, padTop = 0, span = 1;  // Window: span = (kernel − 1)·dilation + 1
  /// Storage: per destination tile (or kChipSite) the bits of each row it receives (a slice when the tile holds
  /// only part of the layer's input channels). Empty for a view: it reads its producer's rows in place.
  std::vector<int> tiles;
  std::vector<std::uint64_t> bitsPerRow;
  /// Per destination: the part of the row's output positions ([lo, hi) as fractions of the row) its share
  /// covers; it receives its bits from the producer places whose part overlaps.
  std::vector<std::pair<double, double>> columns;
  /// Rows of this input the consumer may hold at once (across images); the producer stalls when they are full.
  std::uint64_t slots = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t minSlots = 1;  // rows one output row reads at once, or a join's lag: what capacity must allow
  /// Window edges whose kernel skips rows or columns (a strided 1×1 conv, kernel < stride): the producer rows
  /// some output row reads (empty: every row is read; an unread row is never sent or stored) and the fraction
  /// of a row's columns the windows read (bitsPerRow already counts only those).
  std::vector<bool> rowRead;
  double readColumns = 1.0;
  bool reads(int row) const { return rowRead.empty() || rowRead[static_cast<std::size_t>(row)]; }

  /// Last producer row (0-based, within the image) output row r needs.
  int lastNeeded(int r) const;
  /// First producer row still needed by output row r (rows before it can be released once r starts).
  int firstNeeded(int r) const;
};

/// Work of one array-holding tile of an analog step for one output row.
struct TileRowWork {
  int tile = 0;
  std::uint64_t memoryReadBits = 0;  // inputs read from the tile memory into the arrays' input registers
  std::uint64_t localAdds = 0;       // adds merging the row blocks it holds of the same columns
};

/// One transfer of a partial-sum reduction tree: `from` sends its (subtree's) partial sums to `to`, which adds
/// them (`adds` per row) to its own.
struct ReduceHop {
  int from = 0, to = 0;
  std::uint64_t bits = 0, adds = 0;
};

/// Where a share of a step's output rows is made: copies of a replicated layer each make a share of every
/// row's output positions on their own lead tile; the digital steps on their output path follow them.
struct Placement {
  int tile = 0;        // or kChipSite
  double share = 1.0;  // fraction of each row
};

struct DataflowStep {
  int step = -1;
  int rows = 1;               // output rows per image
  int replicas = 1;           // copies of an analog layer splitting the output positions
  int site = 0;               // home: the accumulating tile (analog), the producer's tile (digital), chip site
  std::vector<Placement> places;  // where the row is made (one per copy; the home alone when not replicated)
  bool view = false;          // a Reshape: no work, no data moves
  bool denoiserRunner = false;  // first step of a denoiser block: the whole block runs on the engine
  bool denoiserPassive = false;  // other steps of a denoiser block: no work
  std::vector<DataflowEdge> inputs;
  std::uint64_t outRowBits = 0;

  // Analog steps (layer >= 0)
  int layer = -1;
  std::uint64_t vectorsPerRow = 0;  // input vectors of one output row (all copies)
  std::uint64_t arrayLatency = 0;   // cycles from the first vector entering to the last leaving, per vector
  std::uint64_t arrayInterval = 0;  // cycles between vectors (the slowest stage of the slowest array)
  std::vector<TileRowWork> tiles;
  /// Partial sums of a copy's tiles meet at its lead tile in a binary tree: level l pairs tiles 2^l apart
  /// (the lead first), so the lead receives log2(tiles) messages instead of one per tile. All copies' hops of
  /// one level are in one entry.
  std::vector<std::vector<ReduceHop>> reduction;
  ArrayActions imageActions;          // DAC conversions, cell reads, ADC conversions of one image (all copies)
  std::uint64_t imageShiftAdds = 0;   // shift-and-add merges of slices and passes, one image
  /// Bits written to (and read from) the arrays' output registers, one image: one partial sum per column of each
  /// pack per row block per vector, after the shift-and-add.
  std::uint64_t imageOutputBufferBits = 0;
  /// Bits written to (and read from) the tiles' output registers, one image: one partial sum per output column
  /// per vector (chip.tile.output_register > 0).
  std::uint64_t imageOutputRegisterBits = 0;
  std::uint64_t leadAddsPerRow = 0;  // adds left for a copy's lead after the tree (offset term), per row, all copies
  std::uint64_t vectorsPerCopy = 0; // ceil(vectorsPerRow / replicas)
  // Digital work per output row on the home tile's digital unit (accumulation + scale/bias, or the op itself),
  // and the units it is priced on (sim/timing/digital_work.h).
  std::uint64_t digitalAddsPerRow = 0, digitalOpsPerRow = 0;
  DigitalActions digitalActions;
  std::uint64_t memoryReadBitsPerRow = 0;  // digital steps: inputs read from the home memory

  /// Array pipeline cycles of one row: latency + (vectors − 1)·interval; 0 for non-analog steps.
  std::uint64_t arrayRowCycles() const {
    return vectorsPerCopy ? arrayLatency + (vectorsPerCopy - 1) * arrayInterval : 0;
  }
  /// Cycles the arrays are occupied by one row before the next row's vectors may enter: the copies together
  /// take `replicas` vectors per interval (they run ahead into the next row's positions, not in lock step).
  std::uint64_t arrayIssueCycles() const {
    return (vectorsPerRow * arrayInterval + static_cast<std::uint64_t>(replicas) - 1) / static_cast<std::uint64_t>(replicas);
  }
};

struct DataflowPlan {
  std::vector<DataflowStep> steps;  // one per program step, same order
  int inputRows = 1;                // rows of the graph input per image
  std::uint64_t inputRowBits = 0;
  int outputStep = -1;              // step producing the graph output
  /// Per tile: activation memory bits planned (Σ minimum rows × row bits) and capacity.
  std::vector<std::uint64_t> tileMinBits;
  std::uint64_t tileCapacityBits = 0;
  std::vector<bool> signedInputs;   // per analog layer: two input phases
};

/// The denoiser engine's view of block `id`: C×H×W from its first step's input, Cr from its first GEMM.
DenoiserBlockShape denoiserBlockShape(const wl::Program& p, int id, DenoiserMode mode);

/// The chip's denoiser engine for this program, or null when it has none (chip.denoiser.present): throws a
/// ConfigError if the model has blocks and the chip is told to have no engine, and a MappingError if a block
/// does not fit the engine. `firstStep` receives each block's first step (the one that runs the block).
std::unique_ptr<DenoiserCore> makeDenoiserEngine(const wl::Program& program, const ChipParams& chip,
                                                 std::map<int, std::size_t>& firstStep);

/// Rows of a tensor as the dataflow sees it: H for a C×H×W tensor, otherwise 1.
int tensorRows(const wl::Shape& s);

/// Builds the plan. Throws MappingError when a tile's memory cannot hold the minimum rows its steps need.
DataflowPlan planDataflow(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                          const std::vector<bool>& signedInputs);

}  // namespace mxsim
