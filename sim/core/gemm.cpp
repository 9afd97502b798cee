#include "sim/core/gemm.h"

#include <algorithm>
#include <cmath>

namespace mxsim {

namespace {
using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;

/// The scalar twin of Eigen's pmadd on this target: fused where the packets fuse (FMA), else a·b + c.
inline float madd(float a, float b, float c) {
#ifdef __FMA__
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

/// One register tile: CB output columns × NP·kLanes vectors starting at (v0, c0).
template <int CB, int NP>
void tile(const float* X, Eigen::Index ldx, const float* G, Eigen::Index ldg, Eigen::Index K, Eigen::Index v0,
          Eigen::Index c0, float* out, Eigen::Index ldo) {
  using namespace Eigen::internal;
  Packet acc[CB][NP];
  for (int c = 0; c < CB; ++c)
    for (int p = 0; p < NP; ++p) acc[c][p] = pset1<Packet>(0.0f);
  const float* gcol[CB];
  for (int c = 0; c < CB; ++c) gcol[c] = G + (c0 + c) * ldg;
  const float* xk = X + v0;
  for (Eigen::Index k = 0; k < K; ++k, xk += ldx) {
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
void columns(const float* X, Eigen::Index ldx, const float* G, Eigen::Index ldg, Eigen::Index K, Eigen::Index v0,
             Eigen::Index C, float* out, Eigen::Index ldo) {
  Eigen::Index c0 = 0;
  for (; c0 + 4 <= C; c0 += 4) tile<4, NP>(X, ldx, G, ldg, K, v0, c0, out, ldo);
  switch (C - c0) {
    case 3: tile<3, NP>(X, ldx, G, ldg, K, v0, c0, out, ldo); break;
    case 2: tile<2, NP>(X, ldx, G, ldg, K, v0, c0, out, ldo); break;
    case 1: tile<1, NP>(X, ldx, G, ldg, K, v0, c0, out, ldo); break;
    default: break;
  }
}
}  // namespace

void gemmTN(const Eigen::Ref<const RowMatrix>& xT, const Eigen::Ref<const ColMatrix>& g, Eigen::Ref<RowMatrix> out) {
  eigen_assert(g.rows() == xT.rows() && out.rows() == xT.cols() && out.cols() == g.cols());
  const Eigen::Index K = xT.rows(), V = xT.cols(), C = g.cols();
  const float* X = xT.data();
  const float* G = g.data();
  float* O = out.data();
  const Eigen::Index ldx = xT.outerStride(), ldg = g.outerStride(), ldo = out.outerStride();
  if (K == 0) {
    out.setZero();
    return;
  }
  constexpr int kWide = 3;  // packets per tile: 4 × 3 accumulators + 3 inputs + 1 broadcast = 16 registers
  Eigen::Index v0 = 0;
  for (; v0 + kWide * kLanes <= V; v0 += kWide * kLanes) columns<kWide>(X, ldx, G, ldg, K, v0, C, O, ldo);
  for (; v0 + kLanes <= V; v0 += kLanes) columns<1>(X, ldx, G, ldg, K, v0, C, O, ldo);
  for (; v0 < V; ++v0) {  // the last < kLanes vectors: the same multiply-adds, one value at a time
    for (Eigen::Index c = 0; c < C; ++c) {
      float acc = 0.0f;
      for (Eigen::Index k = 0; k < K; ++k) acc = madd(X[k * ldx + v0], G[c * ldg + k], acc);
      O[v0 * ldo + c] = acc;
    }
  }
}

}  // namespace mxsim
