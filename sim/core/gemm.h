// Contract: the one GEMM shape of the engine's convolutions and array passes, out = Xᵀ·g, with the input
// transposed: row k of X holds input k for every vector (the patch-matrix layout), g is k × c (column-major,
// e.g. one array's block of effective weights), out is v × c (row-major, one row per vector). Vectorised
// along v with register tiles of 4 columns × 24 vectors, so every load of X is contiguous and nothing is
// packed (Eigen's product packs the whole k × v operand first, which costs as much as the arithmetic when c
// is a few channels). Every output is Σ_k X(k, v)·g(k, c) accumulated in k order from zero with the same
// multiply-add in every tile and tail, so a value does not depend on its position, the batch split or the
// thread count.
//
// X is either explicit (a k × v matrix, as kernels::im2col builds it) or implicit (PatchRows::conv): for a
// stride-1 convolution, row k = (c, i, j) of one image's patch matrix is the zero-padded input plane c read
// from offset i·dilH·Wp + j·dilW, over a grid of outH rows × Wp (the padded width) positions of which the
// first outW of each row are real outputs. No patch matrix is built; the Wp − outW extra positions per row
// are computed and dropped.
#pragma once
#include <cstddef>
#include <vector>

#include "sim/core/types.h"
#include "sim/core/window.h"

namespace mxsim {

/// out (pre-sized v × c, any row stride) = xTᵀ · g.
void gemmTN(const Eigen::Ref<const RowMatrix>& xT, const Eigen::Ref<const ColMatrix>& g, Eigen::Ref<RowMatrix> out);
/// The same with row k of X given by a pointer (v values from rows[k]).
void gemmRowsTN(const float* const* rows, Eigen::Index K, Eigen::Index V, const Eigen::Ref<const ColMatrix>& g,
                Eigen::Ref<RowMatrix> out);

/// An explicit or implicit patch matrix over a batch of images (see the contract above).
struct PatchRows {
  const float* base = nullptr;          // image 0's storage
  std::vector<std::ptrdiff_t> offset;   // per input row k: start of its run, relative to an image's base
  int images = 1;
  std::ptrdiff_t imageStride = 0;       // image n starts at base + n·imageStride
  Eigen::Index gridRows = 1, gridWidth = 0, validWidth = 0;  // per image: gridRows × gridWidth positions,
                                                             // the first validWidth of each grid row real

  Eigen::Index rows() const { return static_cast<Eigen::Index>(offset.size()); }
  Eigen::Index vectorsPerImage() const { return gridRows * validWidth; }
  Eigen::Index vectors() const { return images * vectorsPerImage(); }
  /// Floats from base that the matrix reads (all images): [base, base + span()).
  Eigen::Index span() const;
  /// Rows [r0, r0 + n) of the same matrix (an array's row block), based at its first run, so span() covers
  /// only what the block reads.
  PatchRows rowBlock(Eigen::Index r0, Eigen::Index n) const;
  /// The same positions over another buffer of the same layout (a DAC pass, the squared inputs).
  PatchRows over(const float* otherBase) const;

  /// X explicit: xT is k × v.
  static PatchRows dense(const Eigen::Ref<const RowMatrix>& xT);
  /// X implicit over padded planes (kernels::padPlanes of a stride-1 window): one row of `padded` per image.
  static PatchRows conv(const RowMatrix& padded, const Window& w);
  /// Whether conv() applies: stride 1 in both directions.
  static bool implicitFits(const Window& w) { return w.strideH == 1 && w.strideW == 1; }
};

/// out (resized to vectors × c) = Xᵀ·g, the vectors of image 0 first.
void gemmPatch(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, RowMatrix& out);
enum class RowSum { Abs, Square };
/// Per vector: Σ_k |X(k, v)| or Σ_k X(k, v)², as a column (vectors).
Eigen::VectorXf patchRowSums(const PatchRows& x, RowSum f);

}  // namespace mxsim
