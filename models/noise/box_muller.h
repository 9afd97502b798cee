// Contract: bit-true functional model of a hardware Box-Muller Gaussian random number generator (GRNG),
// the kind placed next to analog tiles to feed a probabilistic denoiser (Azizi et al., arXiv:2409.18553).
// Datapath per evaluation (docs/grng.md):
//   two 32-bit words from a uniform source (taus88 or a 32-bit Galois LFSR), top `uniform_bits` kept:
//   U1, U2 ∈ [0, 2^b); U1 = 0 is mapped to 1, so u1 = U1·2^-b ∈ [2^-b, 1) and u2 = U2·2^-b ∈ [0, 1);
//   e = −2·ln(u1)      fixed point, range reduction u1 = 2^(k−b)·m, m ∈ [1, 2), segmented ln(m);
//   r = √e             fixed point, range reduction e = 2^p·m, segmented √m and √(2m);
//   (c, s) = (cos, sin)(2π·u2)  quadrant folding + one segmented table of sin(π/2·x), x ∈ [0, 1];
//   z0 = r·c, z1 = r·s rounded to the output format and saturated symmetrically.
// Every unit works on integers; tables (the ROM contents) are computed once from <cmath> at construction.
// Tail truncation is a property of the datapath: |z| ≤ √(2·b·ln 2), see maxAbsOutput().
// Timing: a pipeline of `pipeline_latency` cycles emitting `samples_per_cycle` samples per cycle.
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/config.h"

namespace mxsim {

namespace action {
inline constexpr const char* kGrngSample = "grng.sample";  // one Gaussian sample emitted by a GRNG
}  // namespace action

enum class GrngSource { Tausworthe, Lfsr };
/// Injected datapath faults (fault-injection studies; also how tests prove the generator's bits reach a run).
enum class GrngFault {
  None,          // the datapath as designed
  SqrtIdentity,  // the √ unit is bypassed: r = e instead of r = √e (e moved to sqrt_frac_bits), a stuck-at
                 // bypass of the square-root stage; z = e·cos θ has std ≈ 2 and a heavy tail
};
enum class GrngFuncMethod {
  Lut,   // one table value per segment (the function at the segment midpoint)
  Poly,  // piecewise linear: linear interpolation between the rounded segment end points
};

struct GrngParams {
  GrngSource urng = GrngSource::Tausworthe;
  int uniformBits = 32;  // width of u1 and u2 (top bits of each 32-bit source word)
  GrngFuncMethod logMethod = GrngFuncMethod::Poly;
  int logSegments = 256;  // segments of ln(m) on m ∈ [1, 2); power of two
  int logFracBits = 24;   // fraction bits of e = −2 ln u1 (and of the ln table)
  GrngFuncMethod sqrtMethod = GrngFuncMethod::Poly;
  int sqrtSegments = 128;  // segments of √m and of √(2m) on m ∈ [1, 2); power of two
  int sqrtFracBits = 20;   // fraction bits of r = √e
  GrngFuncMethod trigMethod = GrngFuncMethod::Poly;
  int trigSegments = 256;  // segments of sin(π/2·x) on x ∈ [0, 1]; power of two
  int trigFracBits = 18;   // fraction bits of cos/sin
  int outputBits = 16;     // two's-complement output word
  int outputFracBits = 11;
  int pipelineLatency = 10;  // cycles from the uniform words to the first output
  int samplesPerCycle = 2;   // 2: both outputs of an evaluation per cycle; 1: one per cycle
  double energyPerSampleJ = 41e-12;
  GrngFault fault = GrngFault::None;  // injected datapath fault (grng.fault)

  /// The energy default is a 40 nm measurement; it is moved to `technologyNodeNm` (chip.technology_node) with the
  /// Stillmaker-Baas factor. A configured value is taken as it is.
  static constexpr double kReferenceNodeNm = 40.0;
  static GrngParams fromConfig(ConfigReader& r, double technologyNodeNm = kReferenceNodeNm);
  /// Cross-parameter checks (powers of two, output format); throws ConfigError.
  void validate() const;
};

// ---------------------------------------------------------------------------------------------------
// Uniform sources

/// L'Ecuyer's maximally equidistributed combined Tausworthe generator taus88 (Math. Comp. 65(213), 1996):
/// three components of degree 31, 29, 28; period ≈ 2^88. Seeds need s1 ≥ 2, s2 ≥ 8, s3 ≥ 16.
class Taus88 {
 public:
  static constexpr std::array<std::uint32_t, 3> kMinSeed = {2u, 8u, 16u};
  /// Seed the three components from a stream key (project Rng; draws rejected until valid).
  explicit Taus88(std::uint64_t seedKey);
  Taus88(std::uint32_t s1, std::uint32_t s2, std::uint32_t s3);  // throws std::invalid_argument if invalid
  /// One step of component i (0, 1, 2): a linear map over GF(2)^32.
  static std::uint32_t component(int i, std::uint32_t s);
  std::uint32_t next();
  std::array<std::uint32_t, 3> state() const { return m_s; }

 private:
  std::array<std::uint32_t, 3> m_s;
};

/// Maximal-length 32-bit Galois LFSR, feedback polynomial x^32 + x^22 + x^2 + x + 1 (taps 32, 22, 2, 1 as
/// listed in Xilinx XAPP052), right-shifting form. A 32-bit word is 32 consecutive output bits (the bit
/// shifted out each step, first bit = MSB), i.e. a leap-forward LFSR clocked 32 times per word.
class GaloisLfsr32 {
 public:
  static constexpr std::uint32_t kToggleMask = 0x80200003u;
  explicit GaloisLfsr32(std::uint64_t seedKey);  // non-zero state from the stream key
  static std::uint32_t step(std::uint32_t s) { return (s >> 1) ^ ((0u - (s & 1u)) & kToggleMask); }
  std::uint32_t next();
  std::uint32_t state() const { return m_s; }

 private:
  std::uint32_t m_s;
};

// ---------------------------------------------------------------------------------------------------
// Fixed-point function units

/// f on x ∈ [x0, x0 + 1] from 2^s equal segments, results as integers scaled by 2^fracBits.
/// Lut: value at the segment midpoint, |error| ≤ h/2·max|f'| + 2^-F/2.
/// Poly: linear interpolation of the rounded end points, |error| ≤ h²/8·max|f''| + 2^-F (h = 2^-s).
class SegmentedFunction {
 public:
  SegmentedFunction(double (*f)(double), double x0, GrngFuncMethod method, int segments, int fracBits,
                    double maxAbsD1, double maxAbsD2);
  /// f(x0 + code·2^-codeBits) for code ∈ [0, 2^codeBits] (codeBits ≤ 40).
  std::int64_t eval(std::uint64_t code, int codeBits) const;
  double errorBound() const { return m_bound; }  // in real units (not LSBs)
  int fracBits() const { return m_frac; }

 private:
  GrngFuncMethod m_method;
  int m_log2Seg;
  int m_frac;
  std::vector<std::int64_t> m_table;  // Lut: 2^s midpoints + f(x0+1); Poly: 2^s + 1 end points
  double m_bound;
};

/// e = −2·ln(u) for u = code·2^-inputBits, code ∈ [1, 2^inputBits), result scaled by 2^fracBits.
/// Range reduction: code = 2^k·m (k = position of the leading one), e = 2(b−k)·ln 2 − 2·ln m; the first term
/// is a b-entry constant table rounded to the LSB. Clamped at 0 (u → 1 can round slightly negative).
class NegTwoLnUnit {
 public:
  NegTwoLnUnit(GrngFuncMethod method, int segments, int fracBits, int inputBits);
  std::int64_t eval(std::uint64_t code) const;
  /// |eval(code)·2^-F − (−2 ln u)| ≤ errorBound() = 2·ε_ln + 2^-F/2.
  double errorBound() const { return 2.0 * m_ln.errorBound() + 0.5 * std::ldexp(1.0, -m_frac); }
  int fracBits() const { return m_frac; }

 private:
  SegmentedFunction m_ln;
  int m_frac, m_bits;
  std::vector<std::int64_t> m_kTerm;  // round(2·j·ln2·2^F), j = 0..b
};

/// r = √e for e = code·2^-inputFracBits ∈ [0, maxInput], result scaled by 2^fracBits.
/// Range reduction e = 2^p·m, m ∈ [1, 2): √e = 2^⌊p/2⌋·√m (p even) or 2^⌊p/2⌋·√(2m) (p odd); tables carry
/// guard bits so that the final shift rounds once to fracBits.
class SqrtUnit {
 public:
  SqrtUnit(GrngFuncMethod method, int segments, int fracBits, int inputFracBits, double maxInput);
  std::int64_t eval(std::int64_t code) const;
  /// Over e ∈ [0, maxInput]: 2^hMax·ε_table + 2^-F/2 with hMax = ⌊⌊log2 maxInput⌋/2⌋.
  double errorBound() const { return m_bound; }
  int fracBits() const { return m_frac; }

 private:
  int m_frac, m_inFrac, m_guard;
  SegmentedFunction m_even, m_odd;  // √m and √(2m), each with m_frac + m_guard fraction bits
  double m_bound;
};

/// (cos, sin)(2π·code·2^-inputBits), code ∈ [0, 2^inputBits), results scaled by 2^fracBits. The top two
/// bits select the quadrant; φ ∈ [0, 1) (the rest) gives sin = T(φ), cos = T(1 − φ) with T(x) = sin(π/2·x).
class SinCosUnit {
 public:
  SinCosUnit(GrngFuncMethod method, int segments, int fracBits, int inputBits);
  std::pair<std::int64_t, std::int64_t> eval(std::uint64_t code) const;  // (cos, sin)
  double errorBound() const { return m_t.errorBound(); }
  int fracBits() const { return m_t.fracBits(); }

 private:
  SegmentedFunction m_t;
  int m_bits;
};

// ---------------------------------------------------------------------------------------------------
// The generator

class BoxMullerCore {
 public:
  BoxMullerCore(const GrngParams& p, std::uint64_t seedKey);
  /// Restart the uniform source from another stream key (as a freshly built core with that key; the
  /// function tables are kept): one core serves many per-image streams without rebuilding its ROMs.
  void reseed(std::uint64_t seedKey);

  /// n samples, the pairs (z0, z1) of successive evaluations interleaved. A call with odd n keeps z1 of its
  /// last evaluation for the next call, so the stream does not depend on how it is split into calls.
  void generate(float* out, std::size_t n);
  /// One evaluation of the datapath on given uniform codes (U1, U2 < 2^b): the output codes (z0, z1) in
  /// units of 2^-output_frac_bits. Pure function; generate() uses it.
  std::pair<std::int32_t, std::int32_t> evaluate(std::uint32_t u1Code, std::uint32_t u2Code) const;
  /// The largest |z| the datapath can emit: the evaluation at U1 ∈ {0, 1} (e = 2b·ln 2) and U2 = 0
  /// (cos = 1), i.e. ≈ √(2·b·ln 2), after output rounding and saturation.
  double maxAbsOutput() const;
  /// pipeline_latency + ceil(samples / samples_per_cycle) − 1 (0 for no samples).
  std::uint64_t cycles(std::size_t samples) const;
  double outputStep() const { return std::ldexp(1.0, -m_p.outputFracBits); }
  const GrngParams& params() const { return m_p; }
  const NegTwoLnUnit& lnUnit() const { return m_ln; }
  const SqrtUnit& sqrtUnit() const { return m_sqrt; }
  const SinCosUnit& trigUnit() const { return m_trig; }

 private:
  std::uint32_t nextWord();
  std::int32_t outputCode(std::int64_t product) const;

  GrngParams m_p;
  NegTwoLnUnit m_ln;
  SqrtUnit m_sqrt;
  SinCosUnit m_trig;
  Taus88 m_taus;
  GaloisLfsr32 m_lfsr;
  bool m_hasSpare = false;
  float m_spare = 0.0f;
};

}  // namespace mxsim
