// Contract: the elementwise functions the digital unit implements, shared by the workload IR (which names
// them) and the digital kernels (which compute them). Semantics are ONNX's (see docs/workloads.md).
#pragma once
#include <cmath>

namespace mxsim {

/// y = f(x) per element. Parameters alpha/beta: Clip [min, max]; LeakyRelu alpha; HardSigmoid
/// max(0, min(1, alpha·x + beta)); HardSwish x·max(0, min(1, x/6 + 1/2)); Round to the nearest integer,
/// halves to even (roundHalfEven).
enum class ActivationKind { Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Round };

/// ONNX Round: the nearest integer, ties to the even one (0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2), whatever
/// the floating-point rounding mode (std::nearbyint would follow it). NaN and ±inf pass through.
inline float roundHalfEven(float v) {
  if (std::abs(v - std::trunc(v)) == 0.5f) return 2.0f * std::round(0.5f * v);  // a tie: v/2 ends in .25 or .75
  return std::round(v);
}

/// Binary arithmetic (operands already broadcast to the output shape).
enum class BinaryOp { Add, Sub, Mul, Div };

}  // namespace mxsim
