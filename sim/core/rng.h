// Contract: counter-based, per-stream random numbers. A stream is named by (seed, key...) so that the
// same seed gives the same bits whatever the thread count or batch split; there is no global RNG state.
#pragma once
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace mxsim {

/// SplitMix64 finaliser: a bijective 64-bit mixer (Steele, Lea, Flood, "Fast splittable pseudorandom
/// number generators", OOPSLA 2014). Used both to derive stream keys and as the generator's output step.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Derive a stream key from a seed and any number of integer coordinates (chip, layer, image, ...).
inline std::uint64_t streamKey(std::uint64_t seed, std::initializer_list<std::uint64_t> coords) {
  std::uint64_t k = mix64(seed ^ 0x6A09E667F3BCC909ull);
  for (std::uint64_t c : coords) k = mix64(k ^ mix64(c + 0x3C6EF372FE94F82Bull));
  return k;
}

/// A sequential generator over one stream: output i is mix64(key + i * golden), i.e. counter-based, so a
/// stream can be split or skipped ahead (at(i)) without changing its values.
class Rng {
 public:
  explicit Rng(std::uint64_t key) : m_key(key) {}
  std::uint64_t next() { return at(m_counter++); }
  std::uint64_t at(std::uint64_t i) const { return mix64(m_key + i * 0x9E3779B97F4A7C15ull); }
  /// Uniform in the open interval (0, 1) with 53-bit resolution.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
  /// Standard normal by the Box-Muller transform (both outputs used: the second is cached).
  double normal() {
    if (m_hasSpare) {
      m_hasSpare = false;
      return m_spare;
    }
    const double u1 = uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586 * u2;
    m_spare = r * std::sin(a);
    m_hasSpare = true;
    return r * std::cos(a);
  }
  std::uint64_t key() const { return m_key; }
  /// Index of the next output of next(); skip(n) moves past n outputs (as n calls of next() would).
  std::uint64_t position() const { return m_counter; }
  void skip(std::uint64_t n) { m_counter += n; }

 private:
  std::uint64_t m_key;
  std::uint64_t m_counter = 0;
  double m_spare = 0.0;
  bool m_hasSpare = false;
};

}  // namespace mxsim

#include <Eigen/Core>

namespace mxsim {

/// n standard normals into out[0..n), vectorised Box-Muller over the stream's uniforms (float precision:
/// |z| ≤ √(−2 ln 2⁻²⁴) ≈ 5.77 since u1 has 24-bit resolution). Deterministic for a given stream state.
inline void fillStandardNormal(Rng& rng, float* out, std::size_t n) {
  constexpr std::size_t kBlock = 256;  // pairs per vectorised block
  Eigen::ArrayXf u1(kBlock), u2(kBlock), r(kBlock), c(kBlock), s(kBlock);
  for (std::size_t done = 0; done < n; done += 2 * kBlock) {
    const std::size_t pairs = std::min(kBlock, (n - done + 1) / 2);
    // Outputs position()+i of the stream, in a loop without carried state so the compiler vectorises it.
    const std::uint64_t key = rng.key(), first = rng.position();
    float* pu1 = u1.data();
    float* pu2 = u2.data();
    for (std::size_t i = 0; i < pairs; ++i) {
      const std::uint64_t bits = mix64(key + (first + i) * 0x9E3779B97F4A7C15ull);
      // Two 24-bit uniforms in (0, 1) from one 64-bit draw (via int32: exact, and vectorisable).
      pu1[i] = (static_cast<float>(static_cast<std::int32_t>(bits >> 40)) + 0.5f) * (1.0f / 16777216.0f);
      pu2[i] = (static_cast<float>(static_cast<std::int32_t>((bits >> 16) & 0xFFFFFFu)) + 0.5f) * (1.0f / 16777216.0f);
    }
    rng.skip(pairs);
    r.head(pairs) = (-2.0f * u1.head(pairs).log()).sqrt();
    const auto a = 6.2831853f * u2.head(pairs);
    c.head(pairs) = r.head(pairs) * a.cos();
    s.head(pairs) = r.head(pairs) * a.sin();
    float* dst = out + done;
    const std::size_t whole = std::min(pairs, (n - done) / 2);  // pairs whose both values are wanted
    for (std::size_t i = 0; i < whole; ++i) {
      dst[2 * i] = c[i];
      dst[2 * i + 1] = s[i];
    }
    if (whole < pairs) dst[2 * whole] = c[whole];  // odd n: the last cosine alone
  }
}

}  // namespace mxsim
