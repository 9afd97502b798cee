// Contract: finds the denoiser blocks (Paper A) of a lowered program and turns each into what the denoiser
// engine's functional core runs: the block's input and output buffers, its shape and its weights
// (DenoiserWeights). A block is the steps tagged with one `mxsim_denoiser_<id>` (importer) and must be
//   h1 = ReLU(conv1×1(x)), h = ReLU(conv3×3(h1), pad 1, stride 1), μ = conv1×1(h), y = x − μ,
// optionally with a logσ² head: a second conv1×1 on h whose output no step reads (what
// tools/mxsim_py/training.py:add_logvar_heads exports). Anything else is a ModelError naming the model, the
// block and what does not fit. The functional engine runs each block through DenoiserCore at its first step
// and skips its other steps.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "models/denoiser/denoiser.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct DenoiserBlockPlan {
  int id = -1;                     // the block's `mxsim_denoiser_<id>`
  std::string name;                // its first step's name (for messages)
  std::size_t firstStep = 0;       // the step where the engine runs the whole block
  std::vector<std::size_t> steps;  // every step of the block (in program order)
  int input = -1, output = -1;     // buffers of x and y
  DenoiserBlockShape shape;        // mode: mean (the caller sets the mode it runs)
  DenoiserWeights weights;         // logVar / logVarBias empty when the model has no logσ² head
  bool hasLogVar() const { return weights.logVar.size() > 0; }
};

/// Every denoiser block of `program`, in order of first step. Throws ModelError if a block does not have the
/// structure above.
std::vector<DenoiserBlockPlan> planDenoiserBlocks(const wl::Program& program);

/// Throws ConfigError naming the model and the block if `mode` is sample and a block has no logσ² head.
void requireDenoiserMode(const wl::Program& program, const std::vector<DenoiserBlockPlan>& blocks, DenoiserMode mode);

}  // namespace mxsim
