#include "sim/engine/denoiser_blocks.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/core/error.h"

namespace mxsim {

namespace {

bool isConv(const wl::Step& s, int k) {
  const Window& w = s.window;
  return s.kind == wl::StepKind::AnalogGemm && s.isConv && s.groups == 1 && w.kernelH == k && w.kernelW == k &&
         w.strideH == 1 && w.strideW == 1 && w.dilationH == 1 && w.dilationW == 1 && w.padTop == k / 2 &&
         w.padLeft == k / 2 && w.padBottom == k / 2 && w.padRight == k / 2;
}
bool isRelu(const wl::Step& s) {
  return s.kind == wl::StepKind::Activation && s.activation == wl::ActivationKind::Relu;
}

/// A conv step's weight as [out × in·k²] (the core's layout: ONNX OIHW flattened per output channel).
RowMatrix outByIn(const wl::Step& s) {
  return s.weight.transpose();
}

}  // namespace

std::vector<DenoiserBlockPlan> planDenoiserBlocks(const wl::Program& program) {
  std::map<int, std::vector<std::size_t>> byId;
  std::vector<int> order;
  for (std::size_t k = 0; k < program.steps.size(); ++k) {
    const int id = program.steps[k].denoiserBlock;
    if (id < 0) continue;
    if (!byId.count(id)) order.push_back(id);
    byId[id].push_back(k);
  }
  // Readers of each buffer, for "x − μ is the block's output" and "the logσ² head is read by nothing".
  std::vector<std::vector<std::size_t>> readers(program.buffers.size());
  for (std::size_t k = 0; k < program.steps.size(); ++k)
    for (int b : program.steps[k].inputs) readers[static_cast<std::size_t>(b)].push_back(k);

  std::vector<DenoiserBlockPlan> plans;
  for (int id : order) {
    DenoiserBlockPlan p;
    p.id = id;
    p.steps = byId[id];
    p.firstStep = p.steps.front();
    p.name = program.steps[p.firstStep].name;
    const auto fail = [&](const std::string& what) {
      throw ModelError(fmt::format(
          "{}: denoiser block {} (step '{}') is not the block the denoiser engine runs (x -> 1x1 conv -> ReLU -> "
          "3x3 conv (pad 1) -> ReLU -> 1x1 mu head [+ 1x1 logvar head read by nothing], y = x - mu): {}",
          program.modelPath, id, p.name, what));
    };
    const auto inBlock = [&](std::size_t k) { return program.steps[k].denoiserBlock == id; };
    // The step of the block reading buffer b, of the given predicate (exactly one).
    const auto readerOf = [&](int b, const char* what, auto pred) -> std::size_t {
      std::size_t found = program.steps.size();
      for (std::size_t k : readers[static_cast<std::size_t>(b)]) {
        if (!inBlock(k) || !pred(program.steps[k])) continue;
        if (found != program.steps.size()) fail(fmt::format("two {} steps read the same tensor", what));
        found = k;
      }
      if (found == program.steps.size()) fail(fmt::format("no {}", what));
      return found;
    };
    const wl::Step& reduce = program.steps[p.firstStep];
    if (!isConv(reduce, 1))
      fail(fmt::format("its first step '{}' ({}) is not a 1x1 convolution", reduce.name, reduce.op));
    p.input = reduce.inputs.at(0);
    const wl::Shape& in = reduce.inShape;
    if (in.size() != 3) fail(fmt::format("its input is {}, not C x H x W", wl::shapeText(in)));
    p.shape.channels = static_cast<int>(in[0]);
    p.shape.height = static_cast<int>(in[1]);
    p.shape.width = static_cast<int>(in[2]);
    p.shape.reducedChannels = static_cast<int>(reduce.weight.cols());
    const std::size_t relu1 = readerOf(reduce.output, "ReLU after the 1x1 reduce conv", isRelu);
    const std::size_t conv3 = readerOf(program.steps[relu1].output, "3x3 conv (stride 1, pad 1) after the first ReLU",
                                       [](const wl::Step& s) { return isConv(s, 3); });
    const std::size_t relu2 = readerOf(program.steps[conv3].output, "ReLU after the 3x3 conv", isRelu);
    const int h = program.steps[relu2].output;
    // y = x − μ: the block's Sub reads x and a head's output.
    std::size_t sub = program.steps.size();
    for (std::size_t k : readers[static_cast<std::size_t>(p.input)]) {
      const wl::Step& s = program.steps[k];
      if (!inBlock(k) || s.kind != wl::StepKind::Binary) continue;
      if (s.binary != wl::BinaryOp::Sub || s.constantIndex >= 0 || s.inputs.size() != 2 || s.inputs[0] != p.input ||
          !s.indexMap.empty() || !s.indexMap2.empty())
        fail(fmt::format("step '{}' ({}) is not y = x - mu on equal shapes", s.name, s.op));
      sub = k;
    }
    if (sub == program.steps.size()) fail("no Sub step y = x - mu reading the block's input");
    p.output = program.steps[sub].output;
    std::size_t mu = program.steps.size(), logVar = program.steps.size();
    for (std::size_t k : readers[static_cast<std::size_t>(h)]) {
      if (!inBlock(k)) continue;
      const wl::Step& s = program.steps[k];
      if (!isConv(s, 1) || s.weight.cols() != p.shape.channels)
        fail(
            fmt::format("step '{}' ({}) reads h but is not a 1x1 conv to {} channels", s.name, s.op, p.shape.channels));
      if (s.output == program.steps[sub].inputs[1]) {
        mu = k;
      } else if (readers[static_cast<std::size_t>(s.output)].empty() && s.output != program.output) {
        if (logVar != program.steps.size()) fail("two 1x1 convs on h are read by nothing (two logvar heads)");
        logVar = k;
      } else {
        fail(fmt::format("the output of head '{}' is read by another step", s.name));
      }
    }
    if (mu == program.steps.size()) fail("the Sub's second operand is not a 1x1 conv on h (the mu head)");
    const std::vector<std::size_t> known = {p.firstStep, relu1, conv3, relu2, mu, sub};
    for (std::size_t k : p.steps) {
      const bool ok = std::find(known.begin(), known.end(), k) != known.end() || k == logVar;
      if (!ok && program.steps[k].kind != wl::StepKind::Reshape)
        fail(fmt::format("step '{}' ({}) has no place in the block", program.steps[k].name, program.steps[k].op));
    }
    const wl::Step& c3 = program.steps[conv3];
    const wl::Step& m = program.steps[mu];
    p.weights.reduce = outByIn(reduce);
    p.weights.reduceBias = reduce.bias;
    p.weights.conv3x3 = outByIn(c3);
    p.weights.conv3x3Bias = c3.bias;
    p.weights.mean = outByIn(m);
    p.weights.meanBias = m.bias;
    if (logVar != program.steps.size()) {
      p.weights.logVar = outByIn(program.steps[logVar]);
      p.weights.logVarBias = program.steps[logVar].bias;
    }
    try {
      p.shape.validate();
      p.weights.validate(p.shape);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

void requireDenoiserMode(const wl::Program& program, const std::vector<DenoiserBlockPlan>& blocks, DenoiserMode mode) {
  if (mode != DenoiserMode::Sample) return;
  for (const DenoiserBlockPlan& b : blocks) {
    if (b.hasLogVar()) continue;
    throw ConfigError(fmt::format(
        "chip.denoiser.mode: sample needs each block's logvar head, but {} has none in denoiser block {} (step '{}'; "
        "its ONNX keeps only the mu path: re-export it with tools/mxsim_py/training.py's export_onnx, or use "
        "chip.denoiser.mode=mean)",
        program.modelPath, b.id, b.name));
  }
}

}  // namespace mxsim
