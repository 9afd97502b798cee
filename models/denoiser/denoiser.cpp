#include "models/denoiser/denoiser.h"

#include "models/common/technology.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/error.h"
#include "sim/core/rng.h"
#include "sim/core/units.h"

namespace mxsim {

namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t u64(int v) {
  return static_cast<std::uint64_t>(v);
}

/// Output channels {core, core + P, …} below `outChannels`: what core `core` owns under the output-channel split.
std::uint64_t ownedChannels(int core, int outChannels, int cores) {
  return core < outChannels ? u64((outChannels - 1 - core) / cores + 1) : 0;
}

/// Valid taps of a 3-tap 'same'-padded window along an axis of length n, summed over the n positions:
/// 3n − 2 (the two border positions each miss one tap); 1 for n = 1.
std::uint64_t validTaps3(int n) {
  return n == 1 ? 1 : 3 * u64(n) - 2;
}

/// cols [Cr·9 × H·W]: row (ci·3 + kh)·3 + kw, column y·W + x holds h1(ci, y + kh − 1, x + kw − 1), 0 outside.
void im2col3x3(const RowMatrix& in, int height, int width, RowMatrix& cols) {
  const Eigen::Index hw = static_cast<Eigen::Index>(height) * width;
  cols.resize(in.rows() * 9, hw);
  for (Eigen::Index c = 0; c < in.rows(); ++c) {
    const float* src = in.row(c).data();
    for (int kh = 0; kh < 3; ++kh) {
      for (int kw = 0; kw < 3; ++kw) {
        float* dst = cols.row((c * 3 + kh) * 3 + kw).data();
        for (int y = 0; y < height; ++y) {
          const int sy = y + kh - 1;
          float* out = dst + static_cast<Eigen::Index>(y) * width;
          if (sy < 0 || sy >= height) {
            std::fill(out, out + width, 0.0f);
            continue;
          }
          const float* row = src + static_cast<Eigen::Index>(sy) * width;
          for (int x = 0; x < width; ++x) {
            const int sx = x + kw - 1;
            out[x] = (sx < 0 || sx >= width) ? 0.0f : row[sx];
          }
        }
      }
    }
  }
}

void addBias(RowMatrix& m, const Eigen::VectorXf& bias) {
  if (bias.size()) m.colwise() += bias;
}

}  // namespace

const char* modeName(DenoiserMode m) {
  return m == DenoiserMode::Mean ? "mean" : "sample";
}

const char* epsilonSourceName(EpsilonSource e) {
  return e == EpsilonSource::Grng ? "grng" : "ideal";
}

void DenoiserRanges::merge(const DenoiserRanges& o) {
  for (auto [a, b] : {std::pair<float*, float>{&x, o.x}, {&h1, o.h1}, {&h, o.h}, {&mu, o.mu}, {&logVar, o.logVar},
                      {&sigma, o.sigma}, {&y, o.y}})
    *a = std::max(*a, b);
}

const char* phaseName(DenoiserPhaseKind k) {
  switch (k) {
    case DenoiserPhaseKind::Reduce:
      return "reduce";
    case DenoiserPhaseKind::Conv3x3:
      return "conv3x3";
    case DenoiserPhaseKind::Heads:
      return "heads";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------------
// Parameters

DenoiserParams DenoiserParams::fromConfig(ConfigReader& r, double technologyNodeNm) {
  DenoiserParams p;
  p.path = r.path();
  // The defaults below are 45 nm numbers: move them to the chip's node before they are declared.
  const double e45 = tech::energyScale(kReferenceNodeNm, technologyNodeNm);
  const double a45 = tech::areaScale(kReferenceNodeNm, technologyNodeNm);
  for (double* e : {&p.macEnergyJ, &p.weightReadBitEnergyJ, &p.lineBufferBitEnergyJ, &p.subtractEnergyJ, &p.expEnergyJ})
    *e *= e45;
  for (double* a : {&p.coreAreaM2, &p.weightMemoryAreaPerKibM2, &p.lineBufferAreaPerKibM2, &p.grngUnitAreaM2}) *a *= a45;
  p.cores = static_cast<int>(r.getInt(
      "cores", p.cores, 1, 4096, "P parallel convolution cores; each conv's output channels are split over them",
      "cores", {"assumption: Paper A (arXiv:2409.18553) uses parallel 3x3 cores but does not publish their count"}));
  p.macsPerCore = static_cast<int>(
      r.getInt("macs_per_core", p.macsPerCore, 1, 4096,
               "K MACs per core per cycle (9: one 3x3 window of one input channel per cycle; 1x1 convs pack K "
               "input channels)",
               "MACs/cycle", {"assumption: a 3x3 core of Paper A computes one 3x3 window per cycle"}));
  p.clockHz =
      r.getQuantity("clock", Dimension::Frequency, p.clockHz, 1e6, 10e9,
                    "the engine's own clock (may differ from chip.clock)", {"assumption: the default chip clock"});
  p.weightMemoryBytes =
      r.getQuantity("weight_memory", Dimension::Bytes, p.weightMemoryBytes, 1024.0, 1024.0 * 1024 * 1024,
                    "on-chip memory holding every denoiser block's weights and biases at once",
                    {"assumption: Paper A's average 2.03% extra parameters applied to ResNet-18 (11.7 M) = 237 k "
                     "weights = 232 KiB at 8 bits"});
  p.lineBufferBytes = r.getQuantity(
      "line_buffer", Dimension::Bytes, p.lineBufferBytes, 64.0, 64.0 * 1024 * 1024,
      "line buffer of the 3x3 windows: 3 rows x W x Cr activations (h1 rows y-1, y, y+1; h row y in place)",
      {"assumption: a 56-wide map with Cr = 64 at 8 bits needs 10.5 KiB"});
  p.activationBits =
      static_cast<int>(r.getInt("activation_bits", p.activationBits, 1, 32, "stored bits per activation (x, h1, h, y)",
                                "bits", {"assumption: 8-bit activations like chip.sram.activation_bits"}));
  p.weightBits = static_cast<int>(
      r.getInt("weight_bits", p.weightBits, 1, 32, "stored bits per weight", "bits", {"assumption: 8-bit weights"}));
  p.biasBits =
      static_cast<int>(r.getInt("bias_bits", p.biasBits, 1, 64, "stored bits per bias (accumulator width)", "bits",
                                {"8-bit integer inference keeps 32-bit biases (Jacob et al., CVPR 2018)"}));
  p.pipelineDepth = static_cast<int>(r.getInt(
      "pipeline_depth", p.pipelineDepth, 1, 1000,
      "cycles from a core's last MAC issue of an output value to its result (multiply, adder tree, accumulate)",
      "cycles", {"estimate: multiply 1 + adder tree ceil(log2 9) = 4 + accumulate/ReLU 1"}));
  p.expLatency = static_cast<int>(
      r.getInt("exp_latency", p.expLatency, 1, 1000,
               "cycles from a logsigma^2 result to sigma = exp(logsigma^2 / 2) (sample mode)", "cycles",
               {"estimate: range reduction 1 + table 1 + linear interpolation 2, like the GRNG's function units"}));
  p.subtractLatency =
      static_cast<int>(r.getInt("subtract_latency", p.subtractLatency, 1, 1000, "cycles of y = x - mu (- sigma*eps)",
                                "cycles", {"estimate: one 3-input adder stage"}));
  p.grngUnits = static_cast<int>(
      r.getInt("grng_units", p.grngUnits, 1, 1024, "G Box-Muller units feeding eps in sample mode", "units",
               {"assumption: 2 units x 2 samples/cycle finish before the convs of typical blocks (docs/denoiser.md)"}));
  ConfigReader grng = r.child("grng");
  p.grng = GrngParams::fromConfig(grng, technologyNodeNm);
  p.mode = r.getEnum<DenoiserMode>(
      "mode", p.mode, {{"mean", DenoiserMode::Mean}, {"sample", DenoiserMode::Sample}},
      "default mode of denoiser blocks: mean (y = x - mu) or sample (y = x - mu - sigma*eps, eps from the GRNGs)",
      {"modelling choice: mean is deterministic; Paper A's blocks predict mean and variance"});
  p.epsilon = r.getEnum<EpsilonSource>(
      "epsilon", p.epsilon, {{"grng", EpsilonSource::Grng}, {"ideal", EpsilonSource::Ideal}},
      "source of sample mode's eps: grng (the bit-true Box-Muller model of chip.denoiser.grng, one stream per "
      "image and block, seeded by the chip instance) or ideal (exact N(0,1) draws on the same keys)",
      {"modelling choice: ideal isolates the GRNG's effect on accuracy"});

  ConfigReader e = r.child("energy");
  p.macEnergyJ =
      e.getQuantity("mac", Dimension::Energy, p.macEnergyJ, 0.0, 1e-9, "one MAC: 8-bit multiply with 32-bit accumulate",
                    {"Horowitz ISSCC 2014, 45 nm: 8-bit int multiply 0.2 pJ + 32-bit int add 0.1 pJ"});
  p.weightReadBitEnergyJ = e.getQuantity(
      "weight_read_bit", Dimension::Energy, p.weightReadBitEnergyJ, 0.0, 1e-9, "one bit read from the weight memory",
      {"Horowitz ISSCC 2014, 45 nm: 20 pJ per 64-bit access of a 32 KB SRAM (assumption: the weight "
       "memory is banked per core, banks <= 32 KB)"});
  p.lineBufferBitEnergyJ = e.getQuantity("line_buffer_bit", Dimension::Energy, p.lineBufferBitEnergyJ, 0.0, 1e-9,
                                         "one bit read from or written to the line buffer",
                                         {"Horowitz ISSCC 2014, 45 nm: 10 pJ per 64-bit access of an 8 KB SRAM"});
  p.subtractEnergyJ = e.getQuantity("subtract", Dimension::Energy, p.subtractEnergyJ, 0.0, 1e-9,
                                    "one output element's y = x - mu (- sigma*eps)",
                                    {"Horowitz ISSCC 2014, 45 nm: 8-bit int add 0.03 pJ"});
  p.expEnergyJ =
      e.getQuantity("exp", Dimension::Energy, p.expEnergyJ, 0.0, 1e-9,
                    "one sigma = exp(logsigma^2 / 2) and its product sigma*eps (sample mode)",
                    {"estimate from Horowitz ISSCC 2014, 45 nm: 16-bit multiply ~ 4 x 0.2 pJ (8-bit multiply, "
                     "quadratic in width) + ~0.2 pJ for the exp table and interpolation"});
  e.finish();

  ConfigReader a = r.child("area");
  p.coreAreaM2 = a.getQuantity("core", Dimension::Area, p.coreAreaM2, 0.0, 1e-4,
                               "one convolution core (K MACs, adder tree, accumulators, weight registers, its subtract lane)",
                               {"estimate from Horowitz ISSCC 2014, 45 nm: 9 x (8-bit multiply 282 um2 + 32-bit add "
                                "137 um2) = 3771 um2, x2 for adder tree, registers and control (K = 9)"});
  p.weightMemoryAreaPerKibM2 = a.getQuantity(
      "weight_memory_per_kib", Dimension::Area, p.weightMemoryAreaPerKibM2, 0.0, 1e-4, "weight memory area per KiB",
      {"Intel 45 nm 6T cell 0.346 um2 (Mistry et al., IEDM 2007) x 8192 bits = 0.0028 mm2, at ~57% "
       "array efficiency (assumption)"});
  p.lineBufferAreaPerKibM2 = a.getQuantity(
      "line_buffer_per_kib", Dimension::Area, p.lineBufferAreaPerKibM2, 0.0, 1e-4, "line buffer area per KiB",
      {"as weight_memory_per_kib at ~40% array efficiency for small arrays (assumption)"});
  p.grngUnitAreaM2 =
      a.getQuantity("grng_unit", Dimension::Area, p.grngUnitAreaM2, 0.0, 1e-4, "one Box-Muller GRNG unit",
                    {"estimate, 45 nm: ~2.2 KiB of ln/sqrt/sin tables (~0.005 mm2 as SRAM) + four ~16-bit "
                     "multipliers (4 x 4 x 282 um2, Horowitz 2014) + taus88 and pipeline registers"});
  a.finish();
  r.finish();
  p.validate();
  return p;
}

void DenoiserParams::validate() const {
  auto bad = [&](const char* key, const std::string& what) {
    throw ConfigError(fmt::format("{}.{}: {}", path, key, what));
  };
  auto atLeast = [&](const char* key, long long v, long long min, const char* unit) {
    if (v < min) bad(key, fmt::format("value {} is out of range (at least {} {})", v, min, unit));
  };
  atLeast("cores", cores, 1, "core");
  atLeast("macs_per_core", macsPerCore, 1, "MAC/cycle");
  atLeast("activation_bits", activationBits, 1, "bit");
  atLeast("weight_bits", weightBits, 1, "bit");
  atLeast("bias_bits", biasBits, 1, "bit");
  atLeast("pipeline_depth", pipelineDepth, 1, "cycle");
  atLeast("exp_latency", expLatency, 1, "cycle");
  atLeast("subtract_latency", subtractLatency, 1, "cycle");
  atLeast("grng_units", grngUnits, 1, "unit");
  if (!(clockHz > 0)) bad("clock", "must be positive");
  if (!(weightMemoryBytes >= 0)) bad("weight_memory", "must not be negative");
  if (!(lineBufferBytes >= 0)) bad("line_buffer", "must not be negative");
  for (const auto& [key, v] : {std::pair<const char*, double>{"energy.mac", macEnergyJ},
                               {"energy.weight_read_bit", weightReadBitEnergyJ},
                               {"energy.line_buffer_bit", lineBufferBitEnergyJ},
                               {"energy.subtract", subtractEnergyJ},
                               {"energy.exp", expEnergyJ},
                               {"area.core", coreAreaM2},
                               {"area.weight_memory_per_kib", weightMemoryAreaPerKibM2},
                               {"area.line_buffer_per_kib", lineBufferAreaPerKibM2},
                               {"area.grng_unit", grngUnitAreaM2}}) {
    if (!(v >= 0)) bad(key, "must not be negative");
  }
  try {
    grng.validate();
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}.grng.{}", path, e.what()));
  }
}

std::vector<std::pair<std::string, double>> DenoiserParams::energyPerAction() const {
  return {{action::kDenoiserMac, macEnergyJ},
          {action::kDenoiserWeightReadBit, weightReadBitEnergyJ},
          {action::kDenoiserLineBufferBit, lineBufferBitEnergyJ},
          {action::kDenoiserSubtract, subtractEnergyJ},
          {action::kDenoiserExp, expEnergyJ},
          {action::kGrngSample, grng.energyPerSampleJ}};
}

void DenoiserBlockShape::validate() const {
  if (channels < 1 || height < 1 || width < 1 || reducedChannels < 1) {
    throw std::invalid_argument(fmt::format("denoiser block shape C={} H={} W={} Cr={}: every dimension must be >= 1",
                                            channels, height, width, reducedChannels));
  }
}

void DenoiserWeights::validate(const DenoiserBlockShape& s) const {
  const auto check = [](const char* name, Eigen::Index rows, Eigen::Index cols, Eigen::Index wantRows,
                        Eigen::Index wantCols) {
    if (rows != wantRows || cols != wantCols) {
      throw std::invalid_argument(
          fmt::format("denoiser weights: {} is {}x{}, expected {}x{}", name, rows, cols, wantRows, wantCols));
    }
  };
  const auto checkBias = [](const char* name, Eigen::Index size, Eigen::Index want) {
    if (size != 0 && size != want) {
      throw std::invalid_argument(
          fmt::format("denoiser weights: {} has {} entries, expected {} (or none)", name, size, want));
    }
  };
  const Eigen::Index c = s.channels, cr = s.reducedChannels;
  check("reduce", reduce.rows(), reduce.cols(), cr, c);
  check("conv3x3", conv3x3.rows(), conv3x3.cols(), cr, cr * 9);
  check("mean", mean.rows(), mean.cols(), c, cr);
  if (s.mode == DenoiserMode::Sample || logVar.size()) check("logVar", logVar.rows(), logVar.cols(), c, cr);
  checkBias("reduceBias", reduceBias.size(), cr);
  checkBias("conv3x3Bias", conv3x3Bias.size(), cr);
  checkBias("meanBias", meanBias.size(), c);
  checkBias("logVarBias", logVarBias.size(), c);
}

std::uint64_t DenoiserPhase::coreBusyCycles(int core, int cores) const {
  return ownedChannels(core, outChannels, cores) * cyclesPerChannel;
}

// ---------------------------------------------------------------------------------------------------
// Functional

namespace {
const DenoiserParams& validated(const DenoiserParams& p) {
  p.validate();
  return p;
}
/// The checks run() and runFixed() share: a valid shape and weights, C·H·W values per image, and ε of the
/// batch's shape in sample mode.
void checkBlockInputs(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w, const RowMatrix* eps) {
  s.validate();
  w.validate(s);
  const Eigen::Index chw = static_cast<Eigen::Index>(s.channels) * s.height * s.width;
  if (x.cols() != chw) {
    throw std::invalid_argument(
        fmt::format("denoiser input has {} values per image, the block needs C*H*W = {}", x.cols(), chw));
  }
  if (s.mode == DenoiserMode::Sample && (!eps || eps->rows() != x.rows() || eps->cols() != chw)) {
    throw std::invalid_argument(fmt::format("denoiser sample mode needs eps of {}x{}", x.rows(), chw));
  }
}

}  // namespace

DenoiserCore::DenoiserCore(const DenoiserParams& p) : m_p(validated(p)), m_grngUnit(m_p.grng, 0) {}

void DenoiserCore::run(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w, const RowMatrix* eps,
                       RowMatrix& y, DenoiserRanges* ranges) const {
  checkBlockInputs(s, x, w, eps);
  const Eigen::Index c = s.channels, hw = static_cast<Eigen::Index>(s.height) * s.width;
  const Eigen::Index n = x.rows();
  const bool sample = s.mode == DenoiserMode::Sample;
  y.resize(n, c * hw);
  RowMatrix h1, cols, h, mu, lv;
  for (Eigen::Index i = 0; i < n; ++i) {
    // Image i as [C × H·W]: a 1×1 conv is one GEMM, the 3×3 one GEMM over its patches.
    Eigen::Map<const RowMatrix> xi(x.row(i).data(), c, hw);
    h1.noalias() = w.reduce * xi;
    addBias(h1, w.reduceBias);
    h1 = h1.cwiseMax(0.0f);
    im2col3x3(h1, s.height, s.width, cols);
    h.noalias() = w.conv3x3 * cols;
    addBias(h, w.conv3x3Bias);
    h = h.cwiseMax(0.0f);
    mu.noalias() = w.mean * h;
    addBias(mu, w.meanBias);
    DenoiserRanges r;
    if (ranges) r = {xi.cwiseAbs().maxCoeff(), h1.maxCoeff(), h.maxCoeff(), mu.cwiseAbs().maxCoeff(), 0, 0, 0};
    Eigen::Map<RowMatrix> yi(y.row(i).data(), c, hw);  // may alias xi: read elementwise at the same index
    if (!sample) {
      yi = xi - mu;
    } else {
      lv.noalias() = w.logVar * h;
      addBias(lv, w.logVarBias);
      Eigen::Map<const RowMatrix> ei(eps->row(i).data(), c, hw);
      if (ranges) {
        r.logVar = lv.cwiseAbs().maxCoeff();
        r.sigma = (0.5f * lv.array()).exp().maxCoeff();
      }
      yi.array() = xi.array() - mu.array() - (0.5f * lv.array()).exp() * ei.array();
    }
    if (ranges) {
      r.y = yi.cwiseAbs().maxCoeff();
      ranges->merge(r);
    }
  }
}

// ---- fixed point -----------------------------------------------------------------------------------
//
// A tensor t in a b-bit word with f fraction bits holds code = clamp(floor(t·2^f + ½), lo, hi) (round half
// up, as an adder of ½ LSB before the shift does), lo = −(2^(b−1) − 1), hi = 2^(b−1) − 1 for signed words
// (symmetric, so negation never overflows), lo = 0, hi = 2^b − 1 for unsigned ones. The functions below
// keep the decoded value code·2^-f in a double, which is exact for these widths.

namespace {

struct Word {
  int bits;
  bool isSigned;
  double maxCode() const { return isSigned ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1; }
  double minCode() const { return isSigned ? -maxCode() : 0.0; }
};

/// The largest f with round(range·2^f) ≤ maxCode (f may be negative for ranges above the word); a zero range
/// keeps every code at 0 whatever f, so it gets bits − 1.
int fracBitsFor(double range, const Word& w) {
  if (!(range > 0) || !std::isfinite(range)) return w.bits - 1;
  int f = static_cast<int>(std::floor(std::log2(w.maxCode() / range)));
  while (std::floor(range * std::ldexp(1.0, f) + 0.5) > w.maxCode()) --f;
  while (std::floor(range * std::ldexp(1.0, f + 1) + 0.5) <= w.maxCode()) ++f;
  return std::clamp(f, -126, 126);
}

template <typename M>
void quantise(M&& m, int frac, const Word& w) {
  const double scale = std::ldexp(1.0, frac), inv = std::ldexp(1.0, -frac), lo = w.minCode(), hi = w.maxCode();
  m = m.unaryExpr([=](double v) { return std::clamp(std::floor(v * scale + 0.5), lo, hi) * inv; });
}

using DMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A conv's weights as decoded weight_bits codes (f from the matrix's max |w|).
DMatrix fixedWeights(const RowMatrix& m, int frac, const Word& w) {
  DMatrix d = m.cast<double>();
  quantise(d, frac, w);
  return d;
}

/// acc = W·in + bias in a bias_bits accumulator at f_in + f_w (bias rounded onto that LSB and saturated,
/// the sum saturated), then requantised into `out` (f_out), with ReLU first when `relu`.
void fixedConv(const DMatrix& w, int fw, const Eigen::VectorXf& bias, const DMatrix& in, int fin, const Word& acc,
               bool relu, int fout, const Word& out, DMatrix& result) {
  result.noalias() = w * in;
  const int fa = fin + fw;
  const double hi = acc.maxCode() * std::ldexp(1.0, -fa);
  if (bias.size()) {
    Eigen::VectorXd b = bias.cast<double>();
    quantise(b, fa, acc);
    result.colwise() += b;
  }
  result = result.cwiseMax(-hi).cwiseMin(hi);
  if (relu) result = result.cwiseMax(0.0);
  quantise(result, fout, out);
}

}  // namespace

int DenoiserCore::weightFracBits(const RowMatrix& m) const {
  return fracBitsFor(m.size() ? m.cwiseAbs().maxCoeff() : 0.0, Word{m_p.weightBits, true});
}

DenoiserFormats DenoiserCore::formatsFor(const DenoiserRanges& r) const {
  const Word s{m_p.activationBits, true}, u{m_p.activationBits, false};
  return {fracBitsFor(r.x, s),      fracBitsFor(r.h1, u),    fracBitsFor(r.h, u), fracBitsFor(r.mu, s),
          fracBitsFor(r.logVar, s), fracBitsFor(r.sigma, u), fracBitsFor(r.y, s)};
}

void DenoiserCore::runFixed(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w,
                            const DenoiserFormats& f, const RowMatrix* eps, RowMatrix& y) const {
  checkBlockInputs(s, x, w, eps);
  const Eigen::Index c = s.channels, hw = static_cast<Eigen::Index>(s.height) * s.width;
  const Eigen::Index n = x.rows();
  const bool sample = s.mode == DenoiserMode::Sample;
  const Word act{m_p.activationBits, true}, relu{m_p.activationBits, false}, wt{m_p.weightBits, true},
      acc{m_p.biasBits, true};
  const int fr = weightFracBits(w.reduce), f3 = weightFracBits(w.conv3x3), fm = weightFracBits(w.mean);
  const DMatrix wr = fixedWeights(w.reduce, fr, wt), w3 = fixedWeights(w.conv3x3, f3, wt),
                wm = fixedWeights(w.mean, fm, wt);
  const int fl = sample ? weightFracBits(w.logVar) : 0;
  const DMatrix wl = sample ? fixedWeights(w.logVar, fl, wt) : DMatrix();
  y.resize(n, c * hw);
  DMatrix xi, h1, h, mu, lv, out;
  RowMatrix h1f, cols;
  for (Eigen::Index i = 0; i < n; ++i) {
    xi = Eigen::Map<const RowMatrix>(x.row(i).data(), c, hw).cast<double>();
    quantise(xi, f.x, act);
    fixedConv(wr, fr, w.reduceBias, xi, f.x, acc, true, f.h1, relu, h1);
    h1f = h1.cast<float>();  // exact: h1 codes fit a float's 24-bit significand for activation_bits ≤ 24
    im2col3x3(h1f, s.height, s.width, cols);
    fixedConv(w3, f3, w.conv3x3Bias, cols.cast<double>(), f.h1, acc, true, f.h, relu, h);
    fixedConv(wm, fm, w.meanBias, h, f.h, acc, false, f.mu, act, mu);
    out = xi - mu;
    if (sample) {
      fixedConv(wl, fl, w.logVarBias, h, f.h, acc, false, f.logVar, act, lv);
      DMatrix sigma = (0.5 * lv.array()).exp().matrix();
      quantise(sigma, f.sigma, relu);
      out.array() -= sigma.array() * Eigen::Map<const RowMatrix>(eps->row(i).data(), c, hw).cast<double>().array();
    }
    quantise(out, f.y, act);
    Eigen::Map<RowMatrix>(y.row(i).data(), c, hw) = out.cast<float>();
  }
}

void DenoiserCore::runWithGrng(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w,
                               const std::vector<std::uint64_t>& imageKeys, RowMatrix& y) const {
  if (static_cast<Eigen::Index>(imageKeys.size()) != x.rows()) {
    throw std::invalid_argument(
        fmt::format("denoiser: {} image keys for a batch of {} images", imageKeys.size(), x.rows()));
  }
  const RowMatrix eps = drawEpsilon(m_p.grng, imageKeys, static_cast<Eigen::Index>(s.elements()));
  DenoiserBlockShape sampled = s;
  sampled.mode = DenoiserMode::Sample;
  run(sampled, x, w, &eps, y);
}

RowMatrix drawEpsilon(const GrngParams& p, const std::vector<std::uint64_t>& imageKeys, Eigen::Index perImage) {
  RowMatrix eps(static_cast<Eigen::Index>(imageKeys.size()), perImage);
  if (imageKeys.empty()) return eps;
  BoxMullerCore g(p, imageKeys[0]);  // the tables once; each image restarts the uniform source
  for (std::size_t i = 0; i < imageKeys.size(); ++i) {
    g.reseed(imageKeys[i]);
    g.generate(eps.row(static_cast<Eigen::Index>(i)).data(), static_cast<std::size_t>(perImage));
  }
  return eps;
}

RowMatrix drawEpsilon(const DenoiserParams& p, const std::vector<std::uint64_t>& imageKeys, Eigen::Index perImage) {
  if (p.epsilon == EpsilonSource::Grng) return drawEpsilon(p.grng, imageKeys, perImage);
  RowMatrix eps(static_cast<Eigen::Index>(imageKeys.size()), perImage);
  for (std::size_t i = 0; i < imageKeys.size(); ++i) {
    Rng rng(imageKeys[i]);
    fillStandardNormal(rng, eps.row(static_cast<Eigen::Index>(i)).data(), static_cast<std::size_t>(perImage));
  }
  return eps;
}

// ---------------------------------------------------------------------------------------------------
// Timing
//
// Conv on the cores. The work of a conv is split by output channel: core p computes output channels p, p + P,
// p + 2P, … of every pixel. An output value is a dot product of length Cin·k² (its window over all input
// channels); a core's K multipliers and adder tree work on one output value at a time, K terms per cycle,
// so one value takes ceil(Cin·k² / K) cycles (k = 3, K = 9: one input channel's 3×3 window per cycle; 1×1
// with K = 9: nine input channels per cycle). The P cores run in lock-step on the same pixel, each on its own
// output channel, so a pixel takes ceil(Cout / P) rounds:
//   cycles = ceil(Cout / P) × H·W × ceil(Cin·k² / K).
// Why this split: no partial sum crosses cores (no reduction network, no partial-sum storage), the window is
// read once from the line buffer and broadcast to all P cores, and each core reads only its own channels'
// weights (one weight-memory bank per core). Its cost, visible in the formula: P ∤ Cout leaves cores idle
// in the last round, K ∤ Cin·k² leaves lanes idle in the last cycle of each value.

std::uint64_t DenoiserCore::convCycles(int inChannels, int outChannels, int kernel, int height, int width, int cores,
                                       int macsPerCore) {
  return ceilDiv(u64(outChannels), u64(cores)) * u64(height) * u64(width) *
         ceilDiv(u64(inChannels) * u64(kernel) * u64(kernel), u64(macsPerCore));
}

std::uint64_t DenoiserCore::grngUnitSamples(std::uint64_t samples, int unit) const {
  const std::uint64_t g = u64(m_p.grngUnits);
  return samples / g + (u64(unit) < samples % g ? 1 : 0);
}

// GRNG. The G units start together at the block's start and each emits its share; the busiest unit
// (ceil(n / G) samples) finishes last, after its own pipeline rule.
std::uint64_t DenoiserCore::grngCycles(std::uint64_t samples) const {
  return m_grngUnit.cycles(grngUnitSamples(samples, 0));
}

// Schedule. The line buffer holds three rows of Cr channels, so the block is computed row by row with the
// four convs interleaved (a layer-by-layer order would need whole Cr×H×W maps): Reduce(0) first, then for
// each output row y: Reduce(y + 1) writes h1 row y + 1 into the slot of h row y − 1 (already consumed),
// Conv3x3(y) reads h1 rows y − 1, y, y + 1 and writes h row y in place of h1 row y − 1 (one pixel behind its
// window), Heads(y) reads h row y and produces μ and logσ² for the subtract unit. All P cores work on one
// phase at a time, so the phases are back to back and each conv's issue cycles over the block are the
// formula above. Within a phase a core takes its output channels one at a time (channel round outer) and
// runs each over the W pixels of the row (pixel inner): the channel's Cin·k² weights (2·Cr for the two
// heads) stay in the core's weight registers for the row, so the weight memory is read once per row and
// channel. In the Heads phase a core does, per pixel, its channel's μ pass then (sample mode) its logσ² pass,
// so μ and logσ² of an element leave together.
// The pipeline is not drained between phases: a phase's first operands come from its producer's early
// pixels. With p the cycles per pixel and channel round of a phase, this needs (W − 2)·min(p_reduce, p_3x3)
// ≥ pipeline_depth and (W − 1)·min(p_3x3, p_heads) ≥ pipeline_depth, always true for W ≥ pipeline_depth + 2;
// otherwise the model is optimistic by at most pipeline_depth per dependent phase boundary (2 per row).
std::vector<DenoiserPhase> DenoiserCore::schedule(const DenoiserBlockShape& s) const {
  s.validate();
  const int P = m_p.cores, K = m_p.macsPerCore;
  const auto perChannel = [&](int inChannels, int kernel, int passes) {
    return u64(s.width) * u64(passes) * ceilDiv(u64(inChannels) * u64(kernel) * u64(kernel), u64(K));
  };
  const std::uint64_t reducePc = perChannel(s.channels, 1, 1);
  const std::uint64_t convPc = perChannel(s.reducedChannels, 3, 1);
  const std::uint64_t headsPc = perChannel(s.reducedChannels, 1, s.mode == DenoiserMode::Sample ? 2 : 1);
  std::vector<DenoiserPhase> phases;
  phases.reserve(3 * static_cast<std::size_t>(s.height));
  std::uint64_t t = 0;
  const auto add = [&](DenoiserPhaseKind kind, int row, int outChannels, std::uint64_t pc) {
    const std::uint64_t issue = ceilDiv(u64(outChannels), u64(P)) * pc;
    phases.push_back({kind, row, t, issue, outChannels, pc});
    t += issue;
  };
  add(DenoiserPhaseKind::Reduce, 0, s.reducedChannels, reducePc);
  for (int y = 0; y < s.height; ++y) {
    if (y + 1 < s.height) add(DenoiserPhaseKind::Reduce, y + 1, s.reducedChannels, reducePc);
    add(DenoiserPhaseKind::Conv3x3, y, s.reducedChannels, convPc);
    add(DenoiserPhaseKind::Heads, y, s.channels, headsPc);
  }
  return phases;
}

// Block. The subtract unit has one lane behind each core and takes each head result as it leaves the cores;
// ε queue in a FIFO from the GRNGs, which run from the block's start independently of the data. Output k is
// finished at max(σ_k ready, ε_k ready) + 1 (σ·ε) + subtract_latency; results and samples both arrive in
// output order, so the last output finishes last:
//   mean:   block = convChain + subtract_latency
//   sample: block = max(convChain + exp_latency, grng(C·H·W)) + 1 + subtract_latency
// with convChain = Σ issue cycles + pipeline_depth (the last head result leaves the pipeline).
// Assumes the FIFOs never fill (no back-pressure on the cores or the GRNGs; docs/denoiser.md).
DenoiserTiming DenoiserCore::timing(const DenoiserBlockShape& s) const {
  s.validate();
  const int P = m_p.cores, K = m_p.macsPerCore;
  DenoiserTiming t;
  t.reduceCycles = convCycles(s.channels, s.reducedChannels, 1, s.height, s.width, P, K);
  t.conv3x3Cycles = convCycles(s.reducedChannels, s.reducedChannels, 3, s.height, s.width, P, K);
  t.meanHeadCycles = convCycles(s.reducedChannels, s.channels, 1, s.height, s.width, P, K);
  const bool sample = s.mode == DenoiserMode::Sample;
  t.logVarHeadCycles = sample ? t.meanHeadCycles : 0;
  t.convChainCycles = t.reduceCycles + t.conv3x3Cycles + t.meanHeadCycles + t.logVarHeadCycles + u64(m_p.pipelineDepth);
  if (!sample) {
    t.blockCycles = t.convChainCycles + u64(m_p.subtractLatency);
    return t;
  }
  t.grngCycles = grngCycles(s.elements());
  t.blockCycles = std::max(t.convChainCycles + u64(m_p.expLatency), t.grngCycles) + 1 + u64(m_p.subtractLatency);
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Capacity

std::uint64_t DenoiserCore::weightBits(const DenoiserBlockShape& s) const {
  const std::uint64_t c = u64(s.channels), cr = u64(s.reducedChannels);
  return u64(m_p.weightBits) * (c * cr + 9 * cr * cr + 2 * c * cr) + u64(m_p.biasBits) * (2 * cr + 2 * c);
}

std::uint64_t DenoiserCore::lineBufferBits(const DenoiserBlockShape& s) const {
  return 3 * u64(s.width) * u64(s.reducedChannels) * u64(m_p.activationBits);
}

void DenoiserCore::requireLineBuffer(const DenoiserBlockShape& s, const std::string& what) const {
  const std::uint64_t need = lineBufferBits(s), cap = lineBufferCapacityBits();
  if (need <= cap) return;
  throw MappingError(fmt::format(
      "{} (C={}, H={}, W={}, Cr={}) needs {} ({} bits) of line buffer (3 rows x {} pixels x {} channels x {} bits) "
      "but {}.line_buffer is {} ({} bits); raise {}.line_buffer",
      what, s.channels, s.height, s.width, s.reducedChannels,
      formatQuantity(static_cast<double>(need) / 8, Dimension::Bytes), need, s.width, s.reducedChannels,
      m_p.activationBits, m_p.path, formatQuantity(static_cast<double>(cap) / 8, Dimension::Bytes), cap, m_p.path));
}

void DenoiserCore::requireWeightMemory(const std::vector<DenoiserBlockShape>& blocks) const {
  std::uint64_t need = 0;
  for (const auto& b : blocks) need += weightBits(b);
  const std::uint64_t cap = weightMemoryBits();
  if (need <= cap) return;
  throw MappingError(fmt::format(
      "{} denoiser block{} need {} ({} bits: {}-bit weights, {}-bit biases) of weight memory but {}.weight_memory "
      "is {} ({} bits); raise {}.weight_memory or insert fewer/smaller blocks",
      blocks.size(), blocks.size() == 1 ? "" : "s", formatQuantity(static_cast<double>(need) / 8, Dimension::Bytes),
      need, m_p.weightBits, m_p.biasBits, m_p.path, formatQuantity(static_cast<double>(cap) / 8, Dimension::Bytes), cap,
      m_p.path));
}

void DenoiserCore::requireFits(const std::vector<DenoiserBlockShape>& blocks,
                               const std::vector<std::string>& names) const {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    requireLineBuffer(blocks[i], i < names.size() ? fmt::format("denoiser block '{}'", names[i])
                                                  : fmt::format("denoiser block {}", i));
  }
  requireWeightMemory(blocks);
}

// ---------------------------------------------------------------------------------------------------
// Work and area
//
// MACs: every tap of every output value, padding taps included (the core issues whole windows):
//   H·W·(C·Cr + 9·Cr² + C·Cr [+ C·Cr in sample mode]).
// Weight memory: weights are stationary in the cores for a row (see the schedule), so every weight and bias of
// the convs that run is read once per row:
//   H·((C·Cr + 9·Cr² + C·Cr [+ C·Cr])·weight_bits + (2·Cr + C [+ C])·bias_bits).
// Line buffer (activation_bits per word): writes: h1 and h, 2·Cr·H·W words. Reads: the 3×3 windows, once per
// pixel and channel round (broadcast to the P cores; no sliding-window reuse), padding taps not read:
// ceil(Cr / P)·Cr·(3H − 2)(3W − 2) words; each head pass reads h at each pixel once per channel round:
// ceil(C / P)·H·W·Cr words per head.
// Subtract unit: C·H·W subtracts; in sample mode C·H·W exp (σ and σ·ε) and C·H·W GRNG samples.
// Chip buffer (not counted here): the reduce conv streams x once per channel round, the subtract reads x
// once more: (ceil(Cr / P) + 1)·C·H·W·activation_bits; y is written once.
DenoiserWork DenoiserCore::work(const DenoiserBlockShape& s) const {
  s.validate();
  const std::uint64_t c = u64(s.channels), cr = u64(s.reducedChannels), hw = u64(s.height) * u64(s.width);
  const std::uint64_t P = u64(m_p.cores), ab = u64(m_p.activationBits);
  const bool sample = s.mode == DenoiserMode::Sample;
  const std::uint64_t heads = sample ? 2 : 1;
  DenoiserWork w;
  w.macs = hw * (c * cr + 9 * cr * cr + heads * c * cr);
  w.weightReadBits = u64(s.height) * ((c * cr + 9 * cr * cr + heads * c * cr) * u64(m_p.weightBits) +
                                      (2 * cr + heads * c) * u64(m_p.biasBits));
  w.lineBufferWriteBits = 2 * cr * hw * ab;
  w.lineBufferReadBits =
      ab * (ceilDiv(cr, P) * cr * validTaps3(s.height) * validTaps3(s.width) + heads * ceilDiv(c, P) * hw * cr);
  w.grngSamples = sample ? s.elements() : 0;
  w.subtracts = s.elements();
  w.exps = sample ? s.elements() : 0;
  w.inputReadBits = (ceilDiv(cr, P) + 1) * s.elements() * ab;
  w.outputWriteBits = s.elements() * ab;
  return w;
}

DenoiserArea DenoiserCore::area() const {
  DenoiserArea a;
  a.coresM2 = m_p.cores * m_p.coreAreaM2;
  a.weightMemoryM2 = m_p.weightMemoryBytes / 1024.0 * m_p.weightMemoryAreaPerKibM2;
  a.lineBufferM2 = m_p.lineBufferBytes / 1024.0 * m_p.lineBufferAreaPerKibM2;
  a.grngM2 = m_p.grngUnits * m_p.grngUnitAreaM2;
  return a;
}

}  // namespace mxsim
