// mxsim command-line interface: the only sc_main outside tests. Parses arguments with CLI11 (per-command
// --help with defaults, --x=v and --x v, "did you mean" for misspellings), dispatches to the commands in
// sim/app, and turns every error into one line on stderr and an exit status (docs/cli.md):
// 0 success, 1 bad input, 2 bad command line, 3 internal error.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <systemc>
#include <thread>
#include <vector>

#include "sim/app/commands.h"
#include "sim/arch/arch.h"
#include "sim/core/error.h"
#include "sim/core/suggest.h"
#include "sim/core/units.h"
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

const char* kSummary = "mxsim — simulator of mixed-signal (analog in-memory computing) DNN accelerators";

const char* kFooter = R"(Each command has its own help with every option and its default: mxsim run --help.
Options take their value as --images 100 or --images=100. docs/cli.md has the details.
Exit status: 0 success, 1 bad input (model, architecture, data, output paths, --set values; out of memory),
2 bad command line (unknown option, missing or malformed value), 3 internal error (a bug).)";

/// Each command's one-line summary (the command list) and its longer description (its own --help).
struct CommandText {
  const char* name;
  const char* summary;
  const char* details;
};
const CommandText kCommands[] = {
    {"run", "accuracy over a dataset on K chip instances, cycles, energy, power and area",
     R"(Accuracy over a dataset (ideal and on K Monte-Carlo chip instances), then cycles, energy and power per
layer from the SystemC timing model. --out writes the JSON report and a per-layer CSV next to it (same name,
.csv); --vcd a waveform of every block's busy/idle activity for GTKWave. --times also evaluates each chip
aged to those times since programming, with and without drift compensation. --pipeline-images N streams N
images back to back through a chip with per-tile memories and measures the steady-state throughput.
--ideal: only the exact float model's accuracy (no chip instances, calibration, timing or energy).
Output paths are checked before the run; a run writes all its outputs or none.)"},
    {"infer", "logits of NCHW float32 inputs (NPY) on one chip instance, or exact float math with --ideal",
     R"(Logits of NCHW float32 inputs (an NPY array [N, C, H, W]) on one chip instance calibrated on the inputs
themselves, or the exact float model with --ideal. Writes an NPY array [N, outputs].)"},
    {"inspect", "the lowered layer table: op, unit, shapes, MACs, params, arrays, utilisation",
     R"(The lowered layer table (op, unit, shapes, MACs, params, arrays, utilisation, replicas, round) and the
chip's components at full load; --json for the same as JSON.)"},
    {"params", "every architecture parameter: key, unit, default, range, meaning, source (markdown)",
     R"(Every architecture parameter --set and the YAML files accept: key, unit, default, allowed range, meaning
and source, as the markdown table of docs/config.md.)"},
    {"config", "the architecture a run uses: base: chain and --set resolved, defaults listed",
     R"(The architecture document a run with the same --arch and --set uses: a top-level base: (a preset name or
a YAML path) resolved, the --set overrides applied, as YAML; then every parameter it leaves out with its
default, as comments. Running with the printed document alone gives the same chip.)"},
    {"ops", "the ONNX operators the importer accepts, one per line",
     R"(The ONNX operators the importer accepts, one per line (details: docs/workloads.md).)"},
};

/// Help text columns beside the option names (the whole help fits 110 columns).
constexpr std::size_t kTextColumns = 76;

/// `text` broken at spaces into lines of at most `width` characters (CLI11 indents each continuation line).
std::string wrap(const std::string& text, std::size_t width) {
  std::string out, line;
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  return out + line;
}

/// Help layout: "--images N   meaning [default: all]", and a command's long description in its own help.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() { column_width(34); }
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_type_size() == 0 || opt->get_type_name().empty()) return "";
    return " " + opt->get_type_name();
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string d = opt->get_description();
    if (!opt->get_default_str().empty()) d += " [default: " + opt->get_default_str() + "]";
    if (opt->get_required()) d += " [required]";
    return wrap(d, kTextColumns);
  }
  std::string make_description(const CLI::App* app) const override {
    for (const auto& c : kCommands)
      if (app->get_name() == c.name) return std::string(c.details) + "\n\n";
    return CLI::Formatter::make_description(app);
  }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent() == nullptr) return "Usage: mxsim COMMAND [OPTIONS]\n";
    return fmt::format("Usage: mxsim {} [OPTIONS]\n", name);
  }
};

// ---- Validators: each returns "" or a message; CLI11 prefixes the option name and exits 2. ----

CLI::Validator integerIn(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        try {
          std::size_t pos = 0;
          const long long v = std::stoll(text, &pos);
          if (pos == text.size() && v >= min && v <= max) return "";
        } catch (const std::exception&) {
        }
        return fmt::format("'{}': expected an integer from {} to {}", text, min, max);
      },
      "", "integer");
}

/// A file or directory path: not empty (`--out ""` would mean "no report"), and not an option name (`--out
/// --images 3` would write a file called --images); "./-x" names a file that starts with a dash.
CLI::Validator pathValue() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty()) return "empty path";
        if (text.size() > 1 && text[0] == '-')
          return fmt::format("needs a path, got the option '{}' (a file whose name starts with '-' is ./{})", text,
                             text);
        return "";
      },
      "", "path");
}

CLI::Validator oneOf(std::vector<std::string> allowed, const char* what) {
  return CLI::Validator(
      [allowed, what](std::string& text) -> std::string {
        if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) return "";
        return fmt::format("'{}' is not a {} (allowed: {})", text, what, fmt::join(allowed, ", "));
      },
      "", "choice");
}

/// --set key.path=value: the syntax is checked here (exit 2); the key and value are checked against the
/// architecture's declarations when it is loaded (exit 1, the message starting with --set key.path).
CLI::Validator setAssignment() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0)
          return fmt::format(
              "'{}': expected key.path=value, e.g. chip.tile.array.adc.bits=6 (mxsim params lists "
              "the keys)",
              text);
        const std::string path = text.substr(0, eq);
        if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos)
          return fmt::format("'{}': empty key segment in '{}'", text, path);
        return "";
      },
      "", "assignment");
}

/// One --times entry: a non-negative, finite time with a unit ("1s", "1 h", "1d", "1y").
CLI::Validator timeValue() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double seconds = 0;
        try {
          seconds = mxsim::parseQuantity(text, mxsim::Dimension::Time, "--times");
        } catch (const mxsim::Error& e) {
          std::string msg = e.what();
          const std::string prefix = "--times: ";
          return msg.compare(0, prefix.size(), prefix) == 0 ? msg.substr(prefix.size()) : msg;
        }
        if (seconds < 0) return fmt::format("'{}' is negative", text);
        return "";
      },
      "", "time");
}

/// "3x224x224" → {3, 224, 224}; every entry a positive integer. False on a malformed or empty shape.
bool parseInputShape(const std::string& text, std::vector<std::int64_t>& shape) {
  shape.clear();
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, 'x');) {
    std::size_t pos = 0;
    long long v = 0;
    try {
      v = std::stoll(part, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (part.empty() || pos != part.size() || v <= 0 || v > (1LL << 31)) return false;
    shape.push_back(v);
  }
  return !shape.empty() && text.back() != 'x';
}

CLI::Validator inputShapeValue() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::vector<std::int64_t> shape;
        if (parseInputShape(text, shape)) return "";
        return fmt::format(
            "'{}': expected positive integers joined by 'x' (per image, without the batch), e.g. "
            "3x224x224",
            text);
      },
      "", "shape");
}

// ---- Suggestions for misspelled options and commands ----

std::vector<std::string> optionNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app->get_options())
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
  return names;
}

/// An argument the command did not expect: an unknown option (with the closest known one) or a stray value.
[[noreturn]] void rejectExtra(const CLI::App* app, const std::string& arg) {
  const std::string help = app->get_parent() ? fmt::format("mxsim {} --help", app->get_name()) : "mxsim --help";
  if (arg.size() > 1 && arg[0] == '-') {
    const std::string name = arg.substr(0, arg.find('='));
    const std::string guess = mxsim::closest(name, optionNames(app));
    if (!app->get_parent()) {  // before the command: say where it belongs if a command has it
      for (const CLI::App* sub : app->get_subcommands({}))
        for (const auto& known : optionNames(sub))
          if (known == name)
            throw UsageError(
                fmt::format("unknown option '{}' before the command; options come after it, e.g. "
                            "mxsim {} {} ...",
                            name, sub->get_name(), name));
    }
    const std::string where = app->get_parent() ? app->get_name() + ": " : "";
    throw UsageError(fmt::format("{}unknown option '{}'{} (see {})", where, name,
                                 guess.empty() ? std::string() : fmt::format("; did you mean {}?", guess), help));
  }
  if (!app->get_parent()) {
    std::vector<std::string> names;
    for (const auto& c : kCommands) names.emplace_back(c.name);
    const std::string guess = mxsim::closest(arg, names);
    throw UsageError(fmt::format("unknown command '{}'{} (commands: {}; see mxsim --help)", arg,
                                 guess.empty() ? std::string() : fmt::format("; did you mean '{}'?", guess),
                                 fmt::join(names, ", ")));
  }
  throw UsageError(
      fmt::format("{}: unexpected argument '{}' (each option takes one value; see {})", app->get_name(), arg, help));
}

// ---- Options ----

std::string hardwareThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return fmt::format("all hardware threads ({} here)", hw ? hw : 1);
}

struct Logging {
  bool quiet = false, verbose = false;
};

void addLogging(CLI::App* cmd, Logging& l) {
  cmd->add_flag("-q,--quiet", l.quiet, "print nothing but errors (no progress, no summary)");
  cmd->add_flag("-v,--verbose", l.verbose,
                "also log each phase's wall time on stderr (load, program, calibrate, "
                "evaluate, timing, write)");
}

struct ProgressFlags {
  bool on = false, off = false;
};

void addProgress(CLI::App* cmd, ProgressFlags& p) {
  cmd->add_flag("--progress", p.on,
                "show progress on stderr even when it is not a terminal (one line per stage "
                "and per 10 %)");
  cmd->add_flag("--no-progress", p.off,
                "never show progress (default: shown when stderr is a terminal and the "
                "run takes over a second)");
}

/// --arch and --set: the architecture file and its overrides (run, infer, inspect, config).
void addArch(CLI::App* cmd, std::string& arch, std::vector<std::string>& sets) {
  cmd->add_option("--arch", arch, "architecture YAML")
      ->type_name("A.yaml")
      ->check(pathValue())
      ->default_str("sim/presets/default.yaml");
  cmd->add_option("--set", sets,
                  "override one architecture parameter; repeatable, applied in order after --arch (keys: mxsim params)")
      ->type_name("KEY.PATH=VALUE")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(setAssignment());
}

void addCommon(CLI::App* cmd, mxsim::app::CommonOptions& o, std::string& inputShape) {
  cmd->add_option("--model", o.model, "ONNX model")
      ->type_name("M.onnx")
      ->check(pathValue())
      ->default_str("workloads/zoo/fmnist_cnn.onnx");
  addArch(cmd, o.arch, o.sets);
  cmd->add_option("--input-shape", inputShape,
                  "per-image input shape for models whose input has symbolic dimensions besides the batch")
      ->type_name("CxHxW")
      ->check(inputShapeValue())
      ->default_str("the model's");
}

void addSeedThreads(CLI::App* cmd, mxsim::app::CommonOptions& o, const char* seedMeaning) {
  cmd->add_option("--seed", o.seed, seedMeaning)->type_name("S")->check(integerIn(0, 1LL << 62))->capture_default_str();
  cmd->add_option("--threads", o.threads, "worker threads (results do not depend on it)")
      ->type_name("T")
      ->check(integerIn(1, 1024))
      ->default_str(hardwareThreads());
}

mxsim::ProgressMode progressMode(const std::string& cmd, const ProgressFlags& p, const Logging& l) {
  if (p.on && p.off) throw UsageError(cmd + ": --progress and --no-progress contradict each other");
  if (l.quiet || p.off) return mxsim::ProgressMode::Off;
  return p.on ? mxsim::ProgressMode::On : mxsim::ProgressMode::Auto;
}

mxsim::app::Verbosity verbosity(const std::string& cmd, const Logging& l) {
  if (l.quiet && l.verbose) throw UsageError(cmd + ": --quiet and --verbose contradict each other");
  return l.quiet     ? mxsim::app::Verbosity::Quiet
         : l.verbose ? mxsim::app::Verbosity::Verbose
                     : mxsim::app::Verbosity::Normal;
}

/// CLI11's messages for a missing value name the value's type; say what the user must do instead.
std::string usageMessage(const CLI::ParseError& e) {
  const std::string what = e.what();
  const auto colon = what.find(": ");
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && colon != std::string::npos &&
      what.find(" required ") != std::string::npos && what.size() > 8 &&
      what.compare(what.size() - 8, 8, " missing") == 0)
    return what.substr(0, colon) + " needs a value";
  return what;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kSummary << "\n\nUsage: mxsim COMMAND [OPTIONS]   (commands: run, infer, inspect, params, config, ops)\n"
              << kFooter << "\n";
    return kExitUsage;
  }
  // "mxsim help [COMMAND]" is "mxsim [COMMAND] --help".
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args[0] == "help") {
    args.erase(args.begin());
    if (!args.empty() && std::none_of(std::begin(kCommands), std::end(kCommands),
                                      [&](const CommandText& c) { return args[0] == c.name; })) {
      std::vector<std::string> names;
      for (const auto& c : kCommands) names.emplace_back(c.name);
      const std::string guess = mxsim::closest(args[0], names);
      throw UsageError(fmt::format("help: unknown command '{}'{} (commands: {})", args[0],
                                   guess.empty() ? std::string() : fmt::format("; did you mean '{}'?", guess),
                                   fmt::join(names, ", ")));
    }
    args.emplace_back("--help");
  }

  CLI::App app(kSummary, "mxsim");
  app.formatter(std::make_shared<HelpFormatter>());
  app.footer(kFooter);
  app.allow_extras();  // unknown words reach rejectExtra, which suggests the closest option or command
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a repeated option: last wins
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");
  std::map<std::string, CLI::App*> cmd;
  for (const auto& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    sub->allow_extras();
    sub->group("Commands");
    sub->footer("Exit status: 0 success, 1 bad input, 2 bad command line, 3 internal error (docs/cli.md).");
    cmd[c.name] = sub;
  }

  Logging runLog, inferLog;
  ProgressFlags runProgress, inferProgress;
  std::string runShape, inferShape, inspectShape;

  mxsim::app::RunOptions run;
  CLI::App* r = cmd["run"];
  addCommon(r, run, runShape);
  addSeedThreads(r, run, "seed of chip instance k is S+k-1 (static variation and read noise); also of --data random");
  r->add_option("--data", run.data, "dataset: the Debian package dataset-fashion-mnist, or random unlabelled images")
      ->type_name("fashion-mnist|random")
      ->check(oneOf({"fashion-mnist", "random"}, "dataset"))
      ->capture_default_str();
  r->add_option("--data-dir", run.dataDir, "directory of the Fashion-MNIST IDX files")
      ->type_name("DIR")
      ->check(pathValue())
      ->default_str("/usr/share/dataset-fashion-mnist");
  r->add_option("--images", run.images, "images to evaluate (the first N of the test split)")
      ->type_name("N")
      ->check(integerIn(1, 100000000))
      ->default_str("all 10,000 of fashion-mnist's test split; 100 random");
  CLI::Option* chips = r->add_option("--chips", run.chips, "Monte-Carlo chip instances (seeds S, S+1, ...)")
                           ->type_name("K")
                           ->check(integerIn(1, 100000))
                           ->capture_default_str();
  CLI::Option* times =
      r->add_option("--times", run.times,
                    "also evaluate each chip aged to these times since programming, with and without drift "
                    "compensation; comma-separated, repeatable")
          ->type_name("T1,T2,...")
          ->delimiter(',')
          ->allow_extra_args(false)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->check(timeValue())
          ->default_str("none; e.g. 1s,1h,1d,1y");
  r->add_option("--out", run.out, "JSON report; the per-layer CSV goes next to it (same name, .csv)")
      ->type_name("REPORT.json")
      ->check(pathValue())
      ->default_str("none");
  CLI::Option* vcd = r->add_option("--vcd", run.vcd, "waveform of every block's busy/idle activity (GTKWave)")
                         ->type_name("WAVES.vcd")
                         ->check(pathValue())
                         ->default_str("none");
  CLI::Option* pipeline =
      r->add_option("--pipeline-images", run.pipelineImages,
                    "images streamed back to back through the chip to measure steady-state throughput (1: the "
                    "bottleneck stage bounds it)")
          ->type_name("N")
          ->check(integerIn(1, 4096))
          ->capture_default_str();
  r->add_flag("--ideal", run.ideal,
              "only the exact float model's accuracy: no chip instances, calibration, timing or energy; not with "
              "--chips, --times, --vcd or --pipeline-images");
  addProgress(r, runProgress);
  addLogging(r, runLog);

  mxsim::app::InferOptions infer;
  CLI::App* i = cmd["infer"];
  i->add_option("--input", infer.input, "NCHW float32 images (NPY)")
      ->type_name("X.npy")
      ->check(pathValue())
      ->required();
  i->add_option("--output", infer.output, "logits (NPY, float32 [N, outputs])")
      ->type_name("Y.npy")
      ->check(pathValue())
      ->required();
  addCommon(i, infer, inferShape);
  addSeedThreads(i, infer, "seed of the chip instance (static variation and read noise)");
  i->add_flag("--ideal", infer.ideal, "exact float math instead of a chip instance");
  addProgress(i, inferProgress);
  addLogging(i, inferLog);

  mxsim::app::InspectOptions inspect;
  CLI::App* s = cmd["inspect"];
  addCommon(s, inspect, inspectShape);
  s->add_flag("--json", inspect.json, "the table as JSON");

  std::string configArch;
  std::vector<std::string> configSets;
  addArch(cmd["config"], configArch, configSets);

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes the arguments reversed
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    const CLI::App* chosen = &app;
    for (const auto* sub : app.get_subcommands()) chosen = sub;
    std::cout << chosen->help();
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return 0;
    const auto subs = app.get_subcommands();
    const std::string help = subs.empty() ? "mxsim --help" : fmt::format("mxsim {} --help", subs.back()->get_name());
    throw UsageError(
        fmt::format("{}{} (see {})", subs.empty() ? "" : subs.back()->get_name() + ": ", usageMessage(e), help));
  }
  if (version) {
    fmt::print("mxsim {} (SystemC {})\n", MXSIM_VERSION, sc_core::sc_release());
    return 0;
  }
  if (!app.remaining().empty()) rejectExtra(&app, app.remaining().front());
  const auto subs = app.get_subcommands();
  if (subs.empty()) {
    std::cerr << app.help();
    return kExitUsage;
  }
  const CLI::App* chosen = subs.front();
  if (!chosen->remaining().empty()) rejectExtra(chosen, chosen->remaining().front());
  const std::string name = chosen->get_name();

  if (name == "run") {
    parseInputShape(runShape, run.inputShape);
    std::vector<std::string> chipFlags;  // flags about chip instances, which --ideal has none of
    for (const CLI::Option* o : {chips, times, vcd, pipeline})
      if (o->count() > 0) chipFlags.push_back(o->get_name());
    if (run.ideal && !chipFlags.empty())
      throw UsageError(
          fmt::format("run: --ideal evaluates only the exact float model (no chip instances, timing "
                      "or waveform), so it cannot be combined with {}",
                      fmt::join(chipFlags, ", ")));
    run.progress = progressMode(name, runProgress, runLog);
    run.verbosity = verbosity(name, runLog);
    return mxsim::app::runCommand(run);
  }
  if (name == "infer") {
    parseInputShape(inferShape, infer.inputShape);
    infer.progress = progressMode(name, inferProgress, inferLog);
    infer.verbosity = verbosity(name, inferLog);
    return mxsim::app::inferCommand(infer);
  }
  if (name == "inspect") {
    parseInputShape(inspectShape, inspect.inputShape);
    return mxsim::app::inspectCommand(inspect);
  }
  if (name == "params") return mxsim::app::paramsCommand();
  if (name == "config") {
    std::cout << mxsim::effectiveArchText(configArch.empty() ? mxsim::defaultArchPath() : configArch, configSets);
    return 0;
  }
  for (const auto& op : mxsim::wl::supportedOnnxOps()) std::cout << op << "\n";
  return 0;
}

/// Back the heap with transparent huge pages: glibc (2.35 and later) madvises its heap for THP when the
/// tunable glibc.malloc.hugetlb=1 is set, which it reads only at start-up, so the process re-executes itself
/// once with it (same PID, arguments and environment otherwise). ISAAC's ResNet-18 run touches ~340 MB once:
/// 82 k page faults become 16 k and user time drops ~12 % (docs/performance.md). Skipped when the kernel has
/// THP off, when GLIBC_TUNABLES already sets it, or with MXSIM_NO_HUGEPAGES=1; if exec fails the run goes on.
void preferHugePages(char* argv[]) {
  const char* off = std::getenv("MXSIM_NO_HUGEPAGES");
  if ((off && *off && std::strcmp(off, "0") != 0) || std::getenv("MXSIM_HUGEPAGES_SET")) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string value = tunables ? tunables : "";
  if (value.find("glibc.malloc.hugetlb") != std::string::npos) return;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(thp, mode);
  if (!thp || mode.find("[never]") != std::string::npos) return;
  value = value.empty() ? "glibc.malloc.hugetlb=1" : value + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0 || setenv("MXSIM_HUGEPAGES_SET", "1", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: carry on with ordinary pages
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  preferHugePages(argv);
  // The engine allocates and frees batch-sized temporaries (tens of MB) per layer. glibc's defaults hand
  // blocks above 32 MB-ish to mmap and trim the heap top after each free, so every batch page-faults its
  // buffers in again (~20 % of a noisy run in perf, docs/performance.md). Keep freed memory in the process.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  try {
    return dispatch(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "mxsim: " << mxsim::oneLine(e.what()) << "\n";
    return kExitUsage;
  } catch (const mxsim::Error& e) {
    std::cerr << "mxsim: error: " << e.what() << "\n";
    return kExitUserError;
  } catch (const std::bad_alloc&) {
    std::cerr << "mxsim: error: out of memory: the run needs more memory than this machine has (try fewer "
                 "--images, --chips or --threads, or a smaller model or chip)\n";
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "mxsim: internal error: " << mxsim::oneLine(e.what()) << "\n";
    return kExitInternal;
  }
}
