// Tests for the counter-based RNG (sim/core/rng.h): determinism per stream key, independence of keys,
// random access at(i), and the distribution of uniform() and normal() checked against bounds derived from
// the sample size (all seeds fixed, so the tests are deterministic; the bounds are 5 standard errors, so a
// correct generator passes them with overwhelming probability for any seed).
#include "sim/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

namespace mxsim {
namespace {

TEST(RngTest, Mix64MatchesSplitMix64ReferenceOutputs) {
  // Independent reference: SplitMix64 (Vigna's splitmix64.c) seeded with 1234567 outputs these values
  // (e.g. Rosetta Code, "Pseudo-random numbers/Splitmix64"). Its i-th output is the finaliser applied to
  // seed + (i+1)·golden, i.e. mix64(seed + i·golden) = Rng(seed).at(i).
  Rng rng(1234567);
  EXPECT_EQ(rng.next(), 6457827717110365317ull);
  EXPECT_EQ(rng.next(), 3203168211198807973ull);
  EXPECT_EQ(rng.next(), 9817491932198370423ull);
  EXPECT_EQ(rng.next(), 4593380528125082431ull);
  EXPECT_EQ(rng.next(), 16408922859458223821ull);
  // SplitMix64 seeded with 0: first output 0xE220A8397B1DCDAF.
  EXPECT_EQ(mix64(0), 0xE220A8397B1DCDAFull);
}

TEST(RngTest, SameKeySameSequence) {
  const std::uint64_t key = streamKey(42, {3, 7});
  Rng a(key), b(key);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next()) << "at " << i;
  Rng c(key), d(key);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.normal(), d.normal()) << "at " << i;
}

TEST(RngTest, DifferentKeysGiveDifferentSequences) {
  Rng a(streamKey(42, {3, 7})), b(streamKey(42, {3, 8})), c(streamKey(43, {3, 7}));
  int sameAB = 0, sameAC = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    sameAB += x == y;
    sameAC += x == z;
  }
  // Chance of even one equal 64-bit word among 1000 pairs is ~1000/2^64.
  EXPECT_EQ(sameAB, 0);
  EXPECT_EQ(sameAC, 0);
}

TEST(RngTest, AtIsTheIthOutputOfNextAndDoesNotDependOnState) {
  const std::uint64_t key = streamKey(7, {1});
  Rng seq(key);
  std::vector<std::uint64_t> outs;
  for (int i = 0; i < 500; ++i) outs.push_back(seq.next());
  Rng probe(key);
  probe.next();
  probe.next();  // advancing the counter must not change at()
  for (std::uint64_t i = 0; i < outs.size(); ++i) ASSERT_EQ(probe.at(i), outs[i]) << "i=" << i;
  // And after at(), next() continues from where it was (output 2).
  EXPECT_EQ(probe.next(), outs[2]);
}

TEST(RngTest, NormalUsesBothBoxMullerOutputs) {
  // Two normals consume exactly two uniforms (one Box-Muller pair); the next raw output is at(2).
  const std::uint64_t key = streamKey(5, {9});
  Rng rng(key);
  rng.normal();
  rng.normal();
  EXPECT_EQ(rng.next(), Rng(key).at(2));
}

TEST(RngTest, StreamKeyIsOrderSensitiveAndCollisionFree) {
  EXPECT_NE(streamKey(1, {1, 2}), streamKey(1, {2, 1}));
  EXPECT_NE(streamKey(1, {}), streamKey(1, {0}));
  EXPECT_NE(streamKey(1, {5}), streamKey(1, {5, 0}));
  EXPECT_NE(streamKey(1, {0}), streamKey(2, {0}));
  EXPECT_EQ(streamKey(9, {4, 5, 6}), streamKey(9, {4, 5, 6}));
  // No collisions over a grid of seeds × coordinate pairs (including swapped pairs and zero coordinates).
  std::set<std::uint64_t> keys;
  int n = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    for (std::uint64_t a = 0; a < 16; ++a) {
      for (std::uint64_t b = 0; b < 16; ++b) {
        keys.insert(streamKey(seed, {a, b}));
        ++n;
      }
      keys.insert(streamKey(seed, {a}));
      ++n;
    }
  }
  EXPECT_EQ(keys.size(), static_cast<size_t>(n));
}

constexpr int kN = 1000000;

TEST(RngTest, UniformIsInOpenUnitIntervalWithCorrectMoments) {
  Rng rng(streamKey(2024, {1}));
  double sum = 0, sumSq = 0, lag = 0, prev = 0.5;
  double lo = 1, hi = 0;
  for (int i = 0; i < kN; ++i) {
    const double u = rng.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
    sumSq += u * u;
    lag += (u - 0.5) * (prev - 0.5);
    prev = u;
  }
  const double mean = sum / kN;
  const double var = sumSq / kN - mean * mean;
  // U(0,1): mean 1/2, variance 1/12, so the sample mean has standard error sqrt(1/12 / N).
  EXPECT_NEAR(mean, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / kN));
  // Sample variance: Var(s²) ≈ (μ4 − σ⁴)/N with μ4 = 1/80, σ⁴ = 1/144.
  EXPECT_NEAR(var, 1.0 / 12.0, 5.0 * std::sqrt((1.0 / 80 - 1.0 / 144) / kN));
  // Lag-1 autocovariance of independent draws: mean 0, standard error σ²/sqrt(N) = (1/12)/sqrt(N).
  EXPECT_NEAR(lag / kN, 0.0, 5.0 * (1.0 / 12.0) / std::sqrt(static_cast<double>(kN)));
  // The extremes of 10^6 draws lie within ~20/N of the ends (P(min > 20/N) = (1−20/N)^N ≈ e^−20).
  EXPECT_LT(lo, 20.0 / kN);
  EXPECT_GT(hi, 1.0 - 20.0 / kN);
}

TEST(RngTest, NormalHasStandardMoments) {
  Rng rng(streamKey(2024, {2}));
  std::vector<double> z(kN);
  for (auto& v : z) v = rng.normal();
  double mean = 0;
  for (double v : z) mean += v;
  mean /= kN;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double v : z) {
    const double d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= kN;
  m3 /= kN;
  m4 /= kN;
  const double skew = m3 / std::pow(m2, 1.5);
  const double kurt = m4 / (m2 * m2);
  const double n = kN;
  // For N(0,1) samples: mean has SE 1/sqrt(N); sample variance has SE sqrt(2/N); sample skewness has SE
  // sqrt(6/N); sample kurtosis has SE sqrt(24/N). Bounds are 5 SE (N = 10^6: 0.005, 0.0071, 0.012, 0.024).
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m2, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(skew, 0.0, 5.0 * std::sqrt(6.0 / n));
  EXPECT_NEAR(kurt, 3.0, 5.0 * std::sqrt(24.0 / n));
}

TEST(RngTest, NormalTailProbabilitiesAndPairIndependence) {
  Rng rng(streamKey(77, {}));
  int beyond196 = 0, beyond3 = 0;
  double pairCov = 0;
  for (int i = 0; i < kN / 2; ++i) {
    const double a = rng.normal(), b = rng.normal();  // the two outputs of one Box-Muller pair
    beyond196 += (std::fabs(a) > 1.959963984540054) + (std::fabs(b) > 1.959963984540054);
    beyond3 += (std::fabs(a) > 3.0) + (std::fabs(b) > 3.0);
    pairCov += a * b;
  }
  const double n = kN;
  // A binomial proportion p has SE sqrt(p(1−p)/N). P(|Z| > 1.96) = 0.05, P(|Z| > 3) = 0.0026998.
  const double p1 = 0.05, p2 = 0.0026997960632601866;
  EXPECT_NEAR(beyond196 / n, p1, 5.0 * std::sqrt(p1 * (1 - p1) / n));
  EXPECT_NEAR(beyond3 / n, p2, 5.0 * std::sqrt(p2 * (1 - p2) / n));
  // cos and sin outputs of one pair are independent: E[ab] = 0 with SE 1/sqrt(N/2).
  EXPECT_NEAR(pairCov / (n / 2), 0.0, 5.0 / std::sqrt(n / 2));
}

}  // namespace
}  // namespace mxsim
