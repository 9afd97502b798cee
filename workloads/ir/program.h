// Contract: a Program is the lowered, executable form of an ONNX model: a topologically ordered list of
// steps over numbered activation buffers. Shapes are per image (the batch dimension is implicit and
// dynamic); every buffer holds a batch as a row-major [images × numel] matrix in NCHW order per image.
// Analog steps carry their weights as a K × Cout matrix (im2col row order c, kh, kw) ready for tiling.
#pragma once
#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/window.h"

namespace mxsim::wl {

using Shape = std::vector<std::int64_t>;  // per image, without the batch dimension (e.g. {C, H, W} or {F})

std::int64_t numel(const Shape& s);
std::string shapeText(const Shape& s);  // "1x28x28"

enum class StepKind {
  AnalogGemm,   // Conv (groups = 1) or Gemm/MatMul with constant weights (+ folded BatchNormalization)
  Relu,         // elementwise max(x, 0)
  MaxPool,      // 2-D max pooling
  GlobalAvgPool,
  Add,          // elementwise sum of two buffers of the same shape
  Reshape,      // Flatten / Reshape: data unchanged (row-major per image), shape changes
  Affine,       // per-channel y = x * scale[c] + shift[c] (BatchNormalization that could not be folded)
};

const char* stepKindName(StepKind k);

/// Geometry of a 2-D window op (convolution or pooling) on a C×H×W input.
using Window = mxsim::Window;

struct Step {
  StepKind kind = StepKind::Reshape;
  std::string name;            // ONNX node name (first node of a fused group), unique in the program
  std::string op;              // ONNX op type(s), e.g. "Conv+BatchNormalization"
  std::vector<int> inputs;     // buffer ids
  int output = -1;             // buffer id
  Shape inShape, outShape;     // per-image shapes of inputs[0] and output

  // AnalogGemm
  bool isConv = false;         // true: im2col over `window`; false: one vector per image (Gemm/MatMul)
  Window window;               // also used by MaxPool
  Eigen::MatrixXf weight;      // K × Cout; K = inC*kernelH*kernelW (conv) or in-features (gemm)
  Eigen::VectorXf bias;        // Cout (zeros if none)

  // Affine
  Eigen::VectorXf scale, shift;  // per channel

  /// Number of input vectors per image an analog step processes (output positions for conv, 1 for gemm).
  std::int64_t vectorsPerImage() const;
  /// Multiply-accumulates per image (analog steps; 0 otherwise).
  std::int64_t macsPerImage() const;
  std::int64_t params() const;  // weights + biases (+ affine)
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
