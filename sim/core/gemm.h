// Contract: the one GEMM shape of the engine's convolutions and array passes, out = xTᵀ·g, with the input
// transposed: xT is k × v (row-major, one column per input vector — the patch-matrix layout kernels::im2col
// builds), g is k × c (column-major, e.g. one array's block of effective weights), out is v × c (row-major,
// one row per vector). Vectorised along v with register tiles of 4 columns × 24 vectors, so every load of
// xT is contiguous and nothing is packed (Eigen's product packs the whole k × v operand first, which costs as
// much as the arithmetic when c is a few channels). Every output is Σ_k xT(k, v)·g(k, c) accumulated in k
// order from zero with the same multiply-add in every tile and tail, so a value does not depend on its
// position, the batch split or the thread count.
#pragma once
#include "sim/core/types.h"

namespace mxsim {

/// out (pre-sized v × c, any row stride) = xTᵀ · g.
void gemmTN(const Eigen::Ref<const RowMatrix>& xT, const Eigen::Ref<const ColMatrix>& g, Eigen::Ref<RowMatrix> out);

}  // namespace mxsim
