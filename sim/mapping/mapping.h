// Contract: places each analog step's K × Cout weight matrix on the chip: cut into array-sized blocks
// (rows × cols from the architecture), one set per weight bit-slice, assigned to arrays in order, tile by
// tile, weight-stationary.
// A model that needs more arrays than the chip has is a MappingError stating both numbers, or with
// chip.mapping.overflow: time_multiplex is split into rounds of whole layers that each fit the chip (a
// single layer larger than the chip is still an error). chip.mapping.replication: auto gives spare arrays
// to extra copies of layers. A layer whose inputs + output exceed the global SRAM is an error or a counted
// spill, per chip.sram.capacity_policy. Policies and formulas: docs/mapping.md.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/arch/arch.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct ArrayBlock {
  int slice = 0;               // weight bit-slice held (0 when weights are analog)
  int rowStart = 0, rows = 0;  // slice of K
  int colStart = 0, cols = 0;  // slice of Cout
  int tile = 0, slot = 0;      // physical location
  int arrayIndex = 0;          // tile * arraysPerTile + slot
};

/// A dense sub-matrix of a layer's K × Cout weights, tiled onto arrays: the whole layer, or for a grouped
/// convolution a run of consecutive groups whose block-diagonal weights fit one array's rows (the zeros
/// between packs are never placed on an array).
struct Pack {
  int rowStart = 0, rows = 0;  // slice of K
  int colStart = 0, cols = 0;  // slice of Cout
  int rowBlocks = 0, colBlocks = 0;
  int firstRowBlock = 0;       // layer-wide index of its first row block (keys noise streams, ADC instances)
  int firstBlock = 0;          // index of its first block in LayerMapping::blocks
};

struct LayerMapping {
  int step = -1;          // index into Program::steps
  int rowBlocks = 0;      // row blocks of all packs (layer-wide row-block indices run 0 .. rowBlocks-1)
  int colBlocks = 0;      // column blocks of the widest pack
  int slices = 1;
  std::vector<Pack> packs;
  std::vector<ArrayBlock> blocks;  // pack by pack; in a pack, [(rb * slices + s) * pack.colBlocks + cb]
  const ArrayBlock& block(const Pack& p, int rb, int s, int cb) const {
    return blocks[static_cast<std::size_t>(p.firstBlock + (rb * slices + s) * p.colBlocks + cb)];
  }
  double utilisation = 0;          // weight cells / cells of the arrays it occupies (one copy)
  double rowUtilisation = 0;       // rows driven / rows of those arrays (input lines in use)
  double colUtilisation = 0;       // columns read / columns of those arrays (ADC inputs in use)
  int round = 0;                   // time-multiplexing round (0 when the model fits the chip)
  int replicas = 1;                // copies on the chip (chip.mapping.replication); each takes a share of vectors
  /// Copies 1 .. replicas-1 of `blocks`, same geometry on their own arrays: copy r, block i at
  /// [(r - 1) * blocks.size() + i].
  std::vector<ArrayBlock> replicaBlocks;
  const ArrayBlock& replicaBlock(int r, std::size_t i) const {
    return r == 0 ? blocks[i] : replicaBlocks[static_cast<std::size_t>(r - 1) * blocks.size() + i];
  }
  /// Arrays the layer occupies, all copies.
  int arrays() const { return static_cast<int>(blocks.size()) * replicas; }
  /// Of `total` vectors, those copy r takes: ⌈total / replicas⌉ each, the last copies the remainder (or none).
  std::uint64_t copyVectors(std::uint64_t total, int r) const {
    const auto copies = static_cast<std::uint64_t>(replicas);
    const std::uint64_t each = (total + copies - 1) / copies;
    const std::uint64_t first = std::min(total, each * static_cast<std::uint64_t>(r));
    return std::min(each, total - first);
  }
};

struct Mapping {
  std::vector<LayerMapping> layers;  // one per analog step, in program order
  std::vector<int> layerOfStep;      // step index -> index in layers, or -1
  std::vector<std::uint64_t> spillBitsOfStep;  // activation bits that do not fit the SRAM (spill policy)
  int arraysUsed = 0;       // arrays holding weights at a time: the largest round's, replicas included
  int arraysNeeded = 0;     // Σ layers' arrays over all rounds, replicas included
  int arraysAvailable = 0;
  int rounds = 1;           // time-multiplexing rounds (1: the model fits the chip, programmed once)
  std::vector<int> roundArrays;  // arrays of each round
  MappingParams policy;          // the chip.mapping policies this mapping was made with
  bool timeMultiplexed() const { return rounds > 1; }
  /// Arrays holding extra copies (chip.mapping.replication).
  int replicaArrays() const {
    int n = 0;
    for (const LayerMapping& lm : layers) n += lm.arrays() - static_cast<int>(lm.blocks.size());
    return n;
  }
};

Mapping mapProgram(const wl::Program& program, const ChipParams& chip);

}  // namespace mxsim
