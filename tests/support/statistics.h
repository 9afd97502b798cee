// Shared helpers for statistical tests: seeded random matrices and sample statistics. Bounds stay in the
// tests (each states its own derivation).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/core/rng.h"
#include "sim/core/types.h"

namespace mxsim::testing {

/// Uniform weights in [−1, 1] from a fixed stream, filled column by column.
inline ColMatrix randomWeights(int rows, int cols, std::uint64_t key) {
  Rng rng(key);
  ColMatrix w(rows, cols);
  for (Eigen::Index c = 0; c < cols; ++c)
    for (Eigen::Index r = 0; r < rows; ++r) w(r, c) = static_cast<float>(2 * rng.uniform() - 1);
  return w;
}

struct Stats {
  double mean = 0, var = 0;  // sample mean and unbiased sample variance
  long n = 0;
};

inline Stats statsOf(const std::vector<double>& v) {
  Stats s;
  s.n = static_cast<long>(v.size());
  for (double x : v) s.mean += x;
  s.mean /= s.n;
  for (double x : v) s.var += (x - s.mean) * (x - s.mean);
  s.var /= (s.n - 1);
  return s;
}

/// Sample mean, (biased) variance, skewness and excess kurtosis.
struct Moments {
  double mean, var, skew, exKurt;
};

inline Moments momentsOf(const std::vector<float>& z) {
  const double n = static_cast<double>(z.size());
  double s = 0;
  for (float v : z) s += v;
  const double mean = s / n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (float v : z) {
    const double d = v - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {mean, m2, m3 / std::pow(m2, 1.5), m4 / (m2 * m2) - 3.0};
}

}  // namespace mxsim::testing
