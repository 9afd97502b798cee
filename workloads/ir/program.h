// Contract: a Program is the lowered, executable form of an ONNX model: a topologically ordered list of
// steps over numbered activation buffers. Shapes are per image (the batch dimension is implicit and
// dynamic); every buffer holds a batch as a row-major [images × numel] matrix in ONNX (C-order) layout per
// image. Analog steps carry their weights as a K × Cout matrix (im2col row order c, kh, kw) ready for tiling.
#pragma once
#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/elementwise.h"
#include "sim/core/window.h"

namespace mxsim::wl {

using Shape = std::vector<std::int64_t>;  // per image, without the batch dimension (e.g. {C, H, W} or {F})

std::int64_t numel(const Shape& s);
std::string shapeText(const Shape& s);  // "1x28x28"; "scalar" for a rank-0 shape

enum class StepKind {
  AnalogGemm,     // Conv (any group count) or Gemm/MatMul with constant weights (+ folded BatchNormalization)
  Activation,     // elementwise unary function (Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish,
                  //   Round)
  Softmax,        // softmax along one per-image axis
  MaxPool,        // 2-D max pooling
  AvgPool,        // 2-D average pooling
  GlobalAvgPool,  // mean over H×W per channel
  Binary,         // Add/Sub/Mul/Div with numpy broadcasting; one operand may be a constant
  Gather,         // out[i] = in[indexMap[i]]: Transpose, Gather with constant indices, Slice
  Concat,         // concatenation along a per-image axis
  Reshape,        // Flatten / Reshape / Squeeze / Unsqueeze / layout-only Transpose: a view, data unchanged
  Affine,         // per-channel y = x * scale[c] + shift[c] (BatchNormalization that could not be folded)
};

using ActivationKind = mxsim::ActivationKind;
using BinaryOp = mxsim::BinaryOp;

const char* stepKindName(StepKind k);
const char* activationName(ActivationKind a);
const char* binaryOpName(BinaryOp op);

/// Where a step runs on the chip (the lowering decision shown by `mxsim inspect`).
enum class Unit { Analog, Digital, View, Denoiser };
const char* unitName(Unit u);

/// Geometry of a 2-D window op (convolution or pooling) on a C×H×W input.
using Window = mxsim::Window;

/// Digital-unit work of one image of a step, for timing and energy: adds and other ALU ops.
struct DigitalWork {
  std::uint64_t adds = 0, ops = 0;
};

struct Step {
  StepKind kind = StepKind::Reshape;
  std::string name;            // ONNX node name (first node of a fused group), unique in the program
  std::string op;              // ONNX op type(s), e.g. "Conv+BatchNormalization"
  int denoiserBlock = -1;      // >= 0: part of denoiser block #id (runs on the denoiser engine, exact math)
  std::vector<int> inputs;     // buffer ids
  int output = -1;             // buffer id
  Shape inShape, outShape;     // per-image shapes of inputs[0] and output

  // AnalogGemm
  bool isConv = false;         // true: im2col over `window`; false: one K-vector per row of the input's last axis
  Window window;               // also used by MaxPool and AvgPool
  int groups = 1;              // conv groups; weight is then block-diagonal (group g: rows g·Kg.., cols g·Cg..)
  Eigen::MatrixXf weight;      // K × Cout; K = inC*kernelH*kernelW (conv) or in-features (gemm)
  Eigen::VectorXf bias;        // Cout (zeros if none)

  // Activation: Clip uses [alpha, beta] as [min, max]; LeakyRelu alpha; HardSigmoid alpha·x + beta
  ActivationKind activation = ActivationKind::Relu;
  float alpha = 0.0f, beta = 0.0f;

  // AvgPool
  bool countIncludePad = false;

  // Softmax: per image [outer × axisLen × inner]
  std::int64_t outer = 1, axisLen = 1, inner = 1;

  // Binary: operand maps (empty: the operand already has the output's shape). A constant operand is stored
  // expanded to the output shape in `constant`, at position constantIndex (0 or 1; -1 when both are buffers).
  BinaryOp binary = BinaryOp::Add;
  int constantIndex = -1;
  Eigen::VectorXf constant;
  std::vector<std::int32_t> indexMap, indexMap2;  // Gather: indexMap; Binary: per buffer operand

  // Concat: per image, `outer` blocks; each input contributes concatBlock[k] consecutive values per block.
  std::vector<std::int64_t> concatBlock;

  // Affine
  Eigen::VectorXf scale, shift;  // per channel

  Unit unit() const;
  /// Number of input vectors per image an analog step processes (output positions for conv, rows for gemm).
  std::int64_t vectorsPerImage() const;
  /// Input features per group of an analog step (K for dense and group-1 conv).
  std::int64_t rowsPerGroup() const { return weight.rows() / groups; }
  std::int64_t colsPerGroup() const { return weight.cols() / groups; }
  /// Multiply-accumulates per image (analog steps; 0 otherwise). Grouped convs count real weights only.
  std::int64_t macsPerImage() const;
  std::int64_t params() const;  // weights + biases (+ affine); the zeros of a grouped conv are not params
  DigitalWork digitalWork() const;
};

struct Program {
  std::string modelPath;
  std::string inputName, outputName;  // ONNX graph input/output names
  std::vector<Shape> buffers;         // per-image shape of each buffer
  int input = 0;                      // buffer id of the graph input
  int output = 0;                     // buffer id of the graph output
  std::vector<Step> steps;            // topological order

  std::int64_t totalMacsPerImage() const;
  std::int64_t totalParams() const;
};

}  // namespace mxsim::wl
