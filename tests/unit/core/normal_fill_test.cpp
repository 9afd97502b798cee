// Tests for fillStandardNormal (sim/core/rng.h), the vectorised Box-Muller used for per-MVM read noise and
// activation noise: moments, the distribution function and tails of 2·10⁶ samples against bounds of 5
// standard errors for that sample size, the resolution-limited maximum, exact lengths for odd n and
// determinism per stream state. Seeds are fixed, so the tests are deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/support/statistics.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

constexpr std::size_t kN = 2000000;

std::vector<float> draw(std::uint64_t key, std::size_t n) {
  Rng rng(key);
  std::vector<float> z(n);
  fillStandardNormal(rng, z.data(), n);
  return z;
}

TEST(NormalFillTest, MomentsOfTwoMillionSamples) {
  // Standard errors for N i.i.d. N(0, 1) samples: mean 1/√N; sample variance √(2/(N − 1)); skewness √(6/N);
  // excess kurtosis √(24/N). For N = 2·10⁶ the 5-SE bounds are ±0.0035, ±0.0050, ±0.0087, ±0.0173.
  const std::vector<float> z = draw(streamKey(1, {2}), kN);
  const double N = static_cast<double>(kN);
  const testing::Moments m = testing::momentsOf(z);
  const double mean = m.mean, var = m.var * N / (N - 1), skew = m.skew, exKurt = m.exKurt;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(N));
  EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / (N - 1)));
  EXPECT_NEAR(skew, 0.0, 5.0 * std::sqrt(6.0 / N));
  EXPECT_NEAR(exKurt, 0.0, 5.0 * std::sqrt(24.0 / N));
}

TEST(NormalFillTest, KolmogorovSmirnovAndTails) {
  std::vector<float> z = draw(streamKey(3, {4}), kN);
  const double N = static_cast<double>(kN);
  // Tail mass: P(|z| > 3) = erfc(3/√2) = 0.0026998; the count is binomial, 5-σ bound 5·√(N p (1 − p)) = 367.
  const double p3 = std::erfc(3.0 / std::sqrt(2.0));
  long beyond3 = 0;
  for (float v : z) beyond3 += std::abs(v) > 3.0f;
  EXPECT_NEAR(static_cast<double>(beyond3), N * p3, 5.0 * std::sqrt(N * p3 * (1 - p3)));
  // Kolmogorov-Smirnov: D = sup |F_N − Φ| below the 1 % critical value 1.63/√N (= 1.15e-3).
  std::sort(z.begin(), z.end());
  double d = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    const double phi = 0.5 * std::erfc(-static_cast<double>(z[i]) / std::sqrt(2.0));
    d = std::max(d, std::max(static_cast<double>(i + 1) / N - phi, phi - static_cast<double>(i) / N));
  }
  EXPECT_LT(d, 1.63 / std::sqrt(N));
  // Largest magnitude: u1 ≥ 0.5/2²⁴ (24-bit uniform, mid-point), so |z| ≤ √(−2 ln(0.5/2²⁴)) = 5.887;
  // and the tails are not cut early: P(|z| > 4.5) = 6.8e-6, ≈ 13.6 expected, P(none) = e^−13.6 ≈ 1e-6.
  const double maxAbs = std::max(-static_cast<double>(z.front()), static_cast<double>(z.back()));
  EXPECT_LE(maxAbs, std::sqrt(-2.0 * std::log(0.5 / 16777216.0)) + 1e-4);
  EXPECT_GT(maxAbs, 4.5);
}

TEST(NormalFillTest, PairsAreUncorrelated) {
  // Box-Muller's two outputs of one pair (z[2i], z[2i + 1]) share r but are independent normals: both the
  // correlation of the values and of their squares are 0, SE 1/√M for M = 10⁶ pairs (5-SE bound 0.005;
  // the squares' correlation estimate has SE ≈ 1/√M as well, since both are independent).
  const std::vector<float> z = draw(streamKey(5, {6}), kN);
  const std::size_t M = kN / 2;
  double sxy = 0, sx2 = 0, sy2 = 0, qx = 0, qy = 0, qxy = 0, qx2 = 0, qy2 = 0;
  for (std::size_t i = 0; i < M; ++i) {
    const double a = z[2 * i], b = z[2 * i + 1];
    sxy += a * b;
    sx2 += a * a;
    sy2 += b * b;
    const double a2 = a * a, b2 = b * b;
    qx += a2;
    qy += b2;
    qxy += a2 * b2;
    qx2 += a2 * a2;
    qy2 += b2 * b2;
  }
  const double m = static_cast<double>(M);
  EXPECT_NEAR(sxy / std::sqrt(sx2 * sy2), 0.0, 5.0 / std::sqrt(m));
  const double cov = qxy / m - (qx / m) * (qy / m);
  const double corrSq = cov / std::sqrt((qx2 / m - (qx / m) * (qx / m)) * (qy2 / m - (qy / m) * (qy / m)));
  EXPECT_NEAR(corrSq, 0.0, 5.0 / std::sqrt(m));
  // Successive pairs are independent too (lag-2 correlation).
  double lag = 0;
  for (std::size_t i = 0; i + 2 < kN; ++i) lag += static_cast<double>(z[i]) * z[i + 2];
  EXPECT_NEAR(lag / (kN - 2), 0.0, 5.0 / std::sqrt(static_cast<double>(kN - 2)));
}

TEST(NormalFillTest, OddAndBlockBoundaryLengthsFillExactlyN) {
  // The generator works in blocks of 256 pairs (512 values): lengths around the block size and odd lengths
  // must write exactly n values and leave the next one alone.
  const float guard = 12345.0f;
  for (std::size_t n : {1u, 2u, 7u, 511u, 512u, 513u, 1023u, 1025u}) {
    std::vector<float> buf(n + 1, guard);
    Rng rng(streamKey(7, {n}));
    fillStandardNormal(rng, buf.data(), n);
    EXPECT_EQ(buf[n], guard) << "n=" << n << ": wrote past the end";
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(std::isfinite(buf[i])) << "n=" << n << " i=" << i;
      ASSERT_NE(buf[i], guard) << "n=" << n << " i=" << i << " not written";
      ASSERT_LT(std::abs(buf[i]), 6.0f);
    }
  }
  // n = 0 writes nothing.
  float one = guard;
  Rng rng(1);
  fillStandardNormal(rng, &one, 0);
  EXPECT_EQ(one, guard);
}

TEST(NormalFillTest, SameStreamStateSameValuesAndTheStateAdvances) {
  const std::uint64_t key = streamKey(9, {1, 2});
  Rng a(key), b(key);
  std::vector<float> x(1001), y(1001);
  fillStandardNormal(a, x.data(), x.size());
  fillStandardNormal(b, y.data(), y.size());
  EXPECT_TRUE(x == y);
  // Copies of an advanced generator continue identically; a further fill gives new values.
  Rng c = a, d = a;
  std::vector<float> x2(300), y2(300);
  fillStandardNormal(c, x2.data(), x2.size());
  fillStandardNormal(d, y2.data(), y2.size());
  EXPECT_TRUE(x2 == y2);
  int same = 0;
  for (std::size_t i = 0; i < x2.size(); ++i) same += x2[i] == x[i];
  EXPECT_LT(same, 3) << "the second fill repeated the first";
  // A different key gives different values.
  Rng e(streamKey(9, {1, 3}));
  std::vector<float> w(1001);
  fillStandardNormal(e, w.data(), w.size());
  same = 0;
  for (std::size_t i = 0; i < w.size(); ++i) same += w[i] == x[i];
  EXPECT_LT(same, 3);
}

}  // namespace
}  // namespace mxsim
