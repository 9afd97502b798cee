#include "workloads/ir/program.h"

#include <fmt/format.h>

namespace mxsim::wl {

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shapeText(const Shape& s) { return s.empty() ? "scalar" : fmt::format("{}", fmt::join(s, "x")); }

const char* stepKindName(StepKind k) {
  switch (k) {
    case StepKind::AnalogGemm: return "analog_gemm";
    case StepKind::Activation: return "activation";
    case StepKind::Softmax: return "softmax";
    case StepKind::MaxPool: return "maxpool";
    case StepKind::AvgPool: return "avgpool";
    case StepKind::GlobalAvgPool: return "global_avg_pool";
    case StepKind::Binary: return "binary";
    case StepKind::Gather: return "gather";
    case StepKind::Concat: return "concat";
    case StepKind::Reshape: return "reshape";
    case StepKind::Affine: return "affine";
  }
  return "?";
}

const char* activationName(ActivationKind a) {
  switch (a) {
    case ActivationKind::Relu: return "relu";
    case ActivationKind::Clip: return "clip";
    case ActivationKind::LeakyRelu: return "leaky_relu";
    case ActivationKind::Sigmoid: return "sigmoid";
    case ActivationKind::HardSigmoid: return "hard_sigmoid";
    case ActivationKind::HardSwish: return "hard_swish";
    case ActivationKind::Round: return "round";
  }
  return "?";
}

const char* binaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
  }
  return "?";
}

const char* unitName(Unit u) {
  switch (u) {
    case Unit::Analog: return "analog";
    case Unit::Digital: return "digital";
    case Unit::View: return "view";
    case Unit::Denoiser: return "denoiser";
  }
  return "?";
}

Unit Step::unit() const {
  if (denoiserBlock >= 0 && kind != StepKind::Reshape) return Unit::Denoiser;
  if (kind == StepKind::AnalogGemm) return Unit::Analog;
  return kind == StepKind::Reshape ? Unit::View : Unit::Digital;
}

std::int64_t Step::vectorsPerImage() const {
  if (kind != StepKind::AnalogGemm) return 0;
  if (isConv) return static_cast<std::int64_t>(window.outH) * window.outW;
  return weight.rows() > 0 ? numel(inShape) / weight.rows() : 0;
}

std::int64_t Step::macsPerImage() const {
  if (kind != StepKind::AnalogGemm) return 0;
  return vectorsPerImage() * rowsPerGroup() * weight.cols();
}

std::int64_t Step::params() const {
  const std::int64_t w = kind == StepKind::AnalogGemm ? rowsPerGroup() * weight.cols() + bias.size() : 0;
  return w + scale.size() + shift.size();
}

DigitalWork Step::digitalWork() const {
  const auto in = static_cast<std::uint64_t>(numel(inShape));
  const auto out = static_cast<std::uint64_t>(numel(outShape));
  const auto window2 = static_cast<std::uint64_t>(window.kernelH) * static_cast<std::uint64_t>(window.kernelW);
  switch (kind) {
    case StepKind::Activation:
      // Ops per element: compare (Relu, Clip: 2), multiply-compare (LeakyRelu), a scaled clamp (HardSigmoid),
      // clamp and multiply (HardSwish), exp + divide for Sigmoid (a LUT unit counts it as 2 ops), and one
      // rounding op (Round).
      switch (activation) {
        case ActivationKind::Relu: return {0, out};
        case ActivationKind::Clip: return {0, 2 * out};
        case ActivationKind::LeakyRelu: return {0, 2 * out};
        case ActivationKind::Sigmoid: return {out, 2 * out};
        case ActivationKind::HardSigmoid: return {out, 3 * out};
        case ActivationKind::HardSwish: return {out, 4 * out};
        case ActivationKind::Round: return {0, out};
      }
      return {};
    case StepKind::Softmax: return {out, 3 * out};  // max, exp, divide; one sum
    case StepKind::MaxPool: return {0, out * (window2 - 1)};
    case StepKind::AvgPool: return {out * (window2 - 1), out};
    case StepKind::GlobalAvgPool: return {in - out, out};
    case StepKind::Binary:
      return binary == BinaryOp::Add || binary == BinaryOp::Sub ? DigitalWork{out, 0} : DigitalWork{0, out};
    case StepKind::Affine: return {out, out};
    case StepKind::Gather:
    case StepKind::Concat:
    case StepKind::Reshape:
    case StepKind::AnalogGemm: return {};  // data movement only / accumulation counted by the timing model
  }
  return {};
}

std::int64_t Program::totalMacsPerImage() const {
  std::int64_t t = 0;
  for (const auto& s : steps) t += s.macsPerImage();
  return t;
}

std::int64_t Program::totalParams() const {
  std::int64_t t = 0;
  for (const auto& s : steps) t += s.params();
  return t;
}

}  // namespace mxsim::wl
