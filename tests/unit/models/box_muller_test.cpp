// Tests for the Box-Muller GRNG (models/noise/box_muller.h): the uniform sources (maximal period proved by
// the order of their GF(2) transition matrices), the fixed-point ln / sqrt / sin-cos units against <cmath>
// with their documented error bounds, the statistics of the output (moments, Kolmogorov–Smirnov, chi-square,
// independence of the two outputs of an evaluation) for 32-bit and 16-bit uniforms, the tail-truncation
// bound, reproducibility and the cycle rule.
//
// Statistical thresholds are 5 standard errors of the statistic under H0 (or p = 0.001 / 1 % for the
// goodness-of-fit tests); the seeds are fixed, so a pass is deterministic. Expected values account for the
// two properties of the hardware that are not N(0, 1):
//  * u1 is discrete (b bits, code 0 forced to 1), so R² = −2 ln u1 has E[R²] = −(2/N)·Σ_U ln(max(U,1)/N) and
//    E[R⁴] = (4/N)·Σ_U ln²(max(U,1)/N) with N = 2^b, instead of 2 and 8 (this is the tail truncation:
//    no |z| beyond √(2b ln 2)). The angle 2πU2/N is uniform on N ≥ 8 points, for which the averages
//    of cos² and cos⁴ are exactly 1/2 and 3/8, so var = E[R²]/2 and E[z⁴] = 3/8·E[R⁴]. Truncation alone
//    lowers the fourth moment (excess kurtosis ≈ 3w(1 − ln N), w = 1/N), the left-endpoint grid of u1 raises
//    both moments; for b = 16 the net effect is var = 1 + 7.1e-5 and excess kurtosis +4.7e-4 (checked against
//    closed forms below); for b = 32 the deviation is < 1e-6 and the normal values are used.
//  * the output is rounded to a step Δ = 2^-F: Sheppard's correction adds Δ²/12 to the variance and
//    6·var·Δ²/12 to the fourth moment (both ~1e-8 here, kept for completeness). The KS and chi-square
//    tests compare against the CDF of the rounded normal, i.e. Φ evaluated at cell edges q ± Δ/2.
// The fixed-point function errors (< 1e-4 in z, bounded per unit below) move the variance by at most
// 2·E|z|·1e-4 < 2e-4, far inside the 5σ variance tolerance of 5·√(2/N) ≈ 5e-3.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <vector>

#include "tests/support/statistics.h"
#include "models/noise/box_muller.h"
#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

using testing::Moments;
using testing::momentsOf;

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kTwoPi = 6.28318530717958647692;

// ---------------------------------------------------------------------------------------------------
// Configurations and cached samples (generated once per process; the statistics tests share them)

constexpr std::size_t kSamples = 2'000'000;  // 10^6 evaluations, both outputs

GrngParams defaultParams() { return GrngParams{}; }
GrngParams params16() {
  GrngParams p;
  p.uniformBits = 16;
  return p;
}
GrngParams paramsLfsr() {
  GrngParams p;
  p.urng = GrngSource::Lfsr;
  return p;
}

std::vector<float> draw(const GrngParams& p, std::uint64_t seed, std::size_t n) {
  BoxMullerCore core(p, streamKey(seed, {0x67726e67}));
  std::vector<float> z(n);
  core.generate(z.data(), n);
  return z;
}

enum class Config { Default, Bits16, Lfsr };
GrngParams paramsOf(Config c) {
  return c == Config::Default ? defaultParams() : c == Config::Bits16 ? params16() : paramsLfsr();
}
const char* nameOf(Config c) { return c == Config::Default ? "default" : c == Config::Bits16 ? "16-bit" : "lfsr"; }

const std::vector<float>& samples(Config c) {
  static std::map<Config, std::vector<float>> cache;
  auto it = cache.find(c);
  if (it == cache.end()) it = cache.emplace(c, draw(paramsOf(c), 2024 + static_cast<int>(c), kSamples)).first;
  return it->second;
}

// ---------------------------------------------------------------------------------------------------
// Reference distribution helpers

double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double phiInverse(double p) {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (phi(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// Upper p-quantile of chi-square with `df` degrees of freedom, Wilson–Hilferty approximation:
/// χ² ≈ df·(1 − 2/(9df) + z_p·√(2/(9df)))³, z_p the standard normal quantile.
double chiSquareCritical(int df, double p) {
  const double z = phiInverse(1.0 - p);
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

/// Exact variance and excess kurtosis of the ideal b-bit Box-Muller (infinite-precision functions, discrete
/// u1 with code 0 → 1, 2^b equally spaced angles), plus Sheppard's corrections for output step `delta`.
Moments idealMoments(int b, double delta) {
  const long double n = std::ldexp(1.0L, b);
  // Σ_{U=1}^{N-1} ln(U/N) = lnΓ(N) − (N−1)·ln N; the U = 0 code contributes ln(1/N) once more.
  const long double sumLn = std::lgammal(n) - (n - 1) * std::log(n) - std::log(n);
  const double er2 = static_cast<double>(-2.0L * sumLn / n);
  double er4 = 8.0;  // b > 24: |E[R⁴] − 8| < 1e-6 (the missing tail mass is ~(ln N)²/N)
  if (b <= 24) {
    long double s = 4.0L * std::log(n) * std::log(n);  // U = 0 → 1
    for (std::uint64_t u = 1; u < (std::uint64_t{1} << b); ++u) {
      const long double l = std::log(static_cast<long double>(u) / n);
      s += 4.0L * l * l;
    }
    er4 = static_cast<double>(s / n);
  }
  const double q = delta * delta / 12.0;
  const double var = er2 / 2.0 + q;
  const double m4 = 3.0 / 8.0 * er4 + 6.0 * (er2 / 2.0) * q;
  return {0.0, var, 0.0, m4 / (var * var) - 3.0};
}

/// Kolmogorov–Smirnov distance between the sample and N(0,1) rounded to the grid `delta` (the output of an
/// ideal generator). The reference CDF is a step function: at a grid value q it jumps from Φ(q − Δ/2) to
/// Φ(q + Δ/2); both sides of every observed value are compared (between observed values the empirical CDF
/// is flat and the reference monotone, so the supremum is attained at those points).
double ksDistance(std::vector<float> z, double delta) {
  std::sort(z.begin(), z.end());
  const double n = static_cast<double>(z.size());
  double d = 0;
  for (std::size_t i = 0; i < z.size();) {
    std::size_t j = i;
    while (j < z.size() && z[j] == z[i]) ++j;
    const double q = z[i];
    d = std::max(d, std::fabs(static_cast<double>(i) / n - phi(q - delta / 2)));
    d = std::max(d, std::fabs(static_cast<double>(j) / n - phi(q + delta / 2)));
    i = j;
  }
  return d;
}

struct ChiSquare {
  double stat;
  int df;
};

/// Chi-square against N(0,1) on K nearly equiprobable bins whose edges sit on output-cell boundaries
/// (k + ½)·Δ next to Φ⁻¹(k/K): a rounded sample is below such an edge exactly when the unrounded one is,
/// so the expected bin probabilities are differences of Φ at the edges, with no quantisation error.
ChiSquare chiSquare(const std::vector<float>& z, int bins, double delta) {
  std::vector<double> edges;
  for (int k = 1; k < bins; ++k) edges.push_back((std::floor(phiInverse(double(k) / bins) / delta) + 0.5) * delta);
  std::vector<double> counts(bins, 0.0);
  for (float v : z) counts[std::upper_bound(edges.begin(), edges.end(), double(v)) - edges.begin()] += 1;
  double stat = 0;
  const double n = static_cast<double>(z.size());
  for (int k = 0; k < bins; ++k) {
    const double lo = k == 0 ? 0.0 : phi(edges[k - 1]);
    const double hi = k == bins - 1 ? 1.0 : phi(edges[k]);
    const double e = n * (hi - lo);
    stat += (counts[k] - e) * (counts[k] - e) / e;
  }
  return {stat, bins - 1};
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// ---------------------------------------------------------------------------------------------------
// Statistics: moments, KS, chi-square, independence — default (taus88, 32-bit), 16-bit, LFSR

class BoxMullerStats : public ::testing::TestWithParam<Config> {};

TEST_P(BoxMullerStats, MomentsWithinFiveStandardErrors) {
  const GrngParams p = paramsOf(GetParam());
  const std::vector<float>& z = samples(GetParam());
  const double n = static_cast<double>(z.size());
  const Moments m = momentsOf(z);
  const Moments ideal = idealMoments(p.uniformBits, std::ldexp(1.0, -p.outputFracBits));
  std::printf("[ stats  ] %s: N=%zu mean=%.3e var=%.6f (expect %.6f) skew=%.3e exkurt=%.4f (expect %.4f)\n",
              nameOf(GetParam()), z.size(), m.mean, m.var, ideal.var, m.skew, m.exKurt, ideal.exKurt);
  EXPECT_LE(std::fabs(m.mean), 5.0 / std::sqrt(n));
  EXPECT_LE(std::fabs(m.var - ideal.var), 5.0 * std::sqrt(2.0 / n));
  EXPECT_LE(std::fabs(m.skew), 5.0 * std::sqrt(6.0 / n));
  EXPECT_LE(std::fabs(m.exKurt - ideal.exKurt), 5.0 * std::sqrt(24.0 / n));
}

TEST_P(BoxMullerStats, KolmogorovSmirnovAgainstRoundedNormal) {
  const GrngParams p = paramsOf(GetParam());
  const std::vector<float>& z = samples(GetParam());
  const double d = ksDistance(z, std::ldexp(1.0, -p.outputFracBits));
  const double crit = 1.63 / std::sqrt(static_cast<double>(z.size()));  // 1 % level
  std::printf("[ stats  ] %s: KS D=%.3e (1%% critical %.3e)\n", nameOf(GetParam()), d, crit);
  EXPECT_LT(d, crit);
}

TEST_P(BoxMullerStats, ChiSquareOnFiftyEquiprobableBins) {
  const GrngParams p = paramsOf(GetParam());
  const ChiSquare c = chiSquare(samples(GetParam()), 50, std::ldexp(1.0, -p.outputFracBits));
  const double crit = chiSquareCritical(c.df, 0.001);
  std::printf("[ stats  ] %s: chi2=%.2f df=%d (p=0.001 critical %.2f)\n", nameOf(GetParam()), c.stat, c.df, crit);
  EXPECT_LT(c.stat, crit);
}

TEST_P(BoxMullerStats, OutputsOfOneEvaluationAndOfNeighboursAreUncorrelated) {
  const std::vector<float>& z = samples(GetParam());
  const std::size_t m = z.size() / 2;
  std::vector<double> z0(m), z1(m), z0sq(m), z1sq(m);
  for (std::size_t i = 0; i < m; ++i) {
    z0[i] = z[2 * i];
    z1[i] = z[2 * i + 1];
    z0sq[i] = z0[i] * z0[i];
    z1sq[i] = z1[i] * z1[i];
  }
  // Under independence the sample correlation has standard error 1/√M for any finite-variance law.
  const double bound = 5.0 / std::sqrt(static_cast<double>(m));
  const double r = correlation(z0, z1), rsq = correlation(z0sq, z1sq);
  // Neighbouring evaluations: z1 of evaluation i against z0 of evaluation i + 1.
  std::vector<double> a(z1.begin(), z1.end() - 1), b(z0.begin() + 1, z0.end());
  const double rNext = correlation(a, b);
  std::printf("[ stats  ] %s: corr(z0,z1)=%.3e corr(z0^2,z1^2)=%.3e corr(z1_i,z0_i+1)=%.3e (bound %.3e)\n",
              nameOf(GetParam()), r, rsq, rNext, bound);
  EXPECT_LE(std::fabs(r), bound);
  EXPECT_LE(std::fabs(rsq), bound);
  EXPECT_LE(std::fabs(rNext), bound * std::sqrt(double(m) / double(m - 1)));
}

TEST_P(BoxMullerStats, NoSampleBeyondMaxAbsOutput) {
  const BoxMullerCore core(paramsOf(GetParam()), 1);
  double maxAbs = 0;
  for (float v : samples(GetParam())) maxAbs = std::max(maxAbs, std::fabs(double(v)));
  EXPECT_LE(maxAbs, core.maxAbsOutput());
  EXPECT_GT(maxAbs, 4.0);  // 2·10^6 normal samples reach 4σ with certainty (P(none) ≈ e^-127)
}

INSTANTIATE_TEST_SUITE_P(Configs, BoxMullerStats, ::testing::Values(Config::Default, Config::Bits16, Config::Lfsr),
                         [](const auto& info) {
                           return std::string(info.param == Config::Default  ? "Taus88Bits32"
                                              : info.param == Config::Bits16 ? "Taus88Bits16"
                                                                             : "LfsrBits32");
                         });

TEST(BoxMullerStatsTest, DiscreteUniformMomentsMatchClosedForms) {
  // Independent check of idealMoments() by asymptotic expansions (N = 2^b, L = ln N, w = 1/N):
  //  Stirling: Σ_{U=1}^{N-1} ln(U/N) = ln N! − N ln N = −N + ½ln(2πN) + 1/(12N) + O(1/N³); with the code-0 term,
  //    E[R²] = 2 + (L − ln 2π)/N − 1/(6N²) (next Stirling term), so var ≈ 1 + (L − ln 2π)/(2N)  (> 1: the grid over-weights small u1 more
  //    than the missing tail removes).
  //  Euler–Maclaurin: Σ_{U=1}^{N-1} ln²(U/N) = 2N − L²/2 − 2L − 2 + L/6 + O(1/N); with the code-0 term,
  //    E[R⁴] = 4·(2N + L²/2 − 11L/6 − 2)/N.
  // Pure truncation alone (continuous u1 ≥ w) would give E[R²] = 2 − 2w, E[R⁴] = 8 − 8w(L + 1), i.e. a
  // negative excess kurtosis ≈ 3w(1 − L); for b = 16 the grid term wins and the excess kurtosis is +4.7e-4.
  for (int b : {8, 16}) {
    const double n = std::ldexp(1.0, b), l = std::log(n);
    const double er2 = 2.0 + (l - std::log(kTwoPi)) / n - 1.0 / (6.0 * n * n);
    const double er4 = 4.0 * (2.0 * n + l * l / 2.0 - 11.0 * l / 6.0 - 2.0) / n;
    const Moments m = idealMoments(b, 0.0);
    EXPECT_NEAR(m.var, er2 / 2.0, 1e-6 * 256.0 / n) << "b=" << b;
    EXPECT_NEAR(m.exKurt, 3.0 / 8.0 * er4 / (er2 * er2 / 4.0) - 3.0, 1e-3 * 256.0 / n) << "b=" << b;
  }
  const Moments m16 = idealMoments(16, 0.0), m32 = idealMoments(32, 0.0);
  EXPECT_NEAR(m16.var, 1.0000706, 1e-7);
  EXPECT_NEAR(m16.exKurt, 4.7e-4, 1e-5);
  EXPECT_NEAR(m32.var, 1.0, 1e-8);
  EXPECT_NEAR(m32.exKurt, 0.0, 1e-6);
  EXPECT_NEAR(idealMoments(8, 0.0).exKurt, -0.0246, 1e-4);  // coarse uniforms: visibly light tails
}

// ---------------------------------------------------------------------------------------------------
// Tail truncation

TEST(BoxMullerTailTest, MaxAbsOutputEqualsTheDerivation) {
  for (int b : {16, 32}) {
    GrngParams p;
    p.uniformBits = b;
    const BoxMullerCore core(p, 1);
    const double derived = std::sqrt(2.0 * b * kLn2);  // 4.7096 (b = 16), 6.6604 (b = 32)
    EXPECT_NEAR(core.maxAbsOutput(), derived, core.outputStep()) << "b=" << b;
    // The bound is attained at U1 ∈ {0, 1} and U2 = 0 and by nothing larger.
    EXPECT_EQ(core.evaluate(0, 0), core.evaluate(1, 0));
    EXPECT_DOUBLE_EQ(std::ldexp(double(core.evaluate(1, 0).first), -p.outputFracBits), core.maxAbsOutput());
  }
  EXPECT_NEAR(BoxMullerCore(params16(), 1).maxAbsOutput(), 4.7096, 1e-3);
  EXPECT_NEAR(BoxMullerCore(defaultParams(), 1).maxAbsOutput(), 6.6604, 1e-3);
}

TEST(BoxMullerTailTest, EightBitUniformsNeverExceedTheirBound) {
  GrngParams p;
  p.uniformBits = 8;
  const std::vector<float> z = draw(p, 8, 1'000'000);
  const BoxMullerCore core(p, 1);
  const double bound = std::sqrt(2.0 * 8 * kLn2);  // 3.3302
  // Slack: half an output step (rounding) plus the function-unit errors carried into z.
  const double slack = core.outputStep() / 2 + core.sqrtUnit().errorBound() + 1e-4;
  std::size_t beyond = 0;
  double maxAbs = 0;
  for (float v : z) {
    beyond += std::fabs(v) > bound + slack;
    maxAbs = std::max(maxAbs, std::fabs(double(v)));
  }
  EXPECT_EQ(beyond, 0u);
  // A true normal would put 2·(1 − Φ(3.33))·10^6 ≈ 870 samples there, so the count is meaningful.
  EXPECT_GT(2.0 * (1.0 - phi(bound)) * z.size(), 500.0);
  // U1 ∈ {0, 1} occurs with probability 2/256 and U2 on an axis with 4/256: the bound is reached.
  EXPECT_DOUBLE_EQ(maxAbs, core.maxAbsOutput());
  EXPECT_NEAR(maxAbs, bound, core.outputStep());
}

TEST(BoxMullerTailTest, OutputSaturatesSymmetrically) {
  GrngParams p;
  p.outputBits = 8;
  p.outputFracBits = 5;  // largest code 127 → 3.96875 < 6.66
  const BoxMullerCore core(p, 1);
  EXPECT_DOUBLE_EQ(core.maxAbsOutput(), 127.0 / 32.0);
  EXPECT_EQ(core.evaluate(1, 0).first, 127);
  EXPECT_EQ(core.evaluate(1, 1u << 31).first, -127);  // U2 = half turn: cos = −1
  const std::vector<float> z = draw(p, 3, 200'000);
  std::size_t atMax = 0;
  for (float v : z) {
    ASSERT_LE(std::fabs(v), 127.0f / 32.0f);
    atMax += std::fabs(v) == 127.0f / 32.0f;
  }
  EXPECT_GT(atMax, 0u);  // 2·(1 − Φ(3.97))·2·10^5 ≈ 14 samples expected to clip
}

// ---------------------------------------------------------------------------------------------------
// Fixed-point units against <cmath>

struct UnitConfig {
  GrngFuncMethod method;
  int segments, fracBits;
};

std::vector<std::uint64_t> lnSweep(int b) {
  std::vector<std::uint64_t> codes;
  if (b <= 16) {
    for (std::uint64_t c = 1; c < (std::uint64_t{1} << b); ++c) codes.push_back(c);
    return codes;
  }
  Rng rng(streamKey(5, {static_cast<std::uint64_t>(b)}));
  for (int k = 0; k < b; ++k) {
    const std::uint64_t lo = std::uint64_t{1} << k;
    codes.push_back(lo);
    codes.push_back(2 * lo - 1);
    for (int i = 0; i < 3000; ++i) codes.push_back(lo + (k ? rng.next() % lo : 0));
  }
  codes.push_back((std::uint64_t{1} << b) - 1);
  return codes;
}

TEST(BoxMullerUnitsTest, NegTwoLnWithinBound) {
  for (int b : {16, 32}) {
    for (const UnitConfig& c : {UnitConfig{GrngFuncMethod::Poly, 256, 24}, UnitConfig{GrngFuncMethod::Poly, 32, 20},
                                UnitConfig{GrngFuncMethod::Lut, 4096, 20}}) {
      const NegTwoLnUnit unit(c.method, c.segments, c.fracBits, b);
      double worst = 0;
      for (std::uint64_t code : lnSweep(b)) {
        const double exact = -2.0 * std::log(std::ldexp(double(code), -b));
        const double got = std::ldexp(double(unit.eval(code)), -c.fracBits);
        worst = std::max(worst, std::fabs(got - exact));
        ASSERT_LE(std::fabs(got - exact), unit.errorBound()) << "b=" << b << " code=" << code;
      }
      std::printf("[ units  ] -2ln b=%d %s seg=%d F=%d: max err %.3e, bound %.3e\n", b,
                  c.method == GrngFuncMethod::Lut ? "lut" : "poly", c.segments, c.fracBits, worst, unit.errorBound());
      EXPECT_GT(worst, 0.1 * unit.errorBound());  // the bound is not vacuous
    }
    // u1 = 0 is forced to the smallest code: e = 2b·ln 2.
    const NegTwoLnUnit unit(GrngFuncMethod::Poly, 256, 24, b);
    EXPECT_EQ(unit.eval(0), unit.eval(1));
    EXPECT_NEAR(std::ldexp(double(unit.eval(0)), -24), 2.0 * b * kLn2, unit.errorBound());
  }
}

TEST(BoxMullerUnitsTest, SqrtWithinBound) {
  const double maxE = 2.0 * 32 * kLn2;
  for (const UnitConfig& c : {UnitConfig{GrngFuncMethod::Poly, 128, 20}, UnitConfig{GrngFuncMethod::Poly, 16, 16},
                              UnitConfig{GrngFuncMethod::Lut, 2048, 18}}) {
    const int inFrac = 24;
    const SqrtUnit unit(c.method, c.segments, c.fracBits, inFrac, maxE);
    const std::int64_t maxCode = static_cast<std::int64_t>(maxE * std::ldexp(1.0, inFrac));
    std::vector<std::int64_t> codes = {0, 1, 2, 3, maxCode};
    for (int k = 0; (std::int64_t{1} << k) <= maxCode; ++k) {
      const std::int64_t v = std::int64_t{1} << k;
      for (std::int64_t d : {-1, 0, 1}) codes.push_back(v + d);
    }
    Rng rng(streamKey(6, {}));
    for (int i = 0; i < 200000; ++i) {  // log-uniform over the input range
      const double e = std::exp(std::log(1e-7) + rng.uniform() * (std::log(maxE) - std::log(1e-7)));
      codes.push_back(static_cast<std::int64_t>(e * std::ldexp(1.0, inFrac)));
    }
    double worst = 0;
    for (std::int64_t code : codes) {
      if (code < 0 || code > maxCode) continue;
      const double exact = std::sqrt(std::ldexp(double(code), -inFrac));
      const double got = std::ldexp(double(unit.eval(code)), -c.fracBits);
      worst = std::max(worst, std::fabs(got - exact));
      ASSERT_LE(std::fabs(got - exact), unit.errorBound()) << "code=" << code;
    }
    std::printf("[ units  ] sqrt %s seg=%d F=%d: max err %.3e, bound %.3e\n",
                c.method == GrngFuncMethod::Lut ? "lut" : "poly", c.segments, c.fracBits, worst, unit.errorBound());
    EXPECT_GT(worst, 0.1 * unit.errorBound());
  }
}

TEST(BoxMullerUnitsTest, SinCosWithinBound) {
  for (int b : {8, 16, 32}) {
    for (const UnitConfig& c : {UnitConfig{GrngFuncMethod::Poly, 256, 18}, UnitConfig{GrngFuncMethod::Poly, 16, 14},
                                UnitConfig{GrngFuncMethod::Lut, 4096, 16}}) {
      const SinCosUnit unit(c.method, c.segments, c.fracBits, b);
      std::vector<std::uint64_t> codes;
      if (b <= 16) {
        for (std::uint64_t k = 0; k < (std::uint64_t{1} << b); ++k) codes.push_back(k);
      } else {
        Rng rng(streamKey(7, {}));
        for (int i = 0; i < 300000; ++i) codes.push_back(rng.next() >> 32);
        for (std::uint64_t q = 0; q < 4; ++q) {
          for (std::int64_t d : {0, 1, -1}) codes.push_back(((q << 30) + d) & 0xFFFFFFFFu);
        }
      }
      double worst = 0;
      for (std::uint64_t code : codes) {
        const double a = kTwoPi * std::ldexp(double(code), -b);
        const auto [cc, ss] = unit.eval(code);
        const double ec = std::fabs(std::ldexp(double(cc), -c.fracBits) - std::cos(a));
        const double es = std::fabs(std::ldexp(double(ss), -c.fracBits) - std::sin(a));
        worst = std::max({worst, ec, es});
        ASSERT_LE(ec, unit.errorBound()) << "b=" << b << " code=" << code;
        ASSERT_LE(es, unit.errorBound()) << "b=" << b << " code=" << code;
      }
      std::printf("[ units  ] sincos b=%d %s seg=%d F=%d: max err %.3e, bound %.3e\n", b,
                  c.method == GrngFuncMethod::Lut ? "lut" : "poly", c.segments, c.fracBits, worst, unit.errorBound());
      if (b >= 16) {
        EXPECT_GT(worst, 0.1 * unit.errorBound());
      }
    }
  }
}

TEST(BoxMullerUnitsTest, WholeDatapathWithinSumOfUnitBounds) {
  // z from the integer datapath vs the exact √(−2 ln u1)·cos(2π u2) on the same codes. Error budget:
  // |Δr| ≤ ε_sqrt + ε_e/(2√e) (the sqrt of a perturbed input), |Δz| ≤ |Δr| + r·ε_trig + Δ/2.
  const BoxMullerCore core(defaultParams(), 1);
  const double epsE = core.lnUnit().errorBound(), epsR = core.sqrtUnit().errorBound();
  const double epsT = core.trigUnit().errorBound(), half = core.outputStep() / 2;
  Rng rng(streamKey(8, {}));
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto u1 = static_cast<std::uint32_t>(rng.next() >> (i % 2 ? 32 : 40));  // also small u1 (tail)
    const auto u2 = static_cast<std::uint32_t>(rng.next() >> 32);
    const double e = -2.0 * std::log(std::ldexp(double(std::max(u1, 1u)), -32));
    const double r = std::sqrt(e), a = kTwoPi * std::ldexp(double(u2), -32);
    const auto [z0, z1] = core.evaluate(u1, u2);
    const double dr = epsR + (e > 0 ? std::min(epsE / (2 * std::sqrt(e)), std::sqrt(epsE)) : std::sqrt(epsE));
    const double budget = dr + r * epsT + half;
    const double err0 = std::fabs(std::ldexp(double(z0), -11) - r * std::cos(a));
    const double err1 = std::fabs(std::ldexp(double(z1), -11) - r * std::sin(a));
    worst = std::max({worst, err0, err1});
    ASSERT_LE(err0, budget) << "u1=" << u1 << " u2=" << u2;
    ASSERT_LE(err1, budget) << "u1=" << u1 << " u2=" << u2;
  }
  std::printf("[ units  ] datapath: max |z - exact| = %.3e (output step %.3e)\n", worst, core.outputStep());
}

// ---------------------------------------------------------------------------------------------------
// Uniform sources: maximal period from the order of the GF(2) transition matrix

using Gf2Map = std::array<std::uint32_t, 32>;  // column j = image of bit j

std::uint32_t apply(const Gf2Map& m, std::uint32_t v) {
  std::uint32_t r = 0;
  for (int j = 0; j < 32; ++j) r ^= (0u - ((v >> j) & 1u)) & m[j];
  return r;
}
Gf2Map compose(const Gf2Map& a, const Gf2Map& b) {  // a ∘ b
  Gf2Map c{};
  for (int j = 0; j < 32; ++j) c[j] = apply(a, b[j]);
  return c;
}
Gf2Map identity() {
  Gf2Map m{};
  for (int j = 0; j < 32; ++j) m[j] = 1u << j;
  return m;
}
Gf2Map power(Gf2Map m, std::uint64_t e) {
  Gf2Map r = identity();
  for (; e; e >>= 1, m = compose(m, m)) {
    if (e & 1) r = compose(r, m);
  }
  return r;
}
Gf2Map matrixOf(const std::function<std::uint32_t(std::uint32_t)>& step) {
  Gf2Map m{};
  for (int j = 0; j < 32; ++j) m[j] = step(1u << j);
  // The step must be linear over GF(2) for the matrix to describe it.
  Rng rng(streamKey(9, {}));
  for (int i = 0; i < 1000; ++i) {
    const auto a = static_cast<std::uint32_t>(rng.next()), b = static_cast<std::uint32_t>(rng.next());
    EXPECT_EQ(step(a ^ b), step(a) ^ step(b));
  }
  return m;
}
bool isPrime(std::uint64_t q) {
  if (q < 2) return false;
  for (std::uint64_t d = 2; d * d <= q; ++d) {
    if (q % d == 0) return false;
  }
  return true;
}

/// Period of every state in the image of `m` is exactly 2^k − 1: m^N∘m = m and m^(N/q)∘m ≠ m for every prime
/// q | N (a reducible characteristic polynomial cannot reach the order 2^k − 1, so this proves primitivity).
void expectMaximalPeriod(const Gf2Map& m, int k, const std::vector<std::uint64_t>& primes) {
  const std::uint64_t n = (std::uint64_t{1} << k) - 1;
  std::uint64_t prod = 1;
  for (std::uint64_t q : primes) {
    EXPECT_TRUE(isPrime(q)) << q;
    prod *= q;
  }
  ASSERT_EQ(prod, n) << "factorisation of 2^" << k << " - 1";
  EXPECT_EQ(compose(power(m, n), m), m) << "period does not divide 2^" << k << " - 1";
  for (std::uint64_t q : primes) EXPECT_NE(compose(power(m, n / q), m), m) << "period divides N/" << q;
}

TEST(GrngUniformSourceTest, Taus88ComponentsHaveMaximalPeriods) {
  expectMaximalPeriod(matrixOf([](std::uint32_t s) { return Taus88::component(0, s); }), 31, {2147483647ull});
  expectMaximalPeriod(matrixOf([](std::uint32_t s) { return Taus88::component(1, s); }), 29, {233, 1103, 2089});
  expectMaximalPeriod(matrixOf([](std::uint32_t s) { return Taus88::component(2, s); }), 28,
                      {3, 5, 29, 43, 113, 127});
}

TEST(GrngUniformSourceTest, GaloisLfsrHasPeriodTwoToThe32MinusOne) {
  const Gf2Map m = matrixOf([](std::uint32_t s) { return GaloisLfsr32::step(s); });
  expectMaximalPeriod(m, 32, {3, 5, 17, 257, 65537});
  const std::uint64_t n = 0xFFFFFFFFull;
  EXPECT_EQ(power(m, n), identity());  // invertible: every non-zero state is on the one cycle
}

TEST(GrngUniformSourceTest, SeedsSatisfyTheConstraints) {
  for (std::uint64_t s = 0; s < 20000; ++s) {
    const Taus88 t(streamKey(s, {1}));
    const auto st = t.state();
    ASSERT_GE(st[0], 2u);
    ASSERT_GE(st[1], 8u);
    ASSERT_GE(st[2], 16u);
    ASSERT_NE(GaloisLfsr32(streamKey(s, {1})).state(), 0u);
  }
  EXPECT_THROW(Taus88(1, 8, 16), std::invalid_argument);
  EXPECT_THROW(Taus88(2, 7, 16), std::invalid_argument);
  EXPECT_THROW(Taus88(2, 8, 15), std::invalid_argument);
  EXPECT_NO_THROW(Taus88(2, 8, 16));
}

TEST(GrngUniformSourceTest, TopBytesAreUniform) {
  // Chi-square on the top 8 bits of 10^6 words of each source (255 df, p = 0.001).
  const double crit = chiSquareCritical(255, 0.001);
  const std::size_t n = 1'000'000;
  Taus88 taus(streamKey(10, {}));
  GaloisLfsr32 lfsr(streamKey(10, {}));
  for (int src = 0; src < 2; ++src) {
    std::vector<double> counts(256, 0.0);
    for (std::size_t i = 0; i < n; ++i) counts[(src ? lfsr.next() : taus.next()) >> 24] += 1;
    double stat = 0;
    for (double c : counts) stat += (c - n / 256.0) * (c - n / 256.0) / (n / 256.0);
    EXPECT_LT(stat, crit) << (src ? "lfsr" : "taus88");
  }
}

// ---------------------------------------------------------------------------------------------------
// Reproducibility, cycles, parameters

TEST(BoxMullerReproTest, SameSeedSameBitsDifferentSeedDifferentBits) {
  for (const GrngParams& p : {defaultParams(), paramsLfsr()}) {
    const std::vector<float> a = draw(p, 42, 100'000), b = draw(p, 42, 100'000), c = draw(p, 43, 100'000);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
    EXPECT_LT(same, a.size() / 100);  // coincidences only (a value recurs with probability ~ Δ·pdf)
  }
}

TEST(BoxMullerReproTest, SplittingACallDoesNotChangeTheStream) {
  const std::size_t n = 10'000;
  const std::vector<float> whole = draw(defaultParams(), 5, n);
  for (std::size_t first : {n / 2, std::size_t{7}, std::size_t{1}, std::size_t{0}}) {
    BoxMullerCore core(defaultParams(), streamKey(5, {0x67726e67}));
    std::vector<float> parts(n);
    core.generate(parts.data(), first);
    core.generate(parts.data() + first, n - first);
    EXPECT_EQ(std::memcmp(whole.data(), parts.data(), n * sizeof(float)), 0) << "split at " << first;
  }
  // Many odd-sized calls.
  BoxMullerCore core(defaultParams(), streamKey(5, {0x67726e67}));
  std::vector<float> parts(n);
  for (std::size_t i = 0; i < n;) {
    const std::size_t k = std::min<std::size_t>(3, n - i);
    core.generate(parts.data() + i, k);
    i += k;
  }
  EXPECT_EQ(std::memcmp(whole.data(), parts.data(), n * sizeof(float)), 0);
}

TEST(BoxMullerReproTest, CyclesFollowTheRule) {
  GrngParams p;
  p.pipelineLatency = 6;
  p.samplesPerCycle = 2;
  const BoxMullerCore two(p, 1);
  EXPECT_EQ(two.cycles(0), 0u);
  EXPECT_EQ(two.cycles(1), 6u);
  EXPECT_EQ(two.cycles(2), 6u);
  EXPECT_EQ(two.cycles(3), 7u);
  EXPECT_EQ(two.cycles(1000), 6u + 500u - 1u);
  p.pipelineLatency = 12;
  p.samplesPerCycle = 1;
  const BoxMullerCore one(p, 1);
  EXPECT_EQ(one.cycles(1), 12u);
  EXPECT_EQ(one.cycles(1000), 12u + 1000u - 1u);
}

TEST(GrngParamsTest, DefaultsFromEmptyConfigAndOverrides) {
  ConfigReader empty(YAML::Node(), "grng");
  const GrngParams d = GrngParams::fromConfig(empty);
  const GrngParams ref;
  EXPECT_EQ(d.urng, ref.urng);
  EXPECT_EQ(d.uniformBits, 32);
  EXPECT_EQ(d.outputBits, 16);
  EXPECT_EQ(d.outputFracBits, 11);
  EXPECT_EQ(d.samplesPerCycle, 2);
  EXPECT_DOUBLE_EQ(d.energyPerSampleJ, 41e-12);
  ConfigReader r(YAML::Load("urng: lfsr\nuniform_bits: 16\nlog_method: lut\nlog_segments: 4096\n"
                            "energy_per_sample: 12 pJ\npipeline_latency: 6\nsamples_per_cycle: 1"),
                 "grng");
  const GrngParams p = GrngParams::fromConfig(r);
  EXPECT_EQ(p.urng, GrngSource::Lfsr);
  EXPECT_EQ(p.uniformBits, 16);
  EXPECT_EQ(p.logMethod, GrngFuncMethod::Lut);
  EXPECT_EQ(p.logSegments, 4096);
  EXPECT_NEAR(p.energyPerSampleJ, 12e-12, 1e-24);
  EXPECT_EQ(p.pipelineLatency, 6);
  EXPECT_EQ(p.samplesPerCycle, 1);
}

TEST(GrngParamsTest, BadValuesAreRejected) {
  for (const char* doc : {"log_segments: 100", "trig_segments: 3", "output_bits: 8\noutput_frac_bits: 8",
                          "uniform_bits: 33", "samples_per_cycle: 3", "urng: mt19937", "log_method: cordic",
                          "uniform_bit: 16"}) {
    ConfigReader r(YAML::Load(doc), "chip.grng");
    try {
      GrngParams::fromConfig(r);
      ADD_FAILURE() << "accepted: " << doc;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("chip.grng.", 0), 0u) << e.what();  // names the key's path
    }
  }
}

}  // namespace
}  // namespace mxsim
