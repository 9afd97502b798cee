// Contract: exact integer array passes for 0/1 input planes (a bit-serial DAC) against small integer cell
// levels (quantised, noise-free cells). For one array row block and a tile of columns, the column sums
// N(v, c) = Σ_k x_k(v)·level(k, c) are computed by the "method of four Russians": the block's rows in groups
// of 4, each group with a table of its 16 possible partial sums per column, so a vector's sum is one table
// row added per group (4 rows × kTileCols columns per int16 vector add). Integer arithmetic: exact while
// |N| ≤ 32767 (rows × max |level|), and independent of the order, the thread count or the ISA (plain GCC
// vector extensions: AVX-512, AVX2 or SSE2 code from the same source).
//
// floatSum() gives, for one output, the value the float GEMM (gemm.h) computes for the same 0/1 plane and
// float weights: the k-ordered sum of the weights of the rows that are 1 (x·g is exact for x ∈ {0, 1}, so
// FMA or not, each step is one rounding of acc + g). Callers use it where an integer result alone does not
// determine what the float path would have produced.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/gemm.h"

namespace mxsim::bitplane {

constexpr int kGroupRows = 4;   // rows per table lookup (16 table rows per group)
constexpr int kMaxPlanes = 32;  // planes a live-plane mask can describe (more: all taken as live)
constexpr int kTileCols = 64;   // columns per table: 64 × int16 = 2 × 512 bits per row (a 64 KiB table per 128-row block)

using Levels = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // a row of levels per array row

/// The rows [r0, r0 + rows) of 0/1 planes (one per DAC pass), packed as 4-row nibbles for the vectors
/// [v0, v1): at(b, g)[v − v0] = Σ_j x_b(r0 + 4g + j, v) << j (rows past the block read as 0).
class Nibbles {
 public:
  /// False if a value is neither 0 nor 1 (the planes are then not bit planes; nothing else is defined).
  bool pack(const std::vector<PatchRows>& planes, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0,
            Eigen::Index v1);
  /// The groups of vector v (local index) with a 1 in some plane, increasing, into groups; returns the count.
  /// (With ReLU inputs and zero padding ~20 % of a ResNet's 4-row groups are all zero.)
  /// If livePlanes is given, bit b of it is set iff plane b has a 1 in some group of vector v (all bits set
  /// when there are more than kMaxPlanes planes).
  int liveGroups(Eigen::Index v, std::uint16_t* groups, std::uint32_t* livePlanes = nullptr) const;
  /// One phase of non-negative integer codes: its planes are bits 0 … bits − 1 of each code.
  struct CodeSource {
    const std::int32_t* codes;  // element i of the codes is at the position element i of layout's buffer has
    int bits;
  };
  /// pack() of the bit planes of integer codes, phase after phase (phase 0's bit 0 is plane 0): the codes
  /// have the shape of the buffer `layout` views (layout gives positions only), so plane p's value at (k, v)
  /// is bit b of the code where layout reads (k, v). Every value is a bit: nothing can fail.
  void packCodes(const PatchRows& layout, const std::vector<CodeSource>& phases, Eigen::Index r0, Eigen::Index rows,
                 Eigen::Index v0, Eigen::Index v1);
  int planes() const { return m_planes; }
  int groups() const { return m_groups; }
  Eigen::Index vectors() const { return m_vectors; }
  /// Nibbles of plane b, group g for every vector (stride 1), so a vector's groups are vectors() apart.
  const std::uint8_t* at(int b, int g) const {
    return m_data.data() + (static_cast<std::size_t>(b) * m_groups + g) * static_cast<std::size_t>(m_vectors);
  }

 private:
  int m_planes = 0, m_groups = 0;
  Eigen::Index m_vectors = 0;
  std::vector<std::uint8_t> m_data;
};

/// The partial-sum tables of one row block × one tile of at most kTileCols columns.
class LevelTable {
 public:
  /// levels(r, c) for r < rows, c < cols ≤ kTileCols (a block of a row-major matrix).
  void build(const Eigen::Ref<const Levels>& levels);
  int groups() const { return m_groups; }
  /// out[b·kTileCols + c] = Σ_g table(g, nib[b·planeStride + g·stride])[c] for b < planes, c < kTileCols
  /// (columns past cols are 0): the exact N(v, c) of one vector for each of `planes` planes, a plane's group
  /// nibbles `stride` bytes apart. Only the groups listed (`count` of them) are added: the others must have
  /// zero nibbles in every plane (Nibbles::liveGroups), whose table row is 0. Planes b < kMaxPlanes whose
  /// bit in livePlanes is clear must have no 1 at all: their sums are 0 without a walk.
  void sums(const std::uint8_t* nib, Eigen::Index planeStride, int planes, Eigen::Index stride,
            const std::uint16_t* groups, int count, std::int16_t* out, std::uint32_t livePlanes = ~0u) const;

 private:
  int m_groups = 0;
  std::vector<std::int16_t> m_table;  // [group][16 masks][kTileCols]
};

/// Row bit masks, 64 rows per word: bit k of the rows whose plane value is 1, from the nibbles of one vector
/// and plane (nib[g·stride], `groups` groups); words = ceil(4·groups / 64).
void activeRows(const std::uint8_t* nib, Eigen::Index stride, int groups, std::uint64_t* words);

/// The float GEMM's value for one output: Σ over the rows k set in both `active` and `nonzero` (`words`
/// words), in increasing k, of g[k], accumulated in float from +0. Skipping the rows where g[k] = 0 leaves a
/// float sum unchanged (up to the sign of a zero, which no later step sees).
float floatSum(const std::uint64_t* active, const std::uint64_t* nonzero, int words, const float* g);
/// The same over every row set in `active`, with g[k] = valueOfLevel[levels[k·stride]]: a column of integer
/// levels (a row-major Levels matrix's column has stride = its outer stride) and the float weight of each
/// level (rows whose weight is 0 add nothing, so no non-zero mask is needed).
float floatSum(const std::uint64_t* active, int words, const std::int8_t* levels, Eigen::Index stride,
               const float* valueOfLevel);

}  // namespace mxsim::bitplane
