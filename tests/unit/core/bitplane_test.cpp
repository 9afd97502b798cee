// Exact integer passes (sim/core/bitplane): the table sums equal the integer reference Σ_k x_k·level_k for
// every row count (including ones that are not multiples of the 4-row groups, 64 or 128), tile width, plane
// count, level range, with the all-zero groups skipped, and for explicit and implicit (padded-plane) patch matrices; packing rejects planes
// that are not 0/1; floatSum reproduces the float GEMM's value bit for bit.
#include <gtest/gtest.h>

#include <array>

#include "models/converters/dac.h"
#include "sim/core/bitplane.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

using bitplane::kTileCols;

RowMatrix randomPlane(Eigen::Index rows, Eigen::Index cols, double density, Rng& rng) {
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform() < density ? 1.0f : 0.0f;
  return m;
}

bitplane::Levels randomLevels(Eigen::Index rows, Eigen::Index cols, int maxLevel, Rng& rng) {
  bitplane::Levels l(rows, cols);
  for (Eigen::Index i = 0; i < l.size(); ++i)
    l.data()[i] = static_cast<std::int8_t>(static_cast<int>(rng.uniform() * (2 * maxLevel + 1)) - maxLevel);
  return l;
}

/// A stride-1 3×3 conv window padded by 1 over C × H × W inputs (output H × W).
Window sameConv3x3(int c, int h, int width) {
  Window w;
  w.kernelH = w.kernelW = 3;
  w.strideH = w.strideW = 1;
  w.padTop = w.padBottom = w.padLeft = w.padRight = 1;
  w.inC = c;
  w.inH = w.outH = h;
  w.inW = w.outW = width;
  return w;
}

/// Every plane × vector × column of one row block against the integer reference.
void expectExactSums(const std::vector<PatchRows>& planes, const std::vector<RowMatrix>& dense,
                     const bitplane::Levels& levels, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0,
                     Eigen::Index v1, const std::string& what) {
  bitplane::Nibbles nib;
  ASSERT_TRUE(nib.pack(planes, r0, rows, v0, v1)) << what;
  const Eigen::Index B = static_cast<Eigen::Index>(planes.size());
  const Eigen::Index planeStride = B > 1 ? nib.at(1, 0) - nib.at(0, 0) : 0;
  std::vector<std::int16_t> n(static_cast<std::size_t>(B) * kTileCols);
  for (Eigen::Index c0 = 0; c0 < levels.cols(); c0 += kTileCols) {
    const Eigen::Index nc = std::min<Eigen::Index>(kTileCols, levels.cols() - c0);
    bitplane::LevelTable table;
    table.build(levels.block(r0, c0, rows, nc));
    for (Eigen::Index v = 0; v < v1 - v0; ++v) {
      std::vector<std::uint16_t> live(static_cast<std::size_t>(nib.groups()));
      std::uint32_t livePlanes = 0;
      const int count = nib.liveGroups(v, live.data(), &livePlanes);
      for (int i = 1; i < count; ++i) ASSERT_LT(live[i - 1], live[i]);
      for (Eigen::Index b = 0; b < B && b < bitplane::kMaxPlanes; ++b)
        ASSERT_EQ((livePlanes >> b) & 1u, dense[b].block(r0, v0 + v, rows, 1).any() ? 1u : 0u) << what << " plane " << b;
      // Stale values where a dead plane's sums go: sums() must write them as 0.
      std::fill(n.begin(), n.end(), std::int16_t{-7});
      table.sums(nib.at(0, 0) + v, planeStride, static_cast<int>(B), nib.vectors(), live.data(), count, n.data(),
                 livePlanes);
      for (Eigen::Index b = 0; b < B; ++b) {
        for (Eigen::Index c = 0; c < kTileCols; ++c) {
          long ref = 0;
          if (c < nc)
            for (Eigen::Index k = 0; k < rows; ++k)
              ref += static_cast<long>(dense[b](r0 + k, v0 + v)) * levels(r0 + k, c0 + c);
          ASSERT_EQ(n[static_cast<std::size_t>(b * kTileCols + c)], ref)
              << what << " plane " << b << " vector " << v0 + v << " column " << c0 + c;
        }
      }
    }
  }
}

TEST(BitPlane, TableSumsEqualIntegerReference) {
  Rng rng(streamKey(7, {1}));
  int cases = 0;
  for (Eigen::Index rows : {1, 3, 4, 5, 63, 64, 65, 127, 128, 130, 200})
    for (Eigen::Index cols : {1, 17, 64, 65, 150})
      for (int planes : {1, 3, 4, 5, 16})
        for (int maxLevel : {1, 3, 15}) {
          if (rows * maxLevel > 32767) continue;
          const Eigen::Index vectors = 1 + (rows * 7 + cols) % 9;
          std::vector<RowMatrix> dense;
          std::vector<PatchRows> views;
          // Every third plane of every other case is empty (a high bit no input reaches): no walk, sums 0.
          for (int b = 0; b < planes; ++b)
            dense.push_back(randomPlane(rows + 3, vectors, (cases % 2 && b % 3 == 2) ? 0.0 : 0.1 + 0.2 * (b % 4), rng));
          for (const RowMatrix& d : dense) views.push_back(PatchRows::dense(d));
          const bitplane::Levels levels = randomLevels(rows + 3, cols, maxLevel, rng);
          // A row block that starts inside the matrix, and a vector range that starts inside too.
          expectExactSums(views, dense, levels, 2, rows, vectors > 2 ? 1 : 0, vectors,
                          "rows " + std::to_string(rows) + " cols " + std::to_string(cols) + " planes " +
                              std::to_string(planes) + " levels " + std::to_string(maxLevel));
          ++cases;
        }
  EXPECT_GT(cases, 700);
}

TEST(BitPlane, ExtremeSumsDoNotOverflow) {
  // 128 rows at level ±3 (ISAAC: 2-bit cells, offset mapping) and 2184 rows at ±15: |N| up to 32760.
  for (auto [rows, level] : {std::pair<Eigen::Index, int>{128, 3}, {2184, 15}}) {
    const RowMatrix ones = RowMatrix::Ones(rows, 5);
    std::vector<RowMatrix> dense{ones};
    std::vector<PatchRows> views{PatchRows::dense(dense[0])};
    bitplane::Levels lv(rows, 2);
    lv.col(0).setConstant(static_cast<std::int8_t>(level));
    lv.col(1).setConstant(static_cast<std::int8_t>(-level));
    expectExactSums(views, dense, lv, 0, rows, 0, 5, "extreme");
  }
}

TEST(BitPlane, ImplicitPatchRowsPackLikeExplicit) {
  // A stride-1 3×3 conv over 2 images of 3 × 6 × 5 padded by 1: the implicit view reads the padded planes at
  // shifted offsets; packing it must give the same nibbles as the explicit patch matrix of the same values.
  const Window w = sameConv3x3(3, 6, 5);
  const Eigen::Index Hp = 8, Wp = 7;
  Rng rng(streamKey(7, {2}));
  RowMatrix padded = RowMatrix::Zero(2, w.inC * Hp * Wp);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < w.inC; ++c)
      for (int i = 1; i <= w.inH; ++i)
        for (int j = 1; j <= w.inW; ++j) padded(n, (c * Hp + i) * Wp + j) = rng.uniform() < 0.4 ? 1.0f : 0.0f;
  const PatchRows implicitView = PatchRows::conv(padded, w);
  const Eigen::Index K = implicitView.rows(), V = implicitView.vectors();
  RowMatrix xT(K, V);  // the explicit patch matrix, from the implicit layout's definition
  for (Eigen::Index k = 0; k < K; ++k)
    for (Eigen::Index v = 0; v < V; ++v) {
      const Eigen::Index n = v / implicitView.vectorsPerImage(), i = v % implicitView.vectorsPerImage();
      xT(k, v) = padded(n, implicitView.offset[k] + (i / w.outW) * Wp + i % w.outW);
    }
  const bitplane::Levels levels = randomLevels(K, 9, 3, rng);
  std::vector<RowMatrix> dense{xT};
  expectExactSums({implicitView}, dense, levels, 0, K, 0, V, "implicit");
  expectExactSums({implicitView}, dense, levels, 5, 13, 7, V - 3, "implicit, inner block and vectors");
}

TEST(BitPlane, PackRejectsValuesOtherThanZeroAndOne) {
  RowMatrix x = RowMatrix::Zero(6, 4);
  x(3, 2) = 1.0f;
  std::vector<PatchRows> views{PatchRows::dense(x)};
  bitplane::Nibbles nib;
  EXPECT_TRUE(nib.pack(views, 0, 6, 0, 4));
  x(5, 1) = 0.5f;
  EXPECT_FALSE(nib.pack(views, 0, 6, 0, 4));
  EXPECT_TRUE(nib.pack(views, 0, 5, 0, 4));  // the block above row 5 is still bit planes
  x(5, 1) = -1.0f;
  EXPECT_FALSE(nib.pack(views, 0, 6, 0, 4));
}

TEST(BitPlane, CodesPackLikeTheirFloatBitPlanes) {
  // Two phases of integer codes (5 and 3 bits) over an implicit padded-plane layout and over an explicit one:
  // packCodes gives, plane by plane, the nibbles pack() gives for the float 0/1 planes of the same bits.
  const Window w = sameConv3x3(2, 5, 4);
  const Eigen::Index Hp = 7, Wp = 6;
  Rng rng(streamKey(7, {5}));
  const std::vector<int> bits{5, 3};
  for (bool implicit : {true, false}) {
    const RowMatrix shape = implicit ? RowMatrix(RowMatrix::Zero(3, w.inC * Hp * Wp)) : RowMatrix(RowMatrix::Zero(23, 41));
    auto viewOf = [&](const RowMatrix& m) { return implicit ? PatchRows::conv(m, w) : PatchRows::dense(m); };
    std::vector<DacCodeMatrix> codes;
    std::vector<bitplane::Nibbles::CodeSource> sources;
    std::vector<RowMatrix> planes;
    for (int b : bits) {
      DacCodeMatrix c(shape.rows(), shape.cols());
      for (Eigen::Index i = 0; i < c.size(); ++i) c.data()[i] = static_cast<std::int32_t>(rng.uniform() * (1 << b));
      codes.push_back(c);
    }
    for (std::size_t p = 0; p < bits.size(); ++p) {
      sources.push_back({codes[p].data(), bits[p]});
      for (int b = 0; b < bits[p]; ++b)
        planes.push_back(codes[p].unaryExpr([b](std::int32_t m) { return static_cast<float>((m >> b) & 1); }));
    }
    std::vector<PatchRows> views;
    for (const RowMatrix& m : planes) views.push_back(viewOf(m));
    const PatchRows layout = viewOf(shape);
    for (const auto& [r0, rows, v0, v1] : std::vector<std::array<Eigen::Index, 4>>{
             {0, layout.rows(), 0, layout.vectors()}, {3, std::min<Eigen::Index>(9, layout.rows() - 3), 2, layout.vectors() - 1}}) {
      bitplane::Nibbles fromPlanes, fromCodes;
      ASSERT_TRUE(fromPlanes.pack(views, r0, rows, v0, v1));
      fromCodes.packCodes(layout, sources, r0, rows, v0, v1);
      ASSERT_EQ(fromCodes.planes(), 8);
      ASSERT_EQ(fromCodes.groups(), fromPlanes.groups());
      ASSERT_EQ(fromCodes.vectors(), fromPlanes.vectors());
      for (int b = 0; b < 8; ++b)
        for (int g = 0; g < fromCodes.groups(); ++g)
          for (Eigen::Index v = 0; v < fromCodes.vectors(); ++v)
            ASSERT_EQ(fromCodes.at(b, g)[v], fromPlanes.at(b, g)[v])
                << (implicit ? "implicit" : "explicit") << " plane " << b << " group " << g << " vector " << v;
    }
  }
}

/// For every vector v and column c of the 0/1 plane x (rows × V) and weights g (rows × C):
/// sum(active rows of v, words, c) equals the float GEMM's (xᵀ·g)(v, c) bit for bit.
template <class Sum>
void expectFloatSumsMatchGemm(const RowMatrix& x, const ColMatrix& g, Sum&& sum, const std::string& what) {
  const Eigen::Index rows = x.rows(), V = x.cols(), C = g.cols();
  RowMatrix ref(V, C);
  gemmTN(x, g, ref);
  std::vector<PatchRows> views{PatchRows::dense(x)};
  bitplane::Nibbles nib;
  ASSERT_TRUE(nib.pack(views, 0, rows, 0, V));
  const int words = static_cast<int>((rows + 63) / 64);
  std::vector<std::uint64_t> active(words);
  for (Eigen::Index c = 0; c < C; ++c)
    for (Eigen::Index v = 0; v < V; ++v) {
      bitplane::activeRows(nib.at(0, 0) + v, nib.vectors(), nib.groups(), active.data());
      ASSERT_EQ(sum(active.data(), words, c), ref(v, c)) << what << " rows " << rows << " vector " << v << " column " << c;
    }
}

TEST(BitPlane, FloatSumEqualsTheFloatGemmBitForBit) {
  // Arbitrary float weights (not integer levels: rounding happens at every step) and some zero weights.
  Rng rng(streamKey(7, {3}));
  for (Eigen::Index rows : {1, 5, 64, 100, 128, 131}) {
    const Eigen::Index V = 37, C = 6;
    const RowMatrix x = randomPlane(rows, V, 0.5, rng);
    ColMatrix g(rows, C);
    for (Eigen::Index i = 0; i < g.size(); ++i)
      g.data()[i] = rng.uniform() < 0.2 ? 0.0f : static_cast<float>(rng.normal() * std::pow(10.0, 3 * rng.uniform()));
    const int words = static_cast<int>((rows + 63) / 64);
    std::vector<std::vector<std::uint64_t>> nonzero(static_cast<std::size_t>(C), std::vector<std::uint64_t>(words, 0));
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index k = 0; k < rows; ++k) nonzero[c][k / 64] |= static_cast<std::uint64_t>(g(k, c) != 0.0f) << (k % 64);
    expectFloatSumsMatchGemm(
        x, g,
        [&](const std::uint64_t* active, int n, Eigen::Index c) {
          return bitplane::floatSum(active, nonzero[c].data(), n, g.col(c).data());
        },
        "float weights");
  }
}

TEST(BitPlane, FloatSumOverLevelsEqualsTheFloatGemmBitForBit) {
  // Integer levels whose float weights are a table (a levels-only layer): level 0 is a zero weight, the rest
  // arbitrary floats; every driven row is visited (no non-zero mask), in a column of a row-major matrix.
  Rng rng(streamKey(7, {4}));
  const int maxLevel = 7;
  std::vector<float> value(2 * maxLevel + 1);
  for (int v = -maxLevel; v <= maxLevel; ++v)
    value[static_cast<std::size_t>(v + maxLevel)] = v == 0 ? 0.0f : static_cast<float>(v / 7.0 + 1e-3 * rng.normal());
  for (Eigen::Index rows : {1, 5, 64, 100, 128, 131}) {
    const Eigen::Index V = 29, C = 5;
    const RowMatrix x = randomPlane(rows, V, 0.5, rng);
    const bitplane::Levels levels = randomLevels(rows, C, maxLevel, rng);
    ColMatrix g(rows, C);
    for (Eigen::Index k = 0; k < rows; ++k)
      for (Eigen::Index c = 0; c < C; ++c) g(k, c) = value[static_cast<std::size_t>(levels(k, c) + maxLevel)];
    expectFloatSumsMatchGemm(
        x, g,
        [&](const std::uint64_t* active, int n, Eigen::Index c) {
          return bitplane::floatSum(active, n, &levels(0, c), levels.outerStride(), value.data() + maxLevel);
        },
        "levels");
  }
}

}  // namespace
}  // namespace mxsim
