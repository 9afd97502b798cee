// Contract: the digital unit: batched functional kernels for the non-analog ops (accumulate, activation,
// pooling, residual add, per-channel affine, im2col gather for the arrays' inputs) and its timing/energy
// rule: `lanes` operations per cycle. Buffers are row-major [images × C·H·W].
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/config.h"
#include "sim/core/elementwise.h"
#include "sim/core/types.h"
#include "sim/core/window.h"

namespace mxsim {

struct DigitalParams {
  int lanes = 64;  // parallel ALU lanes: operations per cycle
  // Special-function units of each digital unit (the chip's; each tile's when chip.tile.memory > 0). They are
  // priced by the work they do (activation.op, pool.op, accumulator.add) and add their area; the work's time
  // is the lanes' (docs/chip.md, "Digital units").
  int activationUnits = 1;  // activation / softmax units (ISAAC: 2 sigmoid units per tile)
  int poolUnits = 1;        // pooling units (ISAAC: 1 max-pool unit per tile)
  int accumulators = 1;     // partial-sum / residual adders (ISAAC: 1 shift-and-add unit per tile)
  static DigitalParams fromConfig(ConfigReader& r);
};

class DigitalCore {
 public:
  explicit DigitalCore(const DigitalParams& p) : m_p(p) {}
  std::uint64_t cycles(std::uint64_t ops) const { return (ops + m_p.lanes - 1) / m_p.lanes; }
  const DigitalParams& params() const { return m_p; }

 private:
  DigitalParams m_p;
};

namespace kernels {
/// Patches of a batch x [N × C·H·W] as the patch matrix [(c, kh, kw) × (n, oh, ow)]: one column per output
/// pixel, zeros in the padding. Each row is built from contiguous runs of the input (this layout is the
/// transpose of the classic im2col rows, read by gemmTN / gemmPatch without packing).
void im2col(const Eigen::Ref<const RowMatrix>& x, const Window& w, RowMatrix& cols);
/// Zero-padded input planes of a batch for an implicit stride-1 conv (PatchRows::conv): row n = image n's
/// C planes of (inH + padTop + padBottom) × (inW + padLeft + padRight), then (kernelW − 1)·dilationW zeros
/// that the last grid positions of the last plane read.
void padPlanes(const Eigen::Ref<const RowMatrix>& x, const Window& w, RowMatrix& padded);
/// Rows [(n, p) × C] back to [N × C·P] (NCHW).
void rowsToNchw(const RowMatrix& rows, int images, RowMatrix& out);
void relu(RowMatrix& x);
void maxPool(const RowMatrix& x, const Window& w, RowMatrix& out);
void globalAvgPool(const RowMatrix& x, int channels, RowMatrix& out);
/// y[:, c·P + p] = x * scale[c] + shift[c]
void affine(const RowMatrix& x, const Eigen::VectorXf& scale, const Eigen::VectorXf& shift, RowMatrix& out);
/// In place y = f(x) (ActivationKind documents alpha/beta).
void activation(RowMatrix& x, ActivationKind kind, float alpha, float beta);
/// In place softmax of each image viewed as [outer × axisLen × inner], along the middle axis (max-subtracted).
void softmax(RowMatrix& x, Eigen::Index outer, Eigen::Index axisLen, Eigen::Index inner);
/// Average pooling; the divisor counts the padding (clipped to the padded extent) when countIncludePad,
/// else only the input pixels a window covers (ONNX AveragePool).
void avgPool(const RowMatrix& x, const Window& w, bool countIncludePad, RowMatrix& out);
/// out[:, i] = x[:, map[i]]
void gather(const RowMatrix& x, const std::vector<std::int32_t>& map, RowMatrix& out);
/// Concatenation: each image is `outer` blocks; input k contributes blocks[k] values to each.
void concat(const std::vector<const RowMatrix*>& xs, const std::vector<std::int64_t>& blocks, std::int64_t outer,
            RowMatrix& out);
/// out = a op b elementwise (same shapes), or with b a row vector broadcast over the batch
/// (constantFirst: out = b op a).
void binary(const RowMatrix& a, const RowMatrix& b, BinaryOp op, RowMatrix& out);
void binaryConstant(const RowMatrix& a, const Eigen::VectorXf& c, bool constantFirst, BinaryOp op, RowMatrix& out);
}  // namespace kernels

}  // namespace mxsim
