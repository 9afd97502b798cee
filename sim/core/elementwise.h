// Contract: the elementwise functions the digital unit implements, shared by the workload IR (which names
// them) and the digital kernels (which compute them). Semantics are ONNX's (see docs/workloads.md).
#pragma once

namespace mxsim {

/// y = f(x) per element. Parameters alpha/beta: Clip [min, max]; LeakyRelu alpha; HardSigmoid
/// max(0, min(1, alpha·x + beta)); HardSwish x·max(0, min(1, x/6 + 1/2)).
enum class ActivationKind { Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish };

/// Binary arithmetic (operands already broadcast to the output shape).
enum class BinaryOp { Add, Sub, Mul, Div };

}  // namespace mxsim
