// gemmTN: out = xTᵀ·g against a double-precision reference, for shapes that exercise every tile (4 × 24),
// the column remainders 1-3, the one-packet and scalar vector tails, strided blocks on all three operands,
// and the claim that a value does not depend on where it sits (batch split, neighbouring columns).
#include <gtest/gtest.h>

#include <cmath>

#include "sim/core/gemm.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

RowMatrix uniformMatrix(Eigen::Index r, Eigen::Index c, std::uint64_t key) {
  RowMatrix m(r, c);
  Rng rng(key);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(2.0 * rng.uniform() - 1.0);
  return m;
}

TEST(GemmTN, MatchesDoubleReferenceForAllTileShapes) {
  int cases = 0;
  for (Eigen::Index K : {1, 3, 9, 72, 128})
    for (Eigen::Index V : {1, 7, 8, 23, 24, 25, 47, 64, 100})
      for (Eigen::Index C : {1, 2, 3, 4, 5, 8, 13, 16}) {
        const RowMatrix xT = uniformMatrix(K, V, streamKey(1, {static_cast<std::uint64_t>(K), 1}));
        const ColMatrix g = uniformMatrix(K, C, streamKey(1, {static_cast<std::uint64_t>(C), 2}));
        RowMatrix out(V, C);
        gemmTN(xT, g, out);
        const Eigen::MatrixXd ref = xT.cast<double>().transpose() * g.cast<double>();
        for (Eigen::Index v = 0; v < V; ++v)
          for (Eigen::Index c = 0; c < C; ++c) {
            // float accumulation of K products of magnitude ≤ 1: error ≤ K·2⁻²⁴·Σ|x g| ≤ K²·6e-8
            const double bound = 1e-7 * static_cast<double>(K * K) + 1e-7;
            ASSERT_NEAR(out(v, c), ref(v, c), bound) << "K=" << K << " V=" << V << " C=" << C << " v=" << v << " c=" << c;
          }
        ++cases;
      }
  EXPECT_EQ(cases, 5 * 9 * 8);
}

TEST(GemmTN, StridedBlocksAndPositionIndependence) {
  const Eigen::Index K = 40, V = 61, C = 11;
  const RowMatrix bigX = uniformMatrix(K + 5, V + 30, streamKey(2, {1}));
  const ColMatrix bigG = uniformMatrix(K + 5, C + 6, streamKey(2, {2}));
  const auto xT = bigX.block(3, 10, K, V);
  const auto g = bigG.block(3, 4, K, C);
  RowMatrix bigOut = RowMatrix::Constant(V + 2, C + 9, 7.0f);
  gemmTN(xT, g, bigOut.block(1, 5, V, C));
  // Outside the target block nothing is written.
  EXPECT_EQ(bigOut.row(0).maxCoeff(), 7.0f);
  EXPECT_EQ(bigOut.col(4).maxCoeff(), 7.0f);
  EXPECT_EQ(bigOut.col(5 + C).maxCoeff(), 7.0f);
  // The same values bit for bit as on compact copies, and as on any split of the vectors or columns:
  // every value is the same k-ordered multiply-add chain wherever its tile falls.
  RowMatrix whole(V, C);
  gemmTN(RowMatrix(xT), ColMatrix(g), whole);
  EXPECT_TRUE(whole == bigOut.block(1, 5, V, C));
  for (Eigen::Index split : {1, 5, 8, 24, 33}) {
    RowMatrix a(split, C), b(V - split, C);
    gemmTN(xT.leftCols(split), g, a);
    gemmTN(xT.rightCols(V - split), g, b);
    EXPECT_TRUE(a == whole.topRows(split)) << split;
    EXPECT_TRUE(b == whole.bottomRows(V - split)) << split;
  }
  for (Eigen::Index c = 0; c < C; ++c) {
    RowMatrix one(V, 1);
    gemmTN(xT, g.col(c), one);
    EXPECT_TRUE(one.col(0) == whole.col(c)) << c;
  }
}

TEST(GemmTN, EmptyInnerDimensionGivesZeros) {
  const RowMatrix xT(0, 9);
  const ColMatrix g(0, 3);
  RowMatrix out = RowMatrix::Constant(9, 3, 1.0f);
  gemmTN(xT, g, out);
  EXPECT_EQ(out.cwiseAbs().maxCoeff(), 0.0f);
}

}  // namespace
}  // namespace mxsim
