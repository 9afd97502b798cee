#include "sim/core/bitplane.h"

#include <algorithm>
#include <cstring>

namespace mxsim::bitplane {

namespace {
// GCC vector extensions: one source for every x86-64 level (the compiler splits a 512-bit type into
// AVX2 or SSE2 halves where AVX-512 is missing). Kept inside functions: no vector type crosses an ABI.
typedef std::int16_t I16x32 __attribute__((vector_size(64)));
constexpr int kLanes = 32;
constexpr int kParts = kTileCols / kLanes;  // vectors per table row
static_assert(kTileCols % kLanes == 0, "a table row is whole 32-lane vectors");
}  // namespace

namespace {
/// The runs of the vectors [v0, v1) of one 4-row group g of `x`'s rows [r0, r0 + rows): each run is one grid
/// row of one image (contiguous in the buffer). fn(v, run, index, step): the j-th row's t-th value of the run
/// is element index[j] + t·step[j] of the buffer (rows past the block: step 0 at index −1, read as 0).
template <class Fn>
void forEachRun(const PatchRows& x, Eigen::Index r0, Eigen::Index rows, int g, Eigen::Index v0, Eigen::Index v1,
                Fn&& fn) {
  const Eigen::Index P = x.vectorsPerImage();
  std::ptrdiff_t rowOffset[kGroupRows];
  bool real[kGroupRows];
  for (int j = 0; j < kGroupRows; ++j) {
    const Eigen::Index k = static_cast<Eigen::Index>(g) * kGroupRows + j;
    real[j] = k < rows;
    rowOffset[j] = real[j] ? x.offset[static_cast<std::size_t>(r0 + k)] : 0;
  }
  for (Eigen::Index v = v0; v < v1;) {
    const Eigen::Index n = v / P, i = v % P, h = i / x.validWidth, w = i % x.validWidth;
    const Eigen::Index run = std::min(x.validWidth - w, v1 - v);
    std::ptrdiff_t index[kGroupRows];
    Eigen::Index step[kGroupRows];
    for (int j = 0; j < kGroupRows; ++j) {
      index[j] = real[j] ? n * x.imageStride + rowOffset[j] + h * x.gridWidth + w : -1;
      step[j] = real[j] ? 1 : 0;
    }
    fn(v, run, index, step);
    v += run;
  }
}
}  // namespace

bool Nibbles::pack(const std::vector<PatchRows>& planes, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0,
                   Eigen::Index v1) {
  m_planes = static_cast<int>(planes.size());
  m_groups = static_cast<int>((rows + kGroupRows - 1) / kGroupRows);
  m_vectors = v1 - v0;
  m_data.resize(static_cast<std::size_t>(m_planes) * m_groups * static_cast<std::size_t>(m_vectors));
  static const float kZeros[1] = {0.0f};
  bool ok = true;
  for (int b = 0; b < m_planes; ++b) {
    const PatchRows& x = planes[static_cast<std::size_t>(b)];
    for (int g = 0; g < m_groups; ++g) {
      std::uint8_t* out = m_data.data() + (static_cast<std::size_t>(b) * m_groups + g) * static_cast<std::size_t>(m_vectors);
      forEachRun(x, r0, rows, g, v0, v1, [&](Eigen::Index v, Eigen::Index run, const std::ptrdiff_t* index,
                                              const Eigen::Index* step) {
        const float* src[kGroupRows];
        for (int j = 0; j < kGroupRows; ++j) src[j] = index[j] >= 0 ? x.base + index[j] : kZeros;
        std::uint8_t* dst = out + (v - v0);
        int bad = 0;
        for (Eigen::Index t = 0; t < run; ++t) {
          const float a = src[0][t * step[0]], c = src[1][t * step[1]], d = src[2][t * step[2]], e = src[3][t * step[3]];
          bad |= ((a != 0.0f) & (a != 1.0f)) | ((c != 0.0f) & (c != 1.0f)) | ((d != 0.0f) & (d != 1.0f)) |
                 ((e != 0.0f) & (e != 1.0f));
          dst[t] = static_cast<std::uint8_t>((a == 1.0f) | ((c == 1.0f) << 1) | ((d == 1.0f) << 2) | ((e == 1.0f) << 3));
        }
        ok = ok && !bad;
      });
    }
  }
  return ok;
}

void Nibbles::packCodes(const PatchRows& layout, const std::vector<CodeSource>& phases, Eigen::Index r0,
                        Eigen::Index rows, Eigen::Index v0, Eigen::Index v1) {
  m_planes = 0;
  for (const CodeSource& ph : phases) m_planes += ph.bits;
  m_groups = static_cast<int>((rows + kGroupRows - 1) / kGroupRows);
  m_vectors = v1 - v0;
  m_data.resize(static_cast<std::size_t>(m_planes) * m_groups * static_cast<std::size_t>(m_vectors));
  static const std::int32_t kZeros[1] = {0};
  int first = 0;  // the phase's first plane
  for (const CodeSource& ph : phases) {
    for (int g = 0; g < m_groups; ++g) {
      forEachRun(layout, r0, rows, g, v0, v1, [&](Eigen::Index v, Eigen::Index run, const std::ptrdiff_t* index,
                                                   const Eigen::Index* step) {
        const std::int32_t* src[kGroupRows];
        for (int j = 0; j < kGroupRows; ++j) src[j] = index[j] >= 0 ? ph.codes + index[j] : kZeros;
        for (int b = 0; b < ph.bits; ++b) {
          std::uint8_t* dst = m_data.data() +
                              (static_cast<std::size_t>(first + b) * m_groups + g) * static_cast<std::size_t>(m_vectors) +
                              static_cast<std::size_t>(v - v0);
          for (Eigen::Index t = 0; t < run; ++t)
            dst[t] = static_cast<std::uint8_t>(((src[0][t * step[0]] >> b) & 1) | (((src[1][t * step[1]] >> b) & 1) << 1) |
                                               (((src[2][t * step[2]] >> b) & 1) << 2) |
                                               (((src[3][t * step[3]] >> b) & 1) << 3));
        }
      });
    }
    first += ph.bits;
  }
}

void LevelTable::build(const Eigen::Ref<const Levels>& levels) {
  const Eigen::Index rows = levels.rows(), cols = levels.cols();
  eigen_assert(cols <= kTileCols);
  m_groups = static_cast<int>((rows + kGroupRows - 1) / kGroupRows);
  m_table.resize(static_cast<std::size_t>(m_groups) * 16 * kTileCols);
  alignas(64) std::int16_t lv[kGroupRows][kTileCols];
  for (int g = 0; g < m_groups; ++g) {
    // The group's rows widened and zero-padded to kTileCols (rows past the block: zero).
    for (int j = 0; j < kGroupRows; ++j) {
      const Eigen::Index k = static_cast<Eigen::Index>(g) * kGroupRows + j;
      std::fill(lv[j], lv[j] + kTileCols, std::int16_t{0});
      if (k >= rows) continue;
      const std::int8_t* row = levels.row(k).data();  // row-major: the tile's columns are contiguous
      for (Eigen::Index c = 0; c < cols; ++c) lv[j][c] = row[c];
    }
    std::int16_t* t = m_table.data() + static_cast<std::size_t>(g) * 16 * kTileCols;
    std::fill(t, t + kTileCols, std::int16_t{0});
    for (int m = 1; m < 16; ++m) {
      int j = 0;
      while (!((m >> j) & 1)) ++j;  // the lowest set bit: table(m) = table(m without it) + that row
      const std::int16_t* prev = t + (m & (m - 1)) * kTileCols;
      const std::int16_t* add = lv[j];
      std::int16_t* cur = t + m * kTileCols;
      for (int c = 0; c < kTileCols; ++c) cur[c] = static_cast<std::int16_t>(prev[c] + add[c]);
    }
  }
}

namespace {
/// NP planes at once (plane p's nibbles at nib[p], its sums to out[p]): 2·NP independent accumulators, one
/// pass over the groups.
template <int NP>
void sumPlanes(const std::int16_t* table, const std::uint16_t* groups, int count, const std::uint8_t* const* nib,
               Eigen::Index stride, std::int16_t* const* out) {
  I16x32 acc[NP][kParts] = {};
  for (int i = 0; i < count; ++i) {
    const int g = groups[i];
    const std::int16_t* t = table + static_cast<std::size_t>(g) * 16 * kTileCols;
    for (int p = 0; p < NP; ++p) {
      const std::int16_t* row = t + nib[p][g * stride] * kTileCols;
      for (int h = 0; h < kParts; ++h) {
        I16x32 r;
        std::memcpy(&r, row + h * kLanes, sizeof r);
        acc[p][h] += r;
      }
    }
  }
  for (int p = 0; p < NP; ++p)
    for (int h = 0; h < kParts; ++h) std::memcpy(out[p] + h * kLanes, &acc[p][h], sizeof acc[p][h]);
}
}  // namespace

void LevelTable::sums(const std::uint8_t* nib, Eigen::Index planeStride, int planes, Eigen::Index stride,
                      const std::uint16_t* groups, int count, std::int16_t* out, std::uint32_t livePlanes) const {
  const std::int16_t* t = m_table.data();
  const std::uint8_t* nibs[4];  // up to four live planes, walked together
  std::int16_t* outs[4];
  int n = 0;
  for (int b = 0; b < planes; ++b) {
    if (b < kMaxPlanes && !((livePlanes >> b) & 1u)) {  // no 1 in this plane: every sum is 0
      std::fill(out + b * kTileCols, out + (b + 1) * kTileCols, std::int16_t{0});
      continue;
    }
    nibs[n] = nib + b * planeStride;
    outs[n++] = out + b * kTileCols;
    if (n == 4) {
      sumPlanes<4>(t, groups, count, nibs, stride, outs);
      n = 0;
    }
  }
  for (int p = 0; p < n; ++p) sumPlanes<1>(t, groups, count, nibs + p, stride, outs + p);
}

int Nibbles::liveGroups(Eigen::Index v, std::uint16_t* groups, std::uint32_t* livePlanes) const {
  int count = 0;
  std::uint32_t planes = 0;
  for (int g = 0; g < m_groups; ++g) {
    unsigned any = 0;
    for (int b = 0; b < m_planes; ++b) {
      const unsigned n = at(b, g)[v];
      any |= n;
      if (b < kMaxPlanes) planes |= static_cast<std::uint32_t>(n != 0) << b;
    }
    groups[count] = static_cast<std::uint16_t>(g);
    count += any != 0;
  }
  if (livePlanes) *livePlanes = m_planes > kMaxPlanes ? ~0u : planes;
  return count;
}

void activeRows(const std::uint8_t* nib, Eigen::Index stride, int groups, std::uint64_t* words) {
  const int n = (groups * kGroupRows + 63) / 64;
  std::fill(words, words + n, std::uint64_t{0});
  for (int g = 0; g < groups; ++g)
    words[g / 16] |= static_cast<std::uint64_t>(nib[g * stride] & 15u) << (kGroupRows * (g % 16));
}

namespace {
/// Σ over the rows k set in `active` (and in `nonzero`, if given), in increasing k, of g(k), accumulated in
/// float from +0.
template <class G>
float maskedSum(const std::uint64_t* active, const std::uint64_t* nonzero, int words, G&& g) {
  float acc = 0.0f;
  for (int w = 0; w < words; ++w) {
    for (std::uint64_t m = active[w] & (nonzero ? nonzero[w] : ~std::uint64_t{0}); m; m &= m - 1)
      acc += g(w * 64 + __builtin_ctzll(m));
  }
  return acc;
}
}  // namespace

float floatSum(const std::uint64_t* active, const std::uint64_t* nonzero, int words, const float* g) {
  return maskedSum(active, nonzero, words, [g](int k) { return g[k]; });
}

float floatSum(const std::uint64_t* active, int words, const std::int8_t* levels, Eigen::Index stride,
               const float* valueOfLevel) {
  return maskedSum(active, nullptr, words, [&](int k) { return valueOfLevel[levels[k * stride]]; });
}

}  // namespace mxsim::bitplane
