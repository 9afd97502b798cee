#include "sim/core/bitplane.h"

#include <algorithm>
#include <cstring>

namespace mxsim::bitplane {

namespace {
// GCC vector extensions: one source for every x86-64 level (the compiler splits a 512-bit type into
// AVX2 or SSE2 halves where AVX-512 is missing). Kept inside functions: no vector type crosses an ABI.
typedef std::int16_t I16x32 __attribute__((vector_size(64)));
static_assert(kTileCols == 64, "sums() adds a table row as two 32-lane vectors");
}  // namespace

bool Nibbles::pack(const std::vector<PatchRows>& planes, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0,
                   Eigen::Index v1) {
  m_planes = static_cast<int>(planes.size());
  m_groups = static_cast<int>((rows + kGroupRows - 1) / kGroupRows);
  m_vectors = v1 - v0;
  m_data.assign(static_cast<std::size_t>(m_planes) * m_groups * static_cast<std::size_t>(m_vectors), 0);
  bool ok = true;
  for (int b = 0; b < m_planes; ++b) {
    const PatchRows& x = planes[static_cast<std::size_t>(b)];
    const Eigen::Index P = x.vectorsPerImage();
    for (int g = 0; g < m_groups; ++g) {
      std::uint8_t* out = m_data.data() + (static_cast<std::size_t>(b) * m_groups + g) * static_cast<std::size_t>(m_vectors);
      for (int j = 0; j < kGroupRows; ++j) {
        const Eigen::Index k = static_cast<Eigen::Index>(g) * kGroupRows + j;
        if (k >= rows) break;
        const std::ptrdiff_t rowOffset = x.offset[static_cast<std::size_t>(r0 + k)];
        // Vectors [v0, v1) as runs of one grid row of one image (contiguous in the plane).
        for (Eigen::Index v = v0; v < v1;) {
          const Eigen::Index n = v / P, i = v % P, h = i / x.validWidth, w = i % x.validWidth;
          const Eigen::Index run = std::min(x.validWidth - w, v1 - v);
          const float* src = x.base + n * x.imageStride + rowOffset + h * x.gridWidth + w;
          std::uint8_t* dst = out + (v - v0);
          int bad = 0;
          for (Eigen::Index t = 0; t < run; ++t) {
            const float value = src[t];
            bad |= (value != 0.0f) & (value != 1.0f);
            dst[t] = static_cast<std::uint8_t>(dst[t] | ((value == 1.0f) << j));
          }
          ok = ok && !bad;
          v += run;
        }
      }
    }
  }
  return ok;
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
      for (Eigen::Index c = 0; c < kTileCols; ++c) lv[j][c] = (k < rows && c < cols) ? levels(k, c) : 0;
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
/// NP planes at once: 2·NP independent accumulators, one pass over the groups.
template <int NP>
void sumPlanes(const std::int16_t* table, int groups, const std::uint8_t* nib, Eigen::Index planeStride,
               Eigen::Index stride, std::int16_t* out) {
  I16x32 acc[NP][2] = {};
  for (int g = 0; g < groups; ++g) {
    const std::int16_t* t = table + static_cast<std::size_t>(g) * 16 * kTileCols;
    const std::uint8_t* n = nib + g * stride;
    for (int p = 0; p < NP; ++p) {
      const std::int16_t* row = t + n[p * planeStride] * kTileCols;
      I16x32 r0, r1;
      std::memcpy(&r0, row, sizeof r0);
      std::memcpy(&r1, row + 32, sizeof r1);
      acc[p][0] += r0;
      acc[p][1] += r1;
    }
  }
  for (int p = 0; p < NP; ++p) {
    std::memcpy(out + p * kTileCols, &acc[p][0], sizeof acc[p][0]);
    std::memcpy(out + p * kTileCols + 32, &acc[p][1], sizeof acc[p][1]);
  }
}
}  // namespace

void LevelTable::sums(const std::uint8_t* nib, Eigen::Index planeStride, int planes, Eigen::Index stride,
                      std::int16_t* out) const {
  const std::int16_t* t = m_table.data();
  int b = 0;
  for (; b + 4 <= planes; b += 4) sumPlanes<4>(t, m_groups, nib + b * planeStride, planeStride, stride, out + b * kTileCols);
  for (; b < planes; ++b) sumPlanes<1>(t, m_groups, nib + b * planeStride, planeStride, stride, out + b * kTileCols);
}

float floatSum(const std::uint8_t* nib, Eigen::Index stride, const std::int16_t* rows, int count, const float* g) {
  float acc = 0.0f;
  for (int i = 0; i < count; ++i) {
    const int k = rows[i];
    if ((nib[(k / kGroupRows) * stride] >> (k % kGroupRows)) & 1) acc += g[k];
  }
  return acc;
}

}  // namespace mxsim::bitplane
