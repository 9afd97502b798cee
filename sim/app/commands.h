// Contract: the CLI's commands as library functions (testable without the argument parser). Each throws
// mxsim::Error subclasses for user errors; nothing is written to an output path unless the command
// succeeded.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/progress.h"

namespace mxsim::app {

/// What a command prints besides its outputs and errors (docs/cli.md "Logging"): Quiet prints errors only;
/// Normal adds progress (ProgressMode) and the run's summary; Verbose adds each phase's wall time on stderr.
enum class Verbosity { Quiet, Normal, Verbose };

struct CommonOptions {
  std::string model;                  // ONNX file
  std::string arch;                   // architecture YAML
  std::vector<std::string> sets;      // key.path=value overrides
  std::uint64_t seed = 1;
  int threads = 0;                    // 0: all hardware threads
  std::vector<std::int64_t> inputShape;  // per-image input shape (--input-shape 3x224x224); empty: the model's
  Verbosity verbosity = Verbosity::Normal;
  ProgressMode progress = ProgressMode::Auto;  // run and infer
};

struct RunOptions : CommonOptions {
  std::string data = "fashion-mnist";  // fashion-mnist | random
  std::string dataDir;                 // default: Debian's dataset-fashion-mnist location
  std::size_t images = 0;              // 0: the whole test split (fashion-mnist) / 100 (random)
  int chips = 1;                       // Monte-Carlo chip instances (seeds seed, seed+1, ...)
  std::vector<std::string> times;      // --times: ages to evaluate ("1s", "1h", "1d", "1y")
  std::string out;                     // JSON report path ("" = none); the per-layer CSV goes next to it
  std::string vcd;                     // VCD waveform of block activity ("" = none)
  bool ideal = false;                  // --ideal: only the exact float model's accuracy (no chip, timing, energy)
  int pipelineImages = 1;              // images streamed through the dataflow pipeline (throughput)
};

struct InferOptions : CommonOptions {
  std::string input, output;  // NPY files
  bool ideal = false;
};

struct InspectOptions : CommonOptions {
  bool json = false;
};

int runCommand(const RunOptions& o);
/// Prints the architecture parameter reference (markdown) generated from the parameter declarations.
int paramsCommand();
int inferCommand(const InferOptions& o);
int inspectCommand(const InspectOptions& o);

std::string defaultModelPath();

}  // namespace mxsim::app
