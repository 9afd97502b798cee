#include "models/noise/box_muller.h"

#include "models/common/technology.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim {

namespace {

__extension__ typedef __int128 Wide;  // products of a table difference and a segment offset

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kHalfPi = 1.57079632679489661923;

bool isPowerOfTwo(int v) {
  return v > 0 && (v & (v - 1)) == 0;
}
int log2Exact(int v) {
  int s = 0;
  while ((1 << s) < v) ++s;
  return s;
}
int msbIndex(std::uint64_t v) {
  return 63 - __builtin_clzll(v);
}  // v != 0

/// Round x / 2^shift to nearest (ties up); shift ≥ 1.
std::int64_t roundShift(Wide x, int shift) {
  return static_cast<std::int64_t>((x + (static_cast<Wide>(1) << (shift - 1))) >> shift);
}

double lnFn(double x) {
  return std::log(x);
}
double sqrtFn(double x) {
  return std::sqrt(x);
}
double sqrt2Fn(double x) {
  return std::sqrt(2.0 * x);
}
double quarterSinFn(double x) {
  return std::sin(kHalfPi * x);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Parameters

GrngParams GrngParams::fromConfig(ConfigReader& r, double technologyNodeNm) {
  GrngParams p;
  p.urng =
      r.getEnum<GrngSource>("urng", p.urng, {{"tausworthe", GrngSource::Tausworthe}, {"lfsr", GrngSource::Lfsr}},
                            "uniform source: L'Ecuyer's combined Tausworthe taus88, or a 32-bit Galois LFSR "
                            "(x^32+x^22+x^2+x+1) clocked 32 times per word",
                            {"taus88: L'Ecuyer, Math. Comp. 65(213), 1996; Tausworthe sources also in Lee et al., "
                             "IEEE Trans. Computers 55(6), 2006"});
  p.uniformBits = static_cast<int>(
      r.getInt("uniform_bits", p.uniformBits, 4, 32,
               "width of u1 and u2 (top bits of each 32-bit source word); sets the tail bound |z| <= sqrt(2*b*ln 2)",
               "bits", {"modelling choice: 32 bits give |z| <= 6.66 sigma (a 48-bit u1 would reach 8.16 sigma)"}));
  const std::vector<std::pair<std::string, GrngFuncMethod>> methods = {{"lut", GrngFuncMethod::Lut},
                                                                       {"poly", GrngFuncMethod::Poly}};
  p.logMethod = r.getEnum("log_method", p.logMethod, methods,
                          "ln(m), m in [1,2): lut = value at segment midpoint, poly = linear "
                          "interpolation between segment end points");
  p.logSegments =
      static_cast<int>(r.getInt("log_segments", p.logSegments, 1, 1 << 20, "segments of ln(m) on [1,2) (power of two)", "-"));
  p.logFracBits = static_cast<int>(
      r.getInt("log_frac_bits", p.logFracBits, 8, 30, "fraction bits of e = -2 ln(u1) and of the ln table", "bits"));
  p.sqrtMethod =
      r.getEnum("sqrt_method", p.sqrtMethod, methods, "sqrt(m) and sqrt(2m), m in [1,2): lut or piecewise-linear segments");
  p.sqrtSegments = static_cast<int>(
      r.getInt("sqrt_segments", p.sqrtSegments, 1, 1 << 20, "segments of each sqrt table on [1,2) (power of two)", "-"));
  p.sqrtFracBits = static_cast<int>(r.getInt("sqrt_frac_bits", p.sqrtFracBits, 8, 30, "fraction bits of r = sqrt(e)", "bits"));
  p.trigMethod = r.getEnum("trig_method", p.trigMethod, methods,
                           "sin(pi/2 x), x in [0,1] (quadrant-folded cos/sin of 2 pi u2): lut or "
                           "piecewise-linear segments");
  p.trigSegments = static_cast<int>(
      r.getInt("trig_segments", p.trigSegments, 1, 1 << 20, "segments of sin(pi/2 x) on [0,1] (power of two)", "-"));
  p.trigFracBits = static_cast<int>(r.getInt("trig_frac_bits", p.trigFracBits, 4, 30, "fraction bits of cos and sin", "bits"));
  p.outputBits = static_cast<int>(r.getInt("output_bits", p.outputBits, 4, 24, "two's-complement output word width", "bits",
                                           {"Lee et al., IEEE Trans. Computers 2006: 16-bit noise samples"}));
  p.outputFracBits = static_cast<int>(
      r.getInt("output_frac_bits", p.outputFracBits, 0, 23, "fraction bits of the output (must be < output_bits)", "bits",
               {"modelling choice: 5 integer bits (range +-16) cover the largest |z| of any uniform_bits <= 32"}));
  p.pipelineLatency = static_cast<int>(r.getInt(
      "pipeline_latency", p.pipelineLatency, 1, 1000, "cycles from the uniform words to the first output sample", "cycles",
      {"estimate: URNG 1 + ln (range reduction, table, MAC) 3 + sqrt 3 + output multiply 2 + round/saturate 1"}));
  p.samplesPerCycle = static_cast<int>(r.getInt("samples_per_cycle", p.samplesPerCycle, 1, 2,
                                                "samples emitted per cycle (2: both outputs of each evaluation)",
                                                "samples", {"Lee et al. 2006: two samples per clock cycle"}));
  p.energyPerSampleJ = r.getQuantity(
      "energy_per_sample", Dimension::Energy, p.energyPerSampleJ * tech::energyScale(kReferenceNodeNm, technologyNodeNm), 0.0, 1e-6,
      "dynamic energy per emitted Gaussian sample (default: the 40 nm figure moved to chip.technology_node)",
      {"Chen, Chen, Huang, IEEE SSC-L vol. 8, 2025 (40 nm chaos URNG + Box-Muller): 62.73 mW at 1.53 GS/s = "
       "41 pJ/sample"});
  p.fault = r.getEnum<GrngFault>(
      "fault", p.fault, {{"none", GrngFault::None}, {"sqrt_identity", GrngFault::SqrtIdentity}},
      "injected datapath fault: none, or sqrt_identity (the sqrt stage bypassed, r = e instead of sqrt(e)); for "
      "fault-injection studies and to check a run uses the generator's bits",
      {"modelling choice: a stuck bypass of one pipeline stage (fault injection)"});
  r.finish();
  try {
    p.validate();
  } catch (const ConfigError& e) {
    throw ConfigError(r.keyPath(e.what()));  // "<path>.<key>: message"
  }
  return p;
}

void GrngParams::validate() const {
  const auto pow2 = [](const char* key, int v) {
    if (!isPowerOfTwo(v)) throw ConfigError(fmt::format("{}: {} is not a power of two", key, v));
  };
  pow2("log_segments", logSegments);
  pow2("sqrt_segments", sqrtSegments);
  pow2("trig_segments", trigSegments);
  if (uniformBits < 4 || uniformBits > 32)
    throw ConfigError(fmt::format("uniform_bits: {} is out of range (allowed 4 … 32)", uniformBits));
  if (outputBits < 4 || outputBits > 24)
    throw ConfigError(fmt::format("output_bits: {} is out of range (allowed 4 … 24)", outputBits));
  if (outputFracBits < 0 || outputFracBits >= outputBits)
    throw ConfigError(fmt::format("output_frac_bits: {} must be below output_bits ({})", outputFracBits, outputBits));
  if (logFracBits < 8 || logFracBits > 30 || sqrtFracBits < 8 || sqrtFracBits > 30 || trigFracBits < 4 ||
      trigFracBits > 30)
    throw ConfigError("log/sqrt fraction bits must be in 8 … 30, trig fraction bits in 4 … 30");
  if (pipelineLatency < 1) throw ConfigError("pipeline_latency: must be at least 1 cycle");
  if (samplesPerCycle < 1 || samplesPerCycle > 2)
    throw ConfigError(fmt::format("samples_per_cycle: {} (allowed 1 or 2)", samplesPerCycle));
}

// ---------------------------------------------------------------------------------------------------
// Uniform sources

Taus88::Taus88(std::uint64_t seedKey) {
  Rng rng(seedKey);
  for (int i = 0; i < 3; ++i) {
    std::uint32_t s;
    do {
      s = static_cast<std::uint32_t>(rng.next() >> 32);
    } while (s < kMinSeed[i]);
    m_s[i] = s;
  }
}

Taus88::Taus88(std::uint32_t s1, std::uint32_t s2, std::uint32_t s3) : m_s{s1, s2, s3} {
  for (int i = 0; i < 3; ++i) {
    if (m_s[i] < kMinSeed[i]) throw std::invalid_argument("taus88: seed below its minimum (2, 8, 16)");
  }
}

std::uint32_t Taus88::component(int i, std::uint32_t s) {
  // s ← ((s & mask) << S) ^ (((s << Q) ^ s) >> (32 − K)), (K, Q, S) = (31, 13, 12), (29, 2, 4), (28, 3, 17).
  switch (i) {
    case 0:
      return ((s & 0xFFFFFFFEu) << 12) ^ (((s << 13) ^ s) >> 19);
    case 1:
      return ((s & 0xFFFFFFF8u) << 4) ^ (((s << 2) ^ s) >> 25);
    default:
      return ((s & 0xFFFFFFF0u) << 17) ^ (((s << 3) ^ s) >> 11);
  }
}

std::uint32_t Taus88::next() {
  m_s[0] = component(0, m_s[0]);
  m_s[1] = component(1, m_s[1]);
  m_s[2] = component(2, m_s[2]);
  return m_s[0] ^ m_s[1] ^ m_s[2];
}

GaloisLfsr32::GaloisLfsr32(std::uint64_t seedKey) {
  Rng rng(seedKey);
  do {
    m_s = static_cast<std::uint32_t>(rng.next() >> 32);
  } while (m_s == 0);
}

std::uint32_t GaloisLfsr32::next() {
  std::uint32_t w = 0;
  for (int i = 0; i < 32; ++i) {
    w = (w << 1) | (m_s & 1u);
    m_s = step(m_s);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------
// Fixed-point units

SegmentedFunction::SegmentedFunction(double (*f)(double), double x0, GrngFuncMethod method, int segments, int fracBits,
                                     double maxAbsD1, double maxAbsD2)
    : m_method(method), m_log2Seg(log2Exact(segments)), m_frac(fracBits) {
  if (!isPowerOfTwo(segments)) throw std::invalid_argument("SegmentedFunction: segments must be a power of two");
  const double scale = std::ldexp(1.0, fracBits);
  const double h = 1.0 / segments;
  m_table.resize(static_cast<std::size_t>(segments) + 1);
  for (int i = 0; i < segments; ++i) {
    const double x = x0 + (method == GrngFuncMethod::Lut ? (i + 0.5) * h : i * h);
    m_table[i] = std::llround(f(x) * scale);
  }
  m_table[segments] = std::llround(f(x0 + 1.0) * scale);
  const double lsb = 1.0 / scale;
  m_bound = method == GrngFuncMethod::Lut ? 0.5 * h * maxAbsD1 + 0.5 * lsb : h * h / 8.0 * maxAbsD2 + lsb;
}

std::int64_t SegmentedFunction::eval(std::uint64_t code, int codeBits) const {
  if (code >> codeBits) return m_table.back();  // x = x0 + 1 (code == 2^codeBits)
  std::uint64_t idx, t = 0;
  int tBits = 0;
  if (codeBits >= m_log2Seg) {
    tBits = codeBits - m_log2Seg;
    idx = code >> tBits;
    t = code & ((std::uint64_t{1} << tBits) - 1);
  } else {
    idx = code << (m_log2Seg - codeBits);
  }
  const std::int64_t v0 = m_table[idx];
  if (m_method == GrngFuncMethod::Lut || tBits == 0) return v0;
  const Wide d = static_cast<Wide>(m_table[idx + 1] - v0);
  return v0 + roundShift(d * static_cast<Wide>(t), tBits);
}

NegTwoLnUnit::NegTwoLnUnit(GrngFuncMethod method, int segments, int fracBits, int inputBits)
    : m_ln(lnFn, 1.0, method, segments, fracBits, 1.0, 1.0), m_frac(fracBits), m_bits(inputBits) {
  const double scale = std::ldexp(1.0, fracBits);
  for (int j = 0; j <= inputBits; ++j) m_kTerm.push_back(std::llround(2.0 * j * kLn2 * scale));
}

std::int64_t NegTwoLnUnit::eval(std::uint64_t code) const {
  if (code == 0) code = 1;  // u1 = 0 would be ln 0: the datapath forces the smallest code
  const int k = msbIndex(code);
  const std::uint64_t frac = code - (std::uint64_t{1} << k);  // m = 1 + frac·2^-k
  const std::int64_t e = m_kTerm[m_bits - k] - 2 * m_ln.eval(frac, k);
  return e > 0 ? e : 0;
}

SqrtUnit::SqrtUnit(GrngFuncMethod method, int segments, int fracBits, int inputFracBits, double maxInput)
    : m_frac(fracBits),
      m_inFrac(inputFracBits),
      m_guard(1 + (maxInput >= 1.0 ? static_cast<int>(std::floor(std::log2(maxInput))) / 2 : 0)),
      m_even(sqrtFn, 1.0, method, segments, fracBits + m_guard, 0.5, 0.25),
      m_odd(sqrt2Fn, 1.0, method, segments, fracBits + m_guard, std::sqrt(0.5), std::sqrt(2.0) / 4.0) {
  const int hMax = m_guard - 1;
  m_bound = std::ldexp(std::max(m_even.errorBound(), m_odd.errorBound()), hMax) + 0.5 * std::ldexp(1.0, -fracBits);
}

std::int64_t SqrtUnit::eval(std::int64_t code) const {
  if (code <= 0) return 0;
  const int msb = msbIndex(static_cast<std::uint64_t>(code));
  const int p = msb - m_inFrac;                   // e = 2^p·m, m ∈ [1, 2)
  const int h = p >= 0 ? p / 2 : -((1 - p) / 2);  // ⌊p/2⌋
  const bool odd = (p - 2 * h) != 0;
  const std::uint64_t frac = static_cast<std::uint64_t>(code) - (std::uint64_t{1} << msb);
  const std::int64_t y = (odd ? m_odd : m_even).eval(frac, msb);  // √m or √(2m), F + guard fraction bits
  const int shift = m_guard - h;
  return shift > 0 ? roundShift(y, shift) : y << -shift;
}

SinCosUnit::SinCosUnit(GrngFuncMethod method, int segments, int fracBits, int inputBits)
    : m_t(quarterSinFn, 0.0, method, segments, fracBits, kHalfPi, kHalfPi * kHalfPi), m_bits(inputBits) {}

std::pair<std::int64_t, std::int64_t> SinCosUnit::eval(std::uint64_t code) const {
  const int b = m_bits - 2;
  const std::uint64_t one = std::uint64_t{1} << b;
  const unsigned quadrant = static_cast<unsigned>(code >> b) & 3u;
  const std::uint64_t phi = code & (one - 1);
  const std::int64_t s = m_t.eval(phi, b);        // sin(π/2·φ)
  const std::int64_t c = m_t.eval(one - phi, b);  // cos(π/2·φ) = sin(π/2·(1 − φ))
  switch (quadrant) {
    case 0:
      return {c, s};
    case 1:
      return {-s, c};
    case 2:
      return {-c, -s};
    default:
      return {s, -c};
  }
}

// ---------------------------------------------------------------------------------------------------
// Generator

namespace {
const GrngParams& validated(const GrngParams& p) {
  p.validate();
  return p;
}
}  // namespace

BoxMullerCore::BoxMullerCore(const GrngParams& p, std::uint64_t seedKey)
    : m_p(validated(p)),
      m_ln(p.logMethod, p.logSegments, p.logFracBits, p.uniformBits),
      m_sqrt(p.sqrtMethod, p.sqrtSegments, p.sqrtFracBits, p.logFracBits,
             2.0 * p.uniformBits * kLn2 + m_ln.errorBound()),
      m_trig(p.trigMethod, p.trigSegments, p.trigFracBits, p.uniformBits),
      m_taus(seedKey),
      m_lfsr(seedKey) {}

void BoxMullerCore::reseed(std::uint64_t seedKey) {
  m_taus = Taus88(seedKey);
  m_lfsr = GaloisLfsr32(seedKey);
  m_hasSpare = false;
  m_spare = 0.0f;
}

std::uint32_t BoxMullerCore::nextWord() {
  return m_p.urng == GrngSource::Tausworthe ? m_taus.next() : m_lfsr.next();
}

std::int32_t BoxMullerCore::outputCode(std::int64_t product) const {
  // product has sqrt_frac_bits + trig_frac_bits fraction bits; round half away from zero, saturate to
  // ±(2^(W−1) − 1) (symmetric, so the output stays zero-mean).
  const int shift = m_p.sqrtFracBits + m_p.trigFracBits - m_p.outputFracBits;
  const bool neg = product < 0;
  const Wide mag = neg ? -static_cast<Wide>(product) : static_cast<Wide>(product);
  Wide q = shift > 0 ? (mag + (static_cast<Wide>(1) << (shift - 1))) >> shift : mag << -shift;
  const Wide maxCode = (static_cast<Wide>(1) << (m_p.outputBits - 1)) - 1;
  if (q > maxCode) q = maxCode;
  const auto code = static_cast<std::int32_t>(q);
  return neg ? -code : code;
}

std::pair<std::int32_t, std::int32_t> BoxMullerCore::evaluate(std::uint32_t u1Code, std::uint32_t u2Code) const {
  const std::int64_t e = m_ln.eval(u1Code);
  const int shift = m_p.sqrtFracBits - m_p.logFracBits;
  const std::int64_t r = m_p.fault == GrngFault::SqrtIdentity ? (shift >= 0 ? e << shift : e >> -shift)
                                                               : m_sqrt.eval(e);
  const auto [c, s] = m_trig.eval(u2Code);
  return {outputCode(r * c), outputCode(r * s)};
}

double BoxMullerCore::maxAbsOutput() const {
  return std::ldexp(static_cast<double>(evaluate(1, 0).first), -m_p.outputFracBits);
}

std::uint64_t BoxMullerCore::cycles(std::size_t samples) const {
  if (samples == 0) return 0;
  const std::uint64_t spc = static_cast<std::uint64_t>(m_p.samplesPerCycle);
  return static_cast<std::uint64_t>(m_p.pipelineLatency) + (samples + spc - 1) / spc - 1;
}

void BoxMullerCore::generate(float* out, std::size_t n) {
  std::size_t i = 0;
  if (n > 0 && m_hasSpare) {
    out[i++] = m_spare;
    m_hasSpare = false;
  }
  const int drop = 32 - m_p.uniformBits;
  const float step = static_cast<float>(outputStep());
  while (i < n) {
    const std::uint32_t u1 = nextWord() >> drop;
    const std::uint32_t u2 = nextWord() >> drop;
    const auto [z0, z1] = evaluate(u1, u2);
    out[i++] = static_cast<float>(z0) * step;
    if (i < n) {
      out[i++] = static_cast<float>(z1) * step;
    } else {
      m_spare = static_cast<float>(z1) * step;
      m_hasSpare = true;
    }
  }
}

}  // namespace mxsim
