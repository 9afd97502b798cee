#include "sim/app/commands.h"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "sim/arch/arch.h"
#include "sim/core/error.h"
#include "sim/core/progress.h"
#include "sim/engine/functional_engine.h"
#include "sim/mapping/mapping.h"
#include "sim/report/report.h"
#include "sim/timing/timing_engine.h"
#include "workloads/data/dataset.h"
#include "workloads/data/npy.h"
#include "workloads/onnx/onnx_importer.h"

namespace mxsim::app {

using nlohmann::json;

std::string defaultModelPath() { return std::string(MXSIM_SOURCE_DIR) + "/workloads/zoo/fmnist_cnn.onnx"; }

namespace {

/// A JSON document as text. Paths, chip names and --set values may hold bytes that are not UTF-8 (a Linux file
/// name can); they are written as U+FFFD rather than failing after the whole run (nlohmann's default throws).
std::string jsonText(const json& doc) { return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

/// The inputs a command reads, for checkOutputPaths: no output may overwrite one of them.
std::vector<NamedPath> inputPaths(const CommonOptions& o) {
  return {{"--model", o.model.empty() ? defaultModelPath() : o.model},
          {"--arch", o.arch.empty() ? defaultArchPath() : o.arch}};
}

struct Loaded {
  std::string modelPath, archPath;
  std::string archYaml;  // the architecture document as run: base: chain and --set resolved (arch.effective_yaml)
  ChipParams chip;
  wl::Program program;
  Mapping mapping;
};

/// `implicitShape`: the per-image shape of the data at hand (infer's input array), used for models whose
/// input has symbolic dimensions when --input-shape is not given.
/// `bufferSpillNote`: map as if chip.sram.capacity_policy were spill (inspect shows the table for any buffer
/// size) and say in it which layers do not fit.
Loaded load(const CommonOptions& o, const wl::Shape* implicitShape = nullptr, const std::string& implicitSource = "",
            std::string* bufferSpillNote = nullptr) {
  Loaded l;
  l.modelPath = o.model.empty() ? defaultModelPath() : o.model;
  l.archPath = o.arch.empty() ? defaultArchPath() : o.arch;
  const YAML::Node arch = resolvedArchYaml(l.archPath, o.sets);
  l.chip = chipParamsOf(arch, l.archPath, o.sets);
  l.archYaml = yamlText(arch);
  wl::ImportOptions io;
  if (!o.inputShape.empty()) {
    io.inputShape = o.inputShape;
  } else if (implicitShape) {
    io.inputShape = *implicitShape;
    io.inputShapeSource = implicitSource;
  }
  l.program = wl::importOnnx(l.modelPath, io);
  if (bufferSpillNote && l.chip.sram.capacityPolicy == SramCapacityPolicy::Error) {
    ChipParams lenient = l.chip;
    lenient.sram.capacityPolicy = SramCapacityPolicy::Spill;
    l.mapping = mapProgram(l.program, lenient);
    std::size_t over = 0;
    for (auto bits : l.mapping.spillBitsOfStep) over += bits > 0;
    if (over)
      *bufferSpillNote = fmt::format(
          "note: {} layer(s) need more activation buffer than chip.sram.capacity ({}); `mxsim run` needs a larger "
          "buffer or chip.sram.capacity_policy: spill",
          over, formatQuantity(l.chip.sram.capacityBytes, Dimension::Bytes));
    return l;
  }
  l.mapping = mapProgram(l.program, l.chip);
  return l;
}

/// The random dataset is held in memory whole: refuse up front when it alone would take more than half of the
/// machine's memory (--images 100000000 of a 28x28 model is 313 GB) rather than fail in the allocator.
void requireMemoryFor(std::size_t images, const wl::Shape& imageShape, const char* option) {
  const double bytes = static_cast<double>(images) * static_cast<double>(wl::numel(imageShape)) * sizeof(float);
  const long pages = sysconf(_SC_PHYS_PAGES), pageBytes = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageBytes <= 0) return;
  const double physical = static_cast<double>(pages) * static_cast<double>(pageBytes);
  if (bytes > physical / 2)
    throw DataError(fmt::format("{} {}: the images alone need {} ({} values of 4 bytes each), more than half of "
                                "this machine's {} of memory; use fewer images",
                                option, images, formatQuantity(bytes, Dimension::Bytes),
                                fmt::format("{} x {}", images, wl::numel(imageShape)),
                                formatQuantity(physical, Dimension::Bytes)));
}

int threadCount(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

void requireShape(const wl::Shape& modelShape, const wl::Shape& dataShape, const std::string& what) {
  if (modelShape != dataShape) {
    throw DataError(fmt::format("{}: images have shape {} but the model's input is {}", what,
                                wl::shapeText(dataShape), wl::shapeText(modelShape)));
  }
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

double sampleStd(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

json layerTableJson(const Loaded& l) {
  json rows = json::array();
  for (size_t s = 0; s < l.program.steps.size(); ++s) {
    const wl::Step& step = l.program.steps[s];
    const int li = l.mapping.layerOfStep[s];
    rows.push_back({{"name", step.name},
                    {"op", step.op},
                    {"unit", wl::unitName(step.unit())},
                    {"in_shape", step.inShape},
                    {"out_shape", step.outShape},
                    {"macs", step.macsPerImage()},
                    {"params", step.params()},
                    {"arrays", li >= 0 ? l.mapping.layers[li].arrays() : 0},
                    {"utilisation", li >= 0 ? json(l.mapping.layers[li].utilisation) : json(nullptr)},
                    {"row_utilisation", li >= 0 ? json(l.mapping.layers[li].rowUtilisation) : json(nullptr)},
                    {"col_utilisation", li >= 0 ? json(l.mapping.layers[li].colUtilisation) : json(nullptr)},
                    {"replicas", li >= 0 ? json(l.mapping.layers[li].replicas) : json(nullptr)},
                    {"round", li >= 0 ? json(l.mapping.layers[li].round) : json(nullptr)}});
  }
  return rows;
}

/// The chip.mapping policies and what they gave (docs/mapping.md); the run adds the reprogramming cost.
json mappingJson(const Loaded& l) {
  const Mapping& m = l.mapping;
  json layers = json::array();
  for (const LayerMapping& lm : m.layers) {
    layers.push_back({{"name", l.program.steps[static_cast<std::size_t>(lm.step)].name}, {"arrays", lm.arrays()},
                      {"replicas", lm.replicas}, {"round", lm.round}});
  }
  return {{"arrays_used", m.arraysUsed},        {"arrays_available", m.arraysAvailable},
          {"arrays_needed", m.arraysNeeded},    {"policy", policyName(m.policy.overflow)},
          {"replication", policyName(m.policy.replication)}, {"multiplex_batch", m.policy.multiplexBatch},
          {"rounds", m.rounds},                 {"round_arrays", m.roundArrays},
          {"layers", layers}};
}

/// One line: arrays used, rounds, replicas.
std::string mappingSummary(const Mapping& m) {
  std::string text = fmt::format("{} of {} arrays", m.arraysUsed, m.arraysAvailable);
  if (m.timeMultiplexed()) {
    text += fmt::format(", {} rounds (time-multiplexed: {} arrays needed, reprogrammed {})", m.rounds, m.arraysNeeded,
                        m.policy.multiplexBatch == 1 ? std::string("for every image")
                                                     : fmt::format("once per {} images", m.policy.multiplexBatch));
  }
  if (m.replicaArrays() > 0) text += fmt::format(", {} of them hold replicas", m.replicaArrays());
  return text;
}

/// The report's "model" section: what ran.
json modelJson(const Loaded& l) {
  return {{"path", l.modelPath}, {"params", l.program.totalParams()},
          {"macs_per_image", l.program.totalMacsPerImage()}, {"input_shape", l.program.buffers[l.program.input]}};
}

/// The report's "arch" section: the chip it ran on.
json archJson(const Loaded& l, const RunOptions& o) {
  // Running with the document the run used (l.archYaml) alone gives the same chip.
  return {{"path", l.archPath}, {"name", l.chip.name}, {"overrides", o.sets}, {"clock_hz", l.chip.clockHz},
          {"tiles", l.chip.tiles}, {"arrays_per_tile", l.chip.arraysPerTile},
          {"array_rows", l.chip.array.xbar.rows}, {"array_cols", l.chip.array.xbar.cols},
          {"effective_yaml", l.archYaml}, {"effective_hash", textHash(std::string(MXSIM_VERSION) + "\n" + l.archYaml)}};
}

/// `run --ideal`: the exact float model's top-1 over the dataset and nothing else (no chip instance, no
/// calibration, no timing or energy). The report keeps model, arch, run and accuracy.{ideal_top1, images};
/// the chip's sections are absent (docs/report.md).
int runIdeal(const RunOptions& o, const Loaded& l, const wl::Dataset& test, int threads,
             std::chrono::steady_clock::time_point wallStart, Progress& progress, PhaseLog& phases) {
  const FunctionalEngine engine(l.program, l.chip, l.mapping);
  const auto nImages = static_cast<std::uint64_t>(test.images.rows());
  progress.setTotal(nImages);
  progress.stage("ideal float model: evaluating", nImages);
  const std::uint64_t correct = engine.countCorrect(test.images, test.labels, nullptr, threads,
                                                    [&](std::uint64_t n) { progress.advance(n); });
  phases.mark("evaluate", "ideal float model");
  const double top1 = 100.0 * static_cast<double>(correct) / static_cast<double>(nImages);
  const double wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  const json report = {
      {"mxsim_version", MXSIM_VERSION},
      {"model", modelJson(l)},
      {"arch", archJson(l, o)},
      {"run", {{"data", o.data}, {"seed", o.seed}, {"chips", 0}, {"ideal", true}, {"threads", threads},
               {"wall_seconds", wallSeconds}}},
      {"accuracy", {{"ideal_top1", top1}, {"images", nImages}}},
  };
  if (!o.out.empty()) writeFileAtomic(o.out, jsonText(report));
  phases.mark("write");
  progress.finish();
  phases.summary();
  if (o.verbosity == Verbosity::Quiet) return 0;
  fmt::print("mxsim run --ideal  model {} ({} params, {:.2f} MMAC/image)\n", l.modelPath, l.program.totalParams(),
             static_cast<double>(l.program.totalMacsPerImage()) / 1e6);
  fmt::print("accuracy   ideal {:.2f} % (exact float model), {} images\n", top1, nImages);
  if (!o.out.empty()) fmt::print("report     {}\n", o.out);
  fmt::print("wall time  {:.2f} s ({} threads)\n", wallSeconds, threads);
  return 0;
}

}  // namespace

/// "report.json" -> "report.csv" (any other name gets ".csv" appended).
std::string csvPathFor(const std::string& jsonPath) {
  const std::string ext = ".json";
  if (jsonPath.size() > ext.size() && jsonPath.compare(jsonPath.size() - ext.size(), ext.size(), ext) == 0)
    return jsonPath.substr(0, jsonPath.size() - ext.size()) + ".csv";
  return jsonPath + ".csv";
}

/// One row per layer of the report: the same numbers as the JSON "layers" array.
std::string layerCsv(const json& layers) {
  std::ostringstream out;
  // Energy per component follows as one column each (energy_<component>_j; they sum to energy_j).
  std::vector<std::string> components;
  if (!layers.empty())
    for (const auto& [c, j] : layers.front()["energy_by_component_j"].items()) components.push_back(c);
  out << "name,op,unit,start_cycle,cycles,energy_j,macs,params,arrays,utilisation,replicas,round";
  for (const auto& c : components) out << ",energy_" << c << "_j";
  out << "\n";
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto val = [](const json& v) { return v.is_null() ? std::string() : v.dump(); };
  for (const auto& r : layers) {
    out << quoted(r["name"].get<std::string>()) << "," << quoted(r["op"].get<std::string>()) << ","
        << r["unit"].get<std::string>() << "," << r["start_cycle"].dump() << "," << r["cycles"].dump() << ","
        << fmt::format("{:.17g}", r["energy_j"].get<double>()) << "," << r["macs"].dump() << ","
        << r["params"].dump() << "," << r["arrays"].dump() << "," << val(r["utilisation"]) << ","
        << val(r["replicas"]) << "," << val(r["round"]);
    for (const auto& c : components) out << "," << fmt::format("{:.17g}", r["energy_by_component_j"][c].get<double>());
    out << "\n";
  }
  return out.str();
}

/// How many of each priced action one image performed (before data-aware scaling), so a reviewer can divide
/// energy.by_action by it and see the price used.
json actionCounts(const TimingResult& timing, const EnergyReport& energy) {
  json out = json::object();
  for (const auto& [name, joules] : energy.byAction) out[name] = timing.ledger.total(name);
  return out;
}

/// Whether the model has denoiser blocks (steps that run on the denoiser engine).
bool hasDenoiserBlocks(const wl::Program& program) {
  return std::any_of(program.steps.begin(), program.steps.end(),
                     [](const wl::Step& s) { return s.unit() == wl::Unit::Denoiser; });
}

/// The stats tree as nested objects, one level per module path component ("chip.tile3.memory.bits_written" →
/// stats.chip.tile3.memory.bits_written).
json statsJson(const StatsTree& tree) {
  json root = json::object();
  for (const auto& [path, value] : tree.values()) {
    json* node = &root;
    std::size_t from = 0;
    for (std::size_t dot = path.find('.'); dot != std::string::npos; from = dot + 1, dot = path.find('.', from)) {
      json& child = (*node)[path.substr(from, dot - from)];
      if (!child.is_object()) child = json::object();  // (a block's counter never shares a name with a child block)
      node = &child;
    }
    (*node)[path.substr(from)] = value;
  }
  return root;
}

/// The price of every action the run used and where it comes from (the architecture file's key, the default
/// and its citation, or the block model deriving it), so a reviewer sees where each joule came from.
json pricesJson(const ChipParams& chip, const EnergyReport& energy) {
  json out = json::object();
  for (const auto& [name, joules] : energy.byAction) {
    const auto src = chip.energy.sources().find(name);
    out[name] = {{"joules", chip.energy.joulesPer(name)},
                 {"source", src == chip.energy.sources().end() ? std::string("(unrecorded)") : src->second}};
  }
  return out;
}

/// Steady-state throughput (docs/chip.md): images/s, TOPS (2 ops per MAC), the initiation interval, the
/// bottleneck stage and per-stage utilisation (its busiest resource's cycles per image / the interval).
json throughputJson(const Loaded& l, const TimingResult& timing, const EnergyReport& energy) {
  const ThroughputResult& t = timing.throughput;
  const double ops = 2.0 * static_cast<double>(l.program.totalMacsPerImage());
  json stages = json::array();
  for (const StageActivity& s : timing.stages) {
    const double ii = static_cast<double>(std::max<std::uint64_t>(1, t.initiationIntervalCycles));
    stages.push_back({{"name", s.name},
                      {"array_cycles_per_image", s.arrayCyclesPerImage},
                      {"digital_cycles_per_image", s.digitalCyclesPerImage},
                      {"memory_cycles_per_image", s.memoryCyclesPerImage},
                      {"engine_cycles_per_image", s.engineCyclesPerImage},
                      {"utilisation", static_cast<double>(s.maxCycles()) / ii}});
  }
  // Power at full rate: each image's dynamic energy once per interval, plus the chip's leakage.
  const double leakW = l.chip.totalLeakageW(l.mapping.arraysUsed, timing.denoiserEngine);
  return {{"images_per_s", t.imagesPerSecond},
          {"tops", ops * t.imagesPerSecond / 1e12},
          {"initiation_interval_cycles", t.initiationIntervalCycles},
          {"measured_interval_cycles", t.measuredIntervalCycles},
          {"pipeline_images", t.images},
          {"measured", t.measured},
          {"makespan_s", t.makespanSeconds},
          {"bottleneck", t.bottleneck},
          {"bottleneck_cycles_per_image", t.bottleneckCyclesPerImage},
          {"power_w", energy.dynamicJ * t.imagesPerSecond + leakW},
          {"model", timing.dataflow ? "dataflow" : "global_buffer"},
          {"stages", stages}};
}

/// The program without its denoiser blocks: each block's output is replaced by its input (the block's first
/// step's input), and the blocks' steps are dropped. The other steps are unchanged, so the mapping's analog
/// layers are the same, in the same order.
wl::Program withoutDenoiserBlocks(const wl::Program& p) {
  wl::Program q = p;
  q.steps.clear();
  std::map<int, int> inputOf, outputOf;  // block -> its input buffer, its output buffer (last step's)
  for (const wl::Step& s : p.steps) {
    if (s.denoiserBlock < 0) continue;
    if (!inputOf.count(s.denoiserBlock)) inputOf[s.denoiserBlock] = s.inputs.front();
    outputOf[s.denoiserBlock] = s.output;
  }
  std::map<int, int> alias;  // buffer -> the buffer that replaces it
  for (const auto& [id, out] : outputOf) alias[out] = inputOf[id];
  auto resolve = [&](int b) {
    for (auto it = alias.find(b); it != alias.end(); it = alias.find(b)) b = it->second;
    return b;
  };
  for (const wl::Step& s : p.steps) {
    if (s.denoiserBlock >= 0) continue;
    wl::Step t = s;
    for (int& b : t.inputs) b = resolve(b);
    q.steps.push_back(std::move(t));
  }
  q.output = resolve(p.output);
  return q;
}

struct RunTotals {
  double seconds = 0, joules = 0, imagesPerSecond = 0;
};

/// Data-aware energy: a crossbar read dissipates ∝ V²·G, a DAC ∝ the level it drives.
void applyActivity(const wl::Program& program, const Mapping& mapping, const std::vector<AnalogLayerState>& activityOf,
                   TimingResult& timing) {
  for (std::size_t li = 0; li < mapping.layers.size() && li < activityOf.size(); ++li) {
    const std::string& scope = program.steps[static_cast<std::size_t>(mapping.layers[li].step)].name;
    const AnalogLayerState& a = activityOf[li];
    timing.ledger.setActionScale(scope, action::kXbarCellRead, a.inputPower * a.conductanceMean);
    timing.ledger.setActionScale(scope, action::kDacConvert, a.dacActivity);
  }
}

/// Latency, energy and throughput of the same chip and model without the denoiser blocks and engine: a second
/// timing run, in a child process because SystemC allows one elaboration per process. Call it before this
/// process elaborates anything.
RunTotals runWithoutDenoiserBlocks(const Loaded& l, const std::vector<bool>& signedInputs,
                                   const std::vector<AnalogLayerState>& activityOf, int images) {
  int fds[2];
  if (pipe(fds) != 0) throw Error("cannot create a pipe for the denoiser-overhead run");
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot fork the denoiser-overhead run");
  if (pid == 0) {
    close(fds[0]);
    std::string msg;
    RunTotals t;
    try {
      const wl::Program program = withoutDenoiserBlocks(l.program);
      ChipParams chip = l.chip;
      chip.denoiserPresence = DenoiserPresence::Auto;  // no blocks: no engine
      const Mapping mapping = mapProgram(program, chip);
      TimingResult timing = runTiming(program, chip, mapping, signedInputs, nullptr, images);
      applyActivity(program, mapping, activityOf, timing);
      const EnergyReport energy = priceEnergy(timing, chip, mapping.arraysUsed);
      t = {timing.seconds, energy.totalJ, timing.throughput.imagesPerSecond};
    } catch (const std::exception& e) {
      msg = e.what();
    }
    const char ok = msg.empty() ? 1 : 0;
    bool wrote = write(fds[1], &ok, 1) == 1;
    if (ok) wrote = wrote && write(fds[1], &t, sizeof t) == static_cast<ssize_t>(sizeof t);
    else wrote = wrote && write(fds[1], msg.data(), msg.size()) == static_cast<ssize_t>(msg.size());
    close(fds[1]);
    _exit(wrote && ok ? 0 : 1);
  }
  close(fds[1]);
  std::string bytes;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) bytes.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (bytes.empty()) throw Error("the denoiser-overhead run (model without its blocks) died");
  if (bytes[0] != 1) throw Error(fmt::format("the model without its denoiser blocks: {}", bytes.substr(1)));
  RunTotals t;
  if (bytes.size() != 1 + sizeof t) throw Error("the denoiser-overhead run returned a short result");
  std::memcpy(&t, bytes.data() + 1, sizeof t);
  return t;
}

/// Cost and benefit bookkeeping of denoiser blocks versus the same chip without the engine and blocks
/// (docs/chip.md): null when the model has none. Latency, energy and throughput come from two timing runs,
/// with and without (so they are right in any schedule, whatever overlaps); area is the total minus the engine.
json denoiserOverhead(const Loaded& l, const TimingResult& timing, const EnergyReport& energy,
                      const std::map<std::string, double>& area, const RunTotals& base) {
  std::int64_t blockParams = 0, otherParams = 0;
  for (const auto& s : l.program.steps) (s.unit() == wl::Unit::Denoiser ? blockParams : otherParams) += s.params();
  if (blockParams == 0 && !timing.denoiserEngine) return nullptr;
  std::uint64_t engineCycles = 0;  // the blocks' own layer time (they may overlap other layers)
  for (const auto& lt : timing.layers)
    if (lt.step >= 0 && l.program.steps[static_cast<std::size_t>(lt.step)].unit() == wl::Unit::Denoiser)
      engineCycles += lt.cycles;
  double areaTotal = 0;
  for (const auto& [k, v] : area) areaTotal += v;
  const double engineArea = area.count("denoiser") ? area.at("denoiser") : 0.0;
  const double pWith = timing.seconds > 0 ? energy.totalJ / timing.seconds : 0.0;
  const double pBase = base.seconds > 0 ? base.joules / base.seconds : 0.0;
  auto pct = [](double with, double b) { return b > 0 ? 100.0 * (with - b) / b : 0.0; };
  return {{"block_params", blockParams},
          {"params_pct", otherParams > 0 ? 100.0 * static_cast<double>(blockParams) / static_cast<double>(otherParams) : 0.0},
          {"block_cycles", engineCycles},
          {"latency_s_without", base.seconds},
          {"latency_pct", pct(timing.seconds, base.seconds)},
          {"energy_j_without", base.joules},
          {"energy_pct", pct(energy.totalJ, base.joules)},
          {"power_pct", pct(pWith, pBase)},
          {"throughput_images_per_s_without", base.imagesPerSecond},
          {"throughput_pct", pct(timing.throughput.imagesPerSecond, base.imagesPerSecond)},
          {"area_m2", engineArea},
          {"area_pct", pct(areaTotal, areaTotal - engineArea)}};
}

/// How the chip instances ran the denoiser blocks (null without blocks): the mode, where sample mode's ε came
/// from, and the engine's arithmetic. The ideal accuracy always runs the blocks as exact float math in mean mode.
json denoiserRunJson(const FunctionalEngine& engine, const ChipParams& chip) {
  const auto& blocks = engine.denoiserBlocks();
  if (blocks.empty()) return nullptr;
  const DenoiserParams& d = chip.denoiser;
  const bool sample = d.mode == DenoiserMode::Sample;
  const auto heads = std::count_if(blocks.begin(), blocks.end(), [](const DenoiserBlockPlan& b) { return b.hasLogVar(); });
  json eps = nullptr;
  if (sample) {
    eps = {{"source", epsilonSourceName(d.epsilon)}};
    if (d.epsilon == EpsilonSource::Grng)
      eps.update({{"output_bits", d.grng.outputBits}, {"output_frac_bits", d.grng.outputFracBits},
                  {"uniform_bits", d.grng.uniformBits},
                  {"fault", d.grng.fault == GrngFault::None ? "none" : "sqrt_identity"}});
  }
  return {{"mode", modeName(d.mode)},
          {"epsilon", eps},
          {"blocks", blocks.size()},
          {"logvar_heads", heads},
          {"arithmetic", {{"activation_bits", d.activationBits}, {"weight_bits", d.weightBits},
                          {"accumulator_bits", d.biasBits}}},
          {"ideal", "exact float, mean mode"}};
}

std::string denoiserRunText(const json& d) {
  std::string eps = "y = x - mu, no eps";
  if (!d["epsilon"].is_null()) {
    eps = d["epsilon"]["source"] == "grng"
              ? fmt::format("eps from the Box-Muller GRNG model ({}-bit words, {} fraction bits{})",
                            d["epsilon"]["output_bits"].get<int>(), d["epsilon"]["output_frac_bits"].get<int>(),
                            d["epsilon"]["fault"] == "none" ? "" : ", fault " + d["epsilon"]["fault"].get<std::string>())
              : std::string("eps from an ideal Gaussian");
  }
  const json& a = d["arithmetic"];
  return fmt::format("{} mode, {}; {} blocks on the engine ({}-bit activations, {}-bit weights, {}-bit accumulators)",
                     d["mode"].get<std::string>(), eps, d["blocks"].get<std::size_t>(), a["activation_bits"].get<int>(),
                     a["weight_bits"].get<int>(), a["accumulator_bits"].get<int>());
}

int runCommand(const RunOptions& o) {
  const auto wallStart = std::chrono::steady_clock::now();
  // Output paths are checked before anything runs: a clash or an unwritable directory must not cost a run.
  std::vector<NamedPath> outs = {{"--out", o.out}, {"--vcd", o.vcd}};
  if (!o.out.empty() && !o.ideal) outs.push_back({"--out (its per-layer CSV)", csvPathFor(o.out)});
  checkOutputPaths(outs, inputPaths(o));
  Progress progress(o.ideal ? "mxsim run --ideal" : "mxsim run", 0, o.progress);
  PhaseLog phases(o.verbosity == Verbosity::Verbose, progress);
  progress.stage("loading the model, architecture and data");
  const Loaded l = load(o);
  const wl::Shape& inShape = l.program.buffers[l.program.input];
  const int threads = threadCount(o.threads);

  wl::Dataset test, calib;
  if (o.data == "fashion-mnist") {
    const std::string dir = o.dataDir.empty() ? wl::kFashionMnistDir : o.dataDir;
    test = wl::loadFashionMnist(dir, wl::Split::Test, o.images);
    // Calibrate on the training split: no test image informs the chip's settings (--ideal: no chip).
    if (!o.ideal)
      calib = wl::loadFashionMnist(dir, wl::Split::Train, static_cast<std::size_t>(l.chip.calibrationImages));
    requireShape(inShape, test.imageShape, dir);
  } else if (o.data == "random") {
    const std::size_t n = o.images ? o.images : 100;
    requireMemoryFor(n, inShape, "--images");
    test = wl::randomDataset(inShape, n, o.seed);
    // Random inputs have no training split: calibrate on as many random images as the run evaluates (at
    // most noise.calibration_images), so a one-image PPA run of a large model does not calibrate on 256.
    if (!o.ideal)
      calib = wl::randomDataset(inShape, std::min<std::size_t>(n, static_cast<std::size_t>(l.chip.calibrationImages)),
                                o.seed + 0x9E3779B9ull);
  } else {
    throw DataError(fmt::format("--data '{}': unknown dataset (allowed: fashion-mnist, random)", o.data));
  }
  const bool labelled = !test.labels.empty();
  const auto nImages = static_cast<std::uint64_t>(test.images.rows());
  phases.mark("load", fmt::format("{} steps, {} of {} arrays; {} test and {} calibration images",
                                  l.program.steps.size(), l.mapping.arraysUsed, l.mapping.arraysAvailable, nImages,
                                  calib.images.rows()));
  if (o.ideal) {
    if (!labelled)
      throw DataError(fmt::format("--ideal reports only accuracy, and --data {} has no labels", o.data));
    return runIdeal(o, l, test, threads, wallStart, progress, phases);
  }

  // Ages to evaluate besides noise.time: each chip is calibrated right after programming, then aged.
  struct Age {
    std::string label;
    double seconds;
  };
  std::vector<Age> ages;
  for (const auto& t : o.times) ages.push_back({t, parseQuantity(t, Dimension::Time, "--times")});
  for (const auto& a : ages) {
    if (a.seconds < 0) throw DataError(fmt::format("--times: '{}' is negative", a.label));
  }

  FunctionalEngine engine(l.program, l.chip, l.mapping);
  const std::uint64_t passesPerChip = 1 + 2 * ages.size();
  progress.setTotal(labelled ? nImages * (static_cast<std::uint64_t>(o.chips) * passesPerChip + 1) : 0);
  auto tick = [&](std::uint64_t n) { progress.advance(n); };
  std::string chipText;  // "chip 1/2": the instance the progress line and the phase log speak of
  auto top1 = [&](const ChipInstance& inst, const std::string& what) {
    progress.stage(fmt::format("{}: evaluating{}", chipText, what), nImages);
    const std::uint64_t correct = engine.countCorrect(test.images, test.labels, &inst, threads, tick);
    phases.mark("evaluate", chipText + what);
    return 100.0 * static_cast<double>(correct) / static_cast<double>(nImages);
  };

  const DeviceNoiseParams& dn = l.chip.deviceNoise;
  json accuracy = {{"top1", nullptr}, {"ideal_top1", nullptr}, {"std", nullptr}, {"images", nImages},
                   {"chips", o.chips}, {"time_s", dn.timeSeconds}, {"per_chip", json::array()}};
  const json denoiserRun = denoiserRunJson(engine, l.chip);
  if (!denoiserRun.is_null()) accuracy["denoiser"] = denoiserRun;
  std::vector<bool> signedInputs;
  std::vector<AnalogLayerState> activityOf;  // chip 0's calibrated layers: data-aware energy
  std::vector<double> perChip;
  std::vector<std::vector<double>> agedPlain(ages.size()), agedCompensated(ages.size());
  for (int c = 0; c < o.chips; ++c) {
    const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(c);
    chipText = fmt::format("chip {}/{}", c + 1, o.chips);
    progress.stage(chipText + ": programming");
    ChipInstance fresh = engine.programChip(seed, 0.0, threads);
    phases.mark("program", chipText);
    progress.stage(fmt::format("{}: calibrating on {} images", chipText,
                               groupThousands(static_cast<std::uint64_t>(calib.images.rows()))));
    engine.calibrate(fresh, calib.images, threads);
    phases.mark("calibrate", chipText);
    if (c == 0) {
      for (const auto& layer : fresh.layers) {
        signedInputs.push_back(layer.signedInput);
        // Only the activity statistics price energy; copying the programmed weights too cost ~0.4 s of
        // memory traffic on ResNet-18 with 8 weight slices.
        AnalogLayerState a;
        a.dacActivity = layer.dacActivity;
        a.inputPower = layer.inputPower;
        a.conductanceMean = layer.conductanceMean;
        activityOf.push_back(std::move(a));
      }
    }
    if (!labelled) continue;
    auto aged = [&](double t, bool compensate, const std::string& age) {
      progress.stage(fmt::format("{}: programming, aged {}", chipText, age));
      ChipInstance inst = engine.programChip(seed, t, threads);
      engine.adoptCalibration(fresh, inst, compensate);
      phases.mark("program", chipText + " aged");
      return inst;
    };
    const std::string noiseAge = formatQuantity(dn.timeSeconds, Dimension::Time);
    perChip.push_back(dn.timeSeconds > 0 || dn.driftCompensation
                          ? top1(aged(dn.timeSeconds, dn.driftCompensation, noiseAge), "")
                          : top1(fresh, ""));
    for (size_t a = 0; a < ages.size(); ++a) {
      const std::string at = " at " + ages[a].label;
      agedPlain[a].push_back(top1(aged(ages[a].seconds, false, ages[a].label), at));
      agedCompensated[a].push_back(top1(aged(ages[a].seconds, true, ages[a].label), at + ", compensated"));
    }
  }
  if (labelled) {
    progress.stage("ideal float model: evaluating", nImages);
    const auto idealCorrect = engine.countCorrect(test.images, test.labels, nullptr, threads, tick);
    phases.mark("evaluate", "ideal float model");
    accuracy["ideal_top1"] = 100.0 * static_cast<double>(idealCorrect) / static_cast<double>(nImages);
    accuracy["top1"] = mean(perChip);
    accuracy["std"] = sampleStd(perChip);
    accuracy["per_chip"] = perChip;
    json vsTime = json::array();
    for (size_t a = 0; a < ages.size(); ++a) {
      vsTime.push_back({{"time", ages[a].label},
                        {"seconds", ages[a].seconds},
                        {"top1", mean(agedPlain[a])},
                        {"std", sampleStd(agedPlain[a])},
                        {"top1_compensated", mean(agedCompensated[a])},
                        {"std_compensated", sampleStd(agedCompensated[a])}});
    }
    accuracy["vs_time"] = vsTime;
  }

  ActivityLog activity;
  activity.enable(!o.vcd.empty());
  const bool hasBlocks = hasDenoiserBlocks(l.program);
  RunTotals withoutBlocks;
  if (hasBlocks || l.chip.denoiserPresence == DenoiserPresence::On) {
    progress.stage("timing the chip without its denoiser blocks (SystemC)");
    withoutBlocks = runWithoutDenoiserBlocks(l, signedInputs, activityOf, o.pipelineImages);
  }
  progress.stage(o.pipelineImages > 1 ? fmt::format("timing (SystemC, {} images streamed)", o.pipelineImages)
                                      : std::string("timing (SystemC)"));
  const auto timingStart = std::chrono::steady_clock::now();
  TimingResult timing = runTiming(l.program, l.chip, l.mapping, signedInputs, &activity, o.pipelineImages);
  const double timingSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - timingStart).count();
  applyActivity(l.program, l.mapping, activityOf, timing);
  const EnergyReport energy = priceEnergy(timing, l.chip, l.mapping.arraysUsed);
  phases.mark("timing", fmt::format("{} delta cycles", timing.deltaCycles));
  const PeakPower peak = peakPower(timing, energy, l.chip);
  const auto area = areaBreakdownM2(l.chip, timing.denoiserEngine);
  double areaTotal = 0;
  for (const auto& [k, v] : area) areaTotal += v;
  std::map<std::string, double> fullLoadByComponent;
  double fullLoadTotal = 0;
  for (const ComponentLoad& c : fullLoadPower(l.chip, timing.denoiserEngine)) {
    fullLoadByComponent[c.component] = c.watts;
    fullLoadTotal += c.watts;
  }
  json components = json::array();
  for (const ComponentActivity& c : timing.components) {
    // Utilisation over the whole run: all images streamed (the dataflow model), else the one image.
    const double capacity = c.instances * std::max(timing.seconds, timing.throughput.makespanSeconds);
    components.push_back({{"kind", c.kind},
                          {"instances", c.instances},
                          {"busy_cycles", std::llround(c.busySeconds * l.chip.clockHz)},
                          {"stall_cycles", std::llround(c.stallSeconds * l.chip.clockHz)},
                          {"idle_cycles", std::llround(std::max(0.0, capacity - c.busySeconds) * l.chip.clockHz)},
                          {"utilisation", capacity > 0 ? c.busySeconds / capacity : 0.0}});
  }
  const double wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();

  // One row per program step plus, when time-multiplexed, a "reprogram round k" row before each round.
  const json stepRows = layerTableJson(l);
  json layers = json::array();
  json mapping = mappingJson(l);
  std::uint64_t reprogramCycles = 0;
  double reprogramJ = 0;
  for (size_t i = 0; i < timing.layers.size(); ++i) {
    const LayerTiming& lt = timing.layers[i];
    json row = lt.step >= 0 ? stepRows[static_cast<std::size_t>(lt.step)]
                            : json{{"name", lt.name}, {"op", lt.op}, {"unit", "reprogram"},
                                   {"in_shape", json::array()}, {"out_shape", json::array()}, {"macs", 0},
                                   {"params", 0}, {"arrays", lt.arrays}, {"utilisation", nullptr},
                                   {"row_utilisation", nullptr}, {"col_utilisation", nullptr},
                                   {"replicas", nullptr}, {"round", lt.round}};
    row["cycles"] = lt.cycles;
    row["start_cycle"] = lt.startCycle;
    row["energy_j"] = energy.byLayer[i];
    row["energy_by_component_j"] = energy.byLayerComponent[i];
    if (lt.step < 0) reprogramCycles += lt.cycles, reprogramJ += energy.byLayer[i];
    layers.push_back(row);
  }
  mapping["reprogram_cycles_per_image"] = reprogramCycles;
  mapping["reprogram_energy_j_per_image"] = reprogramJ;
  mapping["cell_writes_per_reload"] = timing.ledger.total(action::kXbarCellWrite);
  json report = {
      {"mxsim_version", MXSIM_VERSION},
      {"model", modelJson(l)},
      {"arch", archJson(l, o)},
      {"run", {{"data", o.data}, {"seed", o.seed}, {"chips", o.chips}, {"threads", threads},
               {"wall_seconds", wallSeconds}, {"timing_wall_seconds", timingSeconds},
               {"timing_delta_cycles", timing.deltaCycles}}},
      {"accuracy", accuracy},
      {"latency", {{"cycles", timing.totalCycles}, {"seconds", timing.seconds}}},
      {"energy", {{"total_j", energy.totalJ}, {"dynamic_j", energy.dynamicJ}, {"leakage_j", energy.leakageJ},
                  {"by_component", energy.byComponent}, {"by_action", energy.byAction},
                  {"action_counts", actionCounts(timing, energy)},
                  {"prices", pricesJson(l.chip, energy)}}},
      {"power", {{"average_w", timing.seconds > 0 ? energy.totalJ / timing.seconds : 0.0},
                 {"leakage_w", l.chip.totalLeakageW(l.mapping.arraysUsed, timing.denoiserEngine)},
                 {"peak_w", peak.watts},
                 {"peak_window_s", peak.windowSeconds},
                 {"peak_window_start_s", peak.windowStartSeconds},
                 {"full_load_w", fullLoadTotal},
                 {"full_load_by_component_w", fullLoadByComponent}}},
      {"area", {{"total_m2", areaTotal}, {"total_mm2", areaTotal * 1e6}, {"by_component_m2", area}}},
      {"throughput", throughputJson(l, timing, energy)},
      {"schedule", l.chip.schedule == Schedule::Pipelined ? "pipelined" : "sequential"},
      {"components", components},
      {"stats", statsJson(timing.stats)},
      {"mapping", mapping},
      {"layers", layers},
  };
  const json overhead = denoiserOverhead(l, timing, energy, area, withoutBlocks);
  if (!overhead.is_null()) report["denoiser_overhead"] = overhead;
  // All outputs as one set: none of them appears unless all could be written.
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!o.out.empty()) {
    outputs.emplace_back(o.out, jsonText(report));
    outputs.emplace_back(csvPathFor(o.out), layerCsv(layers));
  }
  if (!o.vcd.empty()) {
    std::ostringstream vcd;
    activity.writeVcd(vcd, timing.seconds);
    outputs.emplace_back(o.vcd, vcd.str());
  }
  progress.stage("writing outputs");
  writeFilesAtomic(outputs);
  phases.mark("write", fmt::format("{} file(s)", outputs.size()));
  progress.finish();
  phases.summary();
  if (o.verbosity == Verbosity::Quiet) return 0;

  // Human summary.
  fmt::print("mxsim run  model {} ({} params, {:.2f} MMAC/image)\n", l.modelPath, l.program.totalParams(),
             static_cast<double>(l.program.totalMacsPerImage()) / 1e6);
  fmt::print("           chip  {} ({}, {} tiles x {} arrays of {}x{}, {} used)\n", l.chip.name, l.archPath,
             l.chip.tiles, l.chip.arraysPerTile, l.chip.array.xbar.rows, l.chip.array.xbar.cols,
             l.mapping.arraysUsed);
  if (l.mapping.timeMultiplexed()) {
    fmt::print("           mapping {}; reprogramming {} cycles, {} per image\n", mappingSummary(l.mapping),
               reprogramCycles, formatQuantity(reprogramJ, Dimension::Energy));
  } else if (l.mapping.replicaArrays() > 0) {
    fmt::print("           mapping {}\n", mappingSummary(l.mapping));
  }
  fmt::print("{:<26}{:>14}{:>12}{:>14}{:>8}\n", "layer", "op", "cycles", "energy [nJ]", "arrays");
  for (size_t i = 0; i < timing.layers.size(); ++i) {
    const auto& lt = timing.layers[i];
    fmt::print("{:<26}{:>14}{:>12}{:>14.3f}{:>8}\n", lt.name.substr(0, 25), lt.op.substr(0, 13), lt.cycles,
               energy.byLayer[i] * 1e9, lt.arrays);
  }
  if (labelled) {
    const std::string spread = o.chips > 1 ? fmt::format(" ± {:.2f} (std over {} chips)",
                                                         accuracy["std"].get<double>(), o.chips)
                                           : std::string(" (1 chip instance)");
    fmt::print("accuracy   top-1 {:.2f} %{}, ideal {:.2f} %, {} images\n", accuracy["top1"].get<double>(), spread,
               accuracy["ideal_top1"].get<double>(), nImages);
    if (!denoiserRun.is_null()) fmt::print("  denoiser {}\n", denoiserRunText(denoiserRun));
    for (const auto& row : accuracy["vs_time"]) {
      fmt::print("  at {:>6}  top-1 {:6.2f} % (± {:.2f}), with drift compensation {:6.2f} % (± {:.2f})\n",
                 row["time"].get<std::string>(), row["top1"].get<double>(), row["std"].get<double>(),
                 row["top1_compensated"].get<double>(), row["std_compensated"].get<double>());
    }
  } else {
    fmt::print("accuracy   n/a (unlabelled {} data, {} images)\n", o.data, nImages);
  }
  fmt::print("latency    {} cycles = {} per image\n", timing.totalCycles, formatQuantity(timing.seconds, Dimension::Time));
  if (timing.dataflow) {
    const ThroughputResult& t = timing.throughput;
    fmt::print("throughput {:.4g} images/s = {:.4g} TOPS ({} {} cycles per image{}; bottleneck {})\n",
               t.imagesPerSecond, 2.0 * static_cast<double>(l.program.totalMacsPerImage()) * t.imagesPerSecond / 1e12,
               t.measured ? "measured over" : "bound:", t.initiationIntervalCycles,
               t.measured ? fmt::format(", {} images in flight", t.images) : std::string(""), t.bottleneck);
  }
  fmt::print("energy     {} per image:", formatQuantity(energy.totalJ, Dimension::Energy));
  for (const auto& [c, j] : energy.byComponent) fmt::print(" {} {:.1f}%", c, energy.totalJ > 0 ? 100 * j / energy.totalJ : 0.0);
  fmt::print("\npower      {} average, {} peak ({} window)\n",
             formatQuantity(timing.seconds > 0 ? energy.totalJ / timing.seconds : 0.0, Dimension::Power),
             formatQuantity(peak.watts, Dimension::Power), formatQuantity(peak.windowSeconds, Dimension::Time));
  fmt::print("full load  {} with every instance at its peak rate:", formatQuantity(fullLoadTotal, Dimension::Power));
  for (const auto& [c, w] : fullLoadByComponent) fmt::print(" {} {}", c, formatQuantity(w, Dimension::Power));
  fmt::print("\n");
  fmt::print("area       {}:", formatQuantity(areaTotal, Dimension::Area));
  for (const auto& [c, a] : area) fmt::print(" {} {:.1f}%", c, areaTotal > 0 ? 100 * a / areaTotal : 0.0);
  fmt::print("\nbusy       ");
  for (const auto& c : components)
    fmt::print("{} {:.0f}%  ", c["kind"].get<std::string>(), 100 * c["utilisation"].get<double>());
  fmt::print("(utilisation over the latency; schedule {})\n", report["schedule"].get<std::string>());
  if (!overhead.is_null()) {
    fmt::print("denoiser   +{:.2f}% params, +{:.2f}% latency, +{:.2f}% energy, {:+.2f}% power, +{:.2f}% area "
               "(vs the same chip without the engine and blocks)\n",
               overhead["params_pct"].get<double>(), overhead["latency_pct"].get<double>(),
               overhead["energy_pct"].get<double>(), overhead["power_pct"].get<double>(),
               overhead["area_pct"].get<double>());
  }
  if (!o.out.empty()) fmt::print("report     {} (per-layer CSV {})\n", o.out, csvPathFor(o.out));
  if (!o.vcd.empty()) fmt::print("waveform   {}\n", o.vcd);
  fmt::print("wall time  {:.2f} s ({} threads; SystemC timing {:.2f} s, {} delta cycles = {:.3g} per s)\n",
             wallSeconds, threads, timingSeconds, timing.deltaCycles,
             timingSeconds > 0 ? static_cast<double>(timing.deltaCycles) / timingSeconds : 0.0);
  return 0;
}

int paramsCommand() {
  ParamRegistry registry;
  ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map), &registry);
  std::cout << registry.markdown();
  return 0;
}

int inferCommand(const InferOptions& o) {
  std::vector<NamedPath> inputs = inputPaths(o);
  inputs.push_back({"--input", o.input});
  checkOutputPaths({{"--output", o.output}}, inputs);
  Progress progress("mxsim infer", 0, o.progress);
  PhaseLog phases(o.verbosity == Verbosity::Verbose, progress);
  progress.stage("loading the model, architecture and inputs");
  // The input array's shape fills symbolic model dimensions; but a model problem (e.g. an unsupported
  // operator) is the more useful message when the array is unreadable too, so import first in that case.
  wl::NpyArray in;
  try {
    in = wl::readNpy(o.input);
  } catch (const DataError&) {
    load(o);
    throw;
  }
  const wl::Shape npyPerImage(in.shape.begin() + (in.shape.empty() ? 0 : 1), in.shape.end());
  const Loaded l = load(o, in.shape.empty() ? nullptr : &npyPerImage,
                        fmt::format("the input array {} (per image)", o.input));
  const wl::Shape& inShape = l.program.buffers[l.program.input];
  if (in.shape.empty() || npyPerImage != inShape) {
    throw DataError(fmt::format("{}: array shape {} does not match the model input [N, {}]", o.input,
                                wl::shapeText(in.shape), fmt::join(inShape, ", ")));
  }
  const Eigen::Index n = in.shape[0];
  if (n == 0)
    throw DataError(fmt::format("{}: array shape {} holds no images; infer needs at least one", o.input,
                                wl::shapeText(in.shape)));
  const RowMatrix images = Eigen::Map<const RowMatrix>(in.data.data(), n, wl::numel(inShape));
  FunctionalEngine engine(l.program, l.chip, l.mapping);
  phases.mark("load", fmt::format("{} steps; {} images", l.program.steps.size(), n));
  const std::string nText = groupThousands(static_cast<std::uint64_t>(n));
  const int threads = threadCount(o.threads);
  RowMatrix logits;
  if (o.ideal) {
    progress.stage(fmt::format("ideal float model: logits of {} images", nText));
    logits = engine.logits(images, nullptr, threads);
  } else {
    progress.stage("chip 1/1: programming");
    ChipInstance fresh = engine.programChip(o.seed, 0.0, threads);
    phases.mark("program");
    progress.stage(fmt::format("chip 1/1: calibrating on {} images", nText));
    engine.calibrate(fresh, images, threads);  // no dataset here: the inputs themselves calibrate the ADC ranges
    phases.mark("calibrate");
    progress.stage("chip 1/1: programming (aged)");
    const DeviceNoiseParams& dn = l.chip.deviceNoise;
    ChipInstance inst = engine.programChip(o.seed, dn.timeSeconds, threads);
    engine.adoptCalibration(fresh, inst, dn.driftCompensation);
    phases.mark("program", "aged");
    progress.stage(fmt::format("chip 1/1: logits of {} images", nText));
    logits = engine.logits(images, &inst, threads);
  }
  phases.mark("evaluate");
  std::vector<std::int64_t> outShape{n};
  for (auto d : l.program.buffers[l.program.output]) outShape.push_back(d);
  progress.stage("writing outputs");
  wl::writeNpy(o.output, outShape, std::vector<float>(logits.data(), logits.data() + logits.size()));
  phases.mark("write");
  progress.finish();
  phases.summary();
  return 0;
}

/// The chip's component table: instances, area and power with every instance at its full rate (ISAAC's Table I
/// view of a design; docs/chip.md "Power at full load").
json chipComponentsJson(const Loaded& l) {
  const bool engine = l.chip.denoiserPresence == DenoiserPresence::On ||
                      (l.chip.denoiserPresence == DenoiserPresence::Auto && hasDenoiserBlocks(l.program));
  json out = json::array();
  for (const ComponentLoad& c : fullLoadPower(l.chip, engine))
    out.push_back({{"component", c.component}, {"instances", c.instances}, {"full_load_w", c.watts},
                   {"area_mm2", c.areaM2 * 1e6}, {"rate", c.rate}});
  return out;
}

int inspectCommand(const InspectOptions& o) {
  std::string bufferNote;
  const Loaded l = load(o, nullptr, "", &bufferNote);
  const json rows = layerTableJson(l);
  const json chipComponents = chipComponentsJson(l);
  if (o.json) {
    json doc = {{"model", l.modelPath}, {"layers", rows}, {"total_macs", l.program.totalMacsPerImage()},
                {"total_params", l.program.totalParams()}, {"arrays_used", l.mapping.arraysUsed},
                {"arrays_available", l.mapping.arraysAvailable}, {"rounds", l.mapping.rounds},
                {"mapping", mappingJson(l)}, {"chip_components", chipComponents},
                {"notes", bufferNote.empty() ? json::array() : json::array({bufferNote})}};
    std::cout << jsonText(doc);
    return 0;
  }
  fmt::print("model {}  input {}  output {}\n", l.modelPath, wl::shapeText(l.program.buffers[l.program.input]),
             wl::shapeText(l.program.buffers[l.program.output]));
  fmt::print("{:<28}{:<26}{:<9}{:>12}{:>12}{:>12}{:>10}{:>8}{:>7}{:>7}{:>7}{:>6}{:>6}\n", "name", "op", "unit", "in",
             "out", "MACs", "params", "arrays", "util", "rows", "cols", "repl", "round");
  auto orDash = [](const json& v) { return v.is_null() ? std::string("-") : v.dump(); };
  auto pct = [](const json& v) { return v.is_null() ? std::string("-") : fmt::format("{:.0f}%", 100 * v.get<double>()); };
  for (const auto& r : rows) {
    fmt::print("{:<28}{:<26}{:<9}{:>12}{:>12}{:>12}{:>10}{:>8}{:>7}{:>7}{:>7}{:>6}{:>6}\n",
               r["name"].get<std::string>().substr(0, 27),
               r["op"].get<std::string>().substr(0, 25), r["unit"].get<std::string>(),
               wl::shapeText(r["in_shape"].get<wl::Shape>()), wl::shapeText(r["out_shape"].get<wl::Shape>()),
               r["macs"].get<std::int64_t>(), r["params"].get<std::int64_t>(), r["arrays"].get<std::size_t>(),
               pct(r["utilisation"]), pct(r["row_utilisation"]), pct(r["col_utilisation"]), orDash(r["replicas"]),
               orDash(r["round"]));
  }
  fmt::print("total: {} MACs/image, {} params, {}\n", l.program.totalMacsPerImage(), l.program.totalParams(),
             mappingSummary(l.mapping));
  if (!bufferNote.empty()) fmt::print("{}\n", bufferNote);
  fmt::print("\nchip {}: components at full load (every instance at its peak rate)\n", l.chip.name);
  fmt::print("{:<16}{:>10}{:>14}{:>14}  {}\n", "component", "instances", "power [W]", "area [mm2]", "full-load rate");
  double w = 0, a = 0;
  for (const auto& c : chipComponents) {
    fmt::print("{:<16}{:>10}{:>14.5g}{:>14.5g}  {}\n", c["component"].get<std::string>(), c["instances"].get<double>(),
               c["full_load_w"].get<double>(), c["area_mm2"].get<double>(), c["rate"].get<std::string>());
    w += c["full_load_w"].get<double>();
    a += c["area_mm2"].get<double>();
  }
  fmt::print("{:<16}{:>10}{:>14.5g}{:>14.5g}\n", "total", "", w, a);
  return 0;
}

}  // namespace mxsim::app
