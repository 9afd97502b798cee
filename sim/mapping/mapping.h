// Contract: places each analog step's K × Cout weight matrix on the chip: cut into array-sized blocks
// (rows × cols from the architecture), assigned to arrays in order, tile by tile, weight-stationary.
// A model that needs more arrays than the chip has is a MappingError stating both numbers.
#pragma once
#include <vector>

#include "sim/arch/arch.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct ArrayBlock {
  int rowStart = 0, rows = 0;  // slice of K
  int colStart = 0, cols = 0;  // slice of Cout
  int tile = 0, slot = 0;      // physical location
  int arrayIndex = 0;          // tile * arraysPerTile + slot
};

struct LayerMapping {
  int step = -1;          // index into Program::steps
  int rowBlocks = 0, colBlocks = 0;
  std::vector<ArrayBlock> blocks;  // row-block major: blocks[rb * colBlocks + cb]
  double utilisation = 0;          // used cells / cells of the arrays it occupies
};

struct Mapping {
  std::vector<LayerMapping> layers;  // one per analog step, in program order
  std::vector<int> layerOfStep;      // step index -> index in layers, or -1
  int arraysUsed = 0;
  int arraysAvailable = 0;
};

Mapping mapProgram(const wl::Program& program, const ChipParams& chip);

}  // namespace mxsim
