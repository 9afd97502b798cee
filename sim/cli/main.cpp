// mxsim command-line interface: the only sc_main outside tests. Parses arguments, dispatches to the
// commands in sim/app, and turns every user error into one line on stderr and a non-zero exit.
#include <fmt/format.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "sim/app/commands.h"
#include "sim/core/error.h"
#include "workloads/onnx/onnx_importer.h"

namespace {

// SystemC prints a copyright banner on stdout when its kernel starts unless this is set; the CLI's stdout
// belongs to its reports. Runs during static initialisation, before sc_main creates the kernel.
const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

constexpr int kExitUserError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 3;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsage = R"(mxsim — simulator of mixed-signal (analog in-memory computing) DNN accelerators

Usage:
  mxsim run     [--model M.onnx] [--arch A.yaml] [--set key.path=value]... [--data fashion-mnist|random]
                [--data-dir DIR] [--images N] [--chips K] [--seed S] [--threads T] [--out REPORT.json]
                [--times 1s,1h,1d,1y] [--vcd WAVES.vcd] [--pipeline-images N] [--no-progress] [--ideal]
  mxsim infer   --input X.npy --output Y.npy [--model M.onnx] [--arch A.yaml] [--set k=v]... [--ideal]
                [--seed S] [--threads T]
  mxsim inspect [--model M.onnx] [--arch A.yaml] [--set k=v]... [--json]
  (all three also take --input-shape CxHxW for models whose input has symbolic dimensions besides the batch)
  mxsim params
  mxsim ops
  mxsim --help | --version

Commands:
  run      accuracy over a dataset (ideal and on K Monte-Carlo chip instances), cycles, energy and power
           per layer from the SystemC timing model; --out writes the JSON report. --times also evaluates
           each chip aged to those times since programming, with and without drift compensation. With --out,
           a per-layer CSV is written next to the JSON (same name, .csv); --vcd writes a waveform of every
           block's busy/idle activity (arrays, ADCs, DACs, buffers, links, denoiser cores) for GTKWave.
           --pipeline-images N streams N images back to back through a chip with per-tile memories and
           measures the steady-state throughput (default 1: the bottleneck stage bounds it).
           --ideal: only the exact float model's accuracy over the dataset (accuracy.ideal_top1): no chip
           instances, calibration, timing or energy, so it is fast; not with --chips, --times or --vcd.
  infer    logits of NCHW float32 inputs (NPY) on one chip instance, or exact float math with --ideal.
  inspect  the lowered layer table: op, unit, shapes, MACs, params, arrays, utilisation.
  params   every architecture parameter: key, unit, default, allowed range, meaning, source (markdown).
  ops      the ONNX operators the importer accepts, one per line (details: docs/workloads.md).

Defaults: --model workloads/models/fmnist_cnn.onnx, --arch sim/presets/default.yaml, --data fashion-mnist
(Debian package dataset-fashion-mnist; full 10,000-image test split), --chips 1, --seed 1, --threads all.
Exit status: 0 success, 1 bad input (model, architecture, data, output paths; out of memory), 2 bad command line,
3 internal error (a bug). Output paths are checked before the run; a run writes all its outputs or none.
)";

class Args {
 public:
  Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) m_args.emplace_back(argv[i]);
  }
  bool done() const { return m_pos >= m_args.size(); }
  std::string next() { return m_args[m_pos++]; }
  std::string value(const std::string& flag) {
    if (done()) throw UsageError(fmt::format("{} needs a value", flag));
    return next();
  }
  /// A file or directory path: an empty one is a usage error (`--out ""` would otherwise mean "no report").
  std::string path(const std::string& flag) {
    std::string v = value(flag);
    if (v.empty()) throw UsageError(fmt::format("{}: empty path", flag));
    return v;
  }

 private:
  std::vector<std::string> m_args;
  size_t m_pos = 0;
};

template <class T>
T parseNumber(const std::string& flag, const std::string& text, long long min, long long max) {
  try {
    size_t pos = 0;
    const long long v = std::stoll(text, &pos);
    if (pos != text.size() || v < min || v > max) throw std::out_of_range("range");
    return static_cast<T>(v);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("{} '{}': expected an integer from {} to {}", flag, text, min, max));
  }
}

/// "3x224x224" → {3, 224, 224}; every entry a positive integer.
std::vector<std::int64_t> parseInputShape(const std::string& text) {
  std::vector<std::int64_t> shape;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, 'x');) {
    std::size_t pos = 0;
    long long v = 0;
    try {
      v = std::stoll(part, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (part.empty() || pos != part.size() || v <= 0 || v > (1LL << 31))
      throw UsageError(fmt::format("--input-shape '{}': expected positive integers joined by 'x' (per image, "
                                   "without the batch), e.g. 3x224x224",
                                   text));
    shape.push_back(v);
  }
  if (shape.empty()) throw UsageError("--input-shape: empty shape");
  return shape;
}

/// Handles flags shared by all commands; returns false if `flag` is not one of them.
bool commonFlag(const std::string& flag, Args& a, mxsim::app::CommonOptions& o) {
  if (flag == "--model") o.model = a.path(flag);
  else if (flag == "--arch") o.arch = a.path(flag);
  else if (flag == "--set") o.sets.push_back(a.value(flag));
  else if (flag == "--seed") o.seed = parseNumber<std::uint64_t>(flag, a.value(flag), 0, (1LL << 62));
  else if (flag == "--threads") o.threads = parseNumber<int>(flag, a.value(flag), 1, 1024);
  else if (flag == "--input-shape") o.inputShape = parseInputShape(a.value(flag));
  else return false;
  return true;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    fmt::print("mxsim {} (SystemC {})\n", MXSIM_VERSION, sc_core::sc_release());
    return 0;
  }
  Args a(argc, argv, 2);
  auto unknown = [&](const std::string& flag) {
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    throw UsageError(fmt::format("{}: unknown option '{}' (see mxsim --help)", cmd, flag));
  };
  if (cmd == "run") {
    mxsim::app::RunOptions o;
    std::vector<std::string> chipFlags;  // flags about chip instances, which --ideal has none of
    while (!a.done()) {
      const std::string f = a.next();
      if (commonFlag(f, a, o)) continue;
      if (f == "--chips" || f == "--times" || f == "--vcd" || f == "--pipeline-images") chipFlags.push_back(f);
      if (f == "--data") o.data = a.value(f);
      else if (f == "--data-dir") o.dataDir = a.path(f);
      else if (f == "--images") o.images = parseNumber<std::size_t>(f, a.value(f), 1, 100000000);
      else if (f == "--chips") o.chips = parseNumber<int>(f, a.value(f), 1, 100000);
      else if (f == "--out") o.out = a.path(f);
      else if (f == "--vcd") o.vcd = a.path(f);
      else if (f == "--pipeline-images") o.pipelineImages = parseNumber<int>(f, a.value(f), 1, 4096);
      else if (f == "--times") {
        std::stringstream list(a.value(f));
        for (std::string t; std::getline(list, t, ',');) o.times.push_back(t);
      }
      else if (f == "--no-progress") o.progress = false;
      else if (f == "--ideal") o.ideal = true;
      else unknown(f);
    }
    if (o.ideal && !chipFlags.empty())
      throw UsageError(fmt::format("run: --ideal evaluates only the exact float model (no chip instances, timing "
                                   "or waveform), so it cannot be combined with {}",
                                   fmt::join(chipFlags, ", ")));
    return mxsim::app::runCommand(o);
  }
  if (cmd == "infer") {
    mxsim::app::InferOptions o;
    while (!a.done()) {
      const std::string f = a.next();
      if (commonFlag(f, a, o)) continue;
      if (f == "--input") o.input = a.path(f);
      else if (f == "--output") o.output = a.path(f);
      else if (f == "--ideal") o.ideal = true;
      else unknown(f);
    }
    if (o.input.empty() || o.output.empty()) throw UsageError("infer: --input and --output are required");
    return mxsim::app::inferCommand(o);
  }
  if (cmd == "inspect") {
    mxsim::app::InspectOptions o;
    while (!a.done()) {
      const std::string f = a.next();
      if (commonFlag(f, a, o)) continue;
      if (f == "--json") o.json = true;
      else unknown(f);
    }
    return mxsim::app::inspectCommand(o);
  }
  if (cmd == "params") {
    if (!a.done()) throw UsageError("params takes no options");
    return mxsim::app::paramsCommand();
  }
  if (cmd == "ops") {
    if (!a.done()) throw UsageError("ops takes no options");
    for (const auto& op : mxsim::wl::supportedOnnxOps()) std::cout << op << "\n";
    return 0;
  }
  throw UsageError(fmt::format("unknown command '{}' (commands: run, infer, inspect, params, ops; see mxsim --help)", cmd));
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  // The engine allocates and frees batch-sized temporaries (tens of MB) per layer. glibc's defaults hand
  // blocks above 32 MB-ish to mmap and trim the heap top after each free, so every batch page-faults its
  // buffers in again (~20 % of a noisy run in perf, docs/performance.md). Keep freed memory in the process.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  try {
    return dispatch(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "mxsim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const mxsim::Error& e) {
    std::cerr << "mxsim: error: " << e.what() << "\n";
    return kExitUserError;
  } catch (const std::bad_alloc&) {
    std::cerr << "mxsim: error: out of memory: the run needs more memory than this machine has (try fewer "
                 "--images, --chips or --threads, or a smaller model or chip)\n";
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "mxsim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
