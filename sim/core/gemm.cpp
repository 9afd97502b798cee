#include "sim/core/gemm.h"

#include <algorithm>

namespace mxsim {

namespace {
using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;

/// One register tile: CB output columns × NP·kLanes vectors starting at (v0, c0).
template <int CB, int NP>
void tile(const float* const* X, const float* G, Eigen::Index ldg, Eigen::Index K, Eigen::Index v0, Eigen::Index c0,
          float* out, Eigen::Index ldo) {
  using namespace Eigen::internal;
  Packet acc[CB][NP];
  for (int c = 0; c < CB; ++c)
    for (int p = 0; p < NP; ++p) acc[c][p] = pset1<Packet>(0.0f);
  const float* gcol[CB];
  for (int c = 0; c < CB; ++c) gcol[c] = G + (c0 + c) * ldg;
  for (Eigen::Index k = 0; k < K; ++k) {
    const float* xk = X[k] + v0;
    Packet xv[NP];
    for (int p = 0; p < NP; ++p) xv[p] = ploadu<Packet>(xk + p * kLanes);
    for (int c = 0; c < CB; ++c) {
      const Packet gb = pset1<Packet>(gcol[c][k]);
      for (int p = 0; p < NP; ++p) acc[c][p] = pmadd(xv[p], gb, acc[c][p]);
    }
  }
  alignas(64) float buf[NP * kLanes];
  for (int c = 0; c < CB; ++c) {
    for (int p = 0; p < NP; ++p) pstoreu(buf + p * kLanes, acc[c][p]);
    float* o = out + v0 * ldo + c0 + c;
    for (int v = 0; v < NP * kLanes; ++v) o[v * ldo] = buf[v];
  }
}

template <int NP>
void columns(const float* const* X, const float* G, Eigen::Index ldg, Eigen::Index K, Eigen::Index v0, Eigen::Index C,
             float* out, Eigen::Index ldo) {
  Eigen::Index c0 = 0;
  for (; c0 + 4 <= C; c0 += 4) tile<4, NP>(X, G, ldg, K, v0, c0, out, ldo);
  switch (C - c0) {
    case 3: tile<3, NP>(X, G, ldg, K, v0, c0, out, ldo); break;
    case 2: tile<2, NP>(X, G, ldg, K, v0, c0, out, ldo); break;
    case 1: tile<1, NP>(X, G, ldg, K, v0, c0, out, ldo); break;
    default: break;
  }
}
}  // namespace

void gemmTN(const Eigen::Ref<const RowMatrix>& xT, const Eigen::Ref<const ColMatrix>& g, Eigen::Ref<RowMatrix> out) {
  std::vector<const float*> rows(static_cast<std::size_t>(xT.rows()));
  for (Eigen::Index k = 0; k < xT.rows(); ++k) rows[static_cast<std::size_t>(k)] = xT.data() + k * xT.outerStride();
  gemmRowsTN(rows.data(), xT.rows(), xT.cols(), g, out);
}

void gemmRowsTN(const float* const* X, Eigen::Index K, Eigen::Index V, const Eigen::Ref<const ColMatrix>& g,
                Eigen::Ref<RowMatrix> out) {
  eigen_assert(g.rows() == K && out.rows() == V && out.cols() == g.cols());
  const Eigen::Index C = g.cols();
  const float* G = g.data();
  float* O = out.data();
  const Eigen::Index ldg = g.outerStride(), ldo = out.outerStride();
  if (K == 0) {
    out.setZero();
    return;
  }
  constexpr int kWide = 3;  // packets per tile: 4 × 3 accumulators + 3 inputs + 1 broadcast = 16 registers
  Eigen::Index v0 = 0;
  for (; v0 + kWide * kLanes <= V; v0 += kWide * kLanes) columns<kWide>(X, G, ldg, K, v0, C, O, ldo);
  for (; v0 + kLanes <= V; v0 += kLanes) columns<1>(X, G, ldg, K, v0, C, O, ldo);
  if (v0 < V) {  // the last < kLanes vectors: the same packet multiply-adds on a zero-padded copy
    const Eigen::Index rest = V - v0;
    std::vector<float> in(static_cast<std::size_t>(K * kLanes), 0.0f);
    std::vector<const float*> rows(static_cast<std::size_t>(K));
    for (Eigen::Index k = 0; k < K; ++k) {
      float* r = in.data() + k * kLanes;
      std::copy(X[k] + v0, X[k] + V, r);
      rows[static_cast<std::size_t>(k)] = r;
    }
    std::vector<float> res(static_cast<std::size_t>(kLanes * C));
    columns<1>(rows.data(), G, ldg, K, 0, C, res.data(), C);
    for (Eigen::Index v = 0; v < rest; ++v)
      for (Eigen::Index c = 0; c < C; ++c) O[(v0 + v) * ldo + c] = res[static_cast<std::size_t>(v * C + c)];
  }
}

Eigen::Index PatchRows::span() const {
  if (offset.empty() || images == 0) return 0;
  return (images - 1) * imageStride + *std::max_element(offset.begin(), offset.end()) + gridRows * gridWidth;
}

PatchRows PatchRows::rowBlock(Eigen::Index r0, Eigen::Index n) const {
  PatchRows r = *this;
  r.offset.assign(offset.begin() + r0, offset.begin() + r0 + n);
  if (!r.offset.empty()) {
    const std::ptrdiff_t first = *std::min_element(r.offset.begin(), r.offset.end());
    r.base += first;
    for (std::ptrdiff_t& o : r.offset) o -= first;
  }
  return r;
}

PatchRows PatchRows::over(const float* otherBase) const {
  PatchRows r = *this;
  r.base = otherBase;
  return r;
}

PatchRows PatchRows::dense(const Eigen::Ref<const RowMatrix>& xT) {
  PatchRows r;
  r.base = xT.data();
  r.offset.resize(static_cast<std::size_t>(xT.rows()));
  for (Eigen::Index k = 0; k < xT.rows(); ++k) r.offset[static_cast<std::size_t>(k)] = k * xT.outerStride();
  r.gridWidth = r.validWidth = xT.cols();
  return r;
}

PatchRows PatchRows::conv(const RowMatrix& padded, const Window& w) {
  eigen_assert(implicitFits(w));
  PatchRows r;
  const Eigen::Index Hp = w.inH + w.padTop + w.padBottom, Wp = w.inW + w.padLeft + w.padRight;
  r.base = padded.data();
  for (int c = 0; c < w.inC; ++c)
    for (int i = 0; i < w.kernelH; ++i)
      for (int j = 0; j < w.kernelW; ++j)
        r.offset.push_back(c * Hp * Wp + static_cast<Eigen::Index>(i) * w.dilationH * Wp +
                           static_cast<Eigen::Index>(j) * w.dilationW);
  r.images = static_cast<int>(padded.rows());
  r.imageStride = padded.cols();
  r.gridRows = w.outH;
  r.gridWidth = Wp;
  r.validWidth = w.outW;
  return r;
}

namespace {
/// fn(n, rows, rowsOfImage) per image with the row pointers of image n.
template <class Fn>
void forImages(const PatchRows& x, Fn&& fn) {
  std::vector<const float*> rows(x.offset.size());
  for (int n = 0; n < x.images; ++n) {
    const float* b = x.base + n * x.imageStride;
    for (std::size_t k = 0; k < rows.size(); ++k) rows[k] = b + x.offset[k];
    fn(n, rows.data());
  }
}
}  // namespace

void gemmPatch(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, RowMatrix& out) {
  const Eigen::Index P = x.vectorsPerImage(), grid = x.gridRows * x.gridWidth, C = g.cols();
  out.resize(x.vectors(), C);
  if (x.gridWidth == x.validWidth) {
    forImages(x, [&](int n, const float* const* rows) { gemmRowsTN(rows, x.rows(), P, g, out.middleRows(n * P, P)); });
    return;
  }
  RowMatrix full(grid, C);
  forImages(x, [&](int n, const float* const* rows) {
    gemmRowsTN(rows, x.rows(), grid, g, full);
    for (Eigen::Index h = 0; h < x.gridRows; ++h)
      out.middleRows(n * P + h * x.validWidth, x.validWidth) = full.middleRows(h * x.gridWidth, x.validWidth);
  });
}

Eigen::VectorXf patchRowSums(const PatchRows& x, RowSum f) {
  const Eigen::Index P = x.vectorsPerImage(), grid = x.gridRows * x.gridWidth;
  Eigen::VectorXf sums(x.vectors());
  Eigen::ArrayXf acc(grid);
  forImages(x, [&](int n, const float* const* rows) {
    acc.setZero();  // over the whole grid, k by k (long contiguous runs), then the real positions kept
    for (Eigen::Index k = 0; k < x.rows(); ++k) {
      const Eigen::Map<const Eigen::ArrayXf> r(rows[k], grid);
      if (f == RowSum::Abs) {
        acc += r.abs();
      } else {
        acc += r.square();
      }
    }
    for (Eigen::Index h = 0; h < x.gridRows; ++h)
      sums.segment(n * P + h * x.validWidth, x.validWidth) = acc.segment(h * x.gridWidth, x.validWidth).matrix();
  });
  return sums;
}

}  // namespace mxsim
