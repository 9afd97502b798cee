#include "models/crossbar/crossbar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/error.h"

namespace mxsim {

CrossbarParams CrossbarParams::fromConfig(ConfigReader& r) {
  CrossbarParams p;
  p.rows = static_cast<int>(r.getInt("rows", p.rows, 1, 4096, "word lines (inputs) per array", "rows",
                                     {"ISAAC, Shafiee et al. ISCA 2016: 128x128 arrays"}));
  p.cols = static_cast<int>(
      r.getInt("cols", p.cols, 1, 4096, "bit-line pairs (outputs) per array", "cols", {"ISAAC: 128x128 arrays"}));
  p.readCycles =
      static_cast<int>(r.getInt("read_cycles", p.readCycles, 1, 100000, "cycles to integrate and sample one MVM (per input pass)",
                                "cycles", {"ISAAC: 100 ns per array read step"}));
  p.writeCyclesPerRow = static_cast<int>(r.getInt(
      "write_cycles_per_row", p.writeCyclesPerRow, 1, 1000000000,
      "cycles to program one row of an array, its cells in parallel (time-multiplexed reprogramming)", "cycles",
      {"Lee et al. ISCA 2009: PCM write (SET) latency 150 ns = 150 cycles at 1 GHz"}));
  ConfigReader dev = r.child("device");
  p.gMinS = dev.getQuantity("g_min", Dimension::Conductance, p.gMinS, 0.0, 1.0, "low conductance state Gmin");
  p.gMaxS = dev.getQuantity("g_max", Dimension::Conductance, p.gMaxS, 1e-12, 1.0, "high conductance state Gmax",
                            {"aihwkit PCM statistical model: Gmax = 25 uS"});
  p.mapping = dev.getEnum<WeightMapping>(
      "mapping", p.mapping, {{"differential", WeightMapping::Differential}, {"offset", WeightMapping::Offset}},
      "signed weights as a differential pair G+ - G- or as one device "
      "against a mid-range reference");
  p.weightBits = static_cast<int>(
      dev.getInt("weight_bits", p.weightBits, 0, 16, "weight resolution; 0 = analog (continuous) conductances", "bits"));
  p.cellBits = static_cast<int>(dev.getInt(
      "cell_bits", p.cellBits, 1, 4, "bits stored per cell when weight_bits > 0 (bit slicing)", "bits", {"ISAAC: 2-bit cells"}));
  if (p.weightBits == 0 && dev.given("cell_bits"))  // it would silently do nothing
    throw ConfigError(fmt::format("{}: given, but {} is 0 (analog conductances, no bit slicing); set {} too or "
                                  "leave {} out",
                                  dev.keyPath("cell_bits"), dev.keyPath("weight_bits"), dev.keyPath("weight_bits"),
                                  dev.keyPath("cell_bits")));
  p.weightScaling = dev.getEnum<WeightScaling>("weight_scaling", p.weightScaling,
                                               {{"layer", WeightScaling::Layer}, {"array", WeightScaling::Array}},
                                               "weights normalised to the conductance range per layer or per array "
                                               "block (digital rescale per array)");
  dev.finish();
  ConfigReader ir = r.child("ir_drop");
  p.irDrop = ir.getBool("enabled", false, "first-order IR drop along word and bit lines");
  p.wireOhms =
      ir.getQuantity("wire_resistance", Dimension::Resistance, 2.5, 0.0, 1e6, "wire resistance per cell segment",
                     {"~2.5 Ohm per segment at 32 nm (ITRS-era estimates)"});
  ir.finish();
  p.readVoltageV = r.getQuantity(
      "read_voltage", Dimension::Voltage, CrossbarParams::kDefaultReadVoltageV, 1e-3, 5.0,
      "voltage across a cell at the DAC's full-scale input; prices the cell read (V²·G·t_read) and the word-line "
      "charge (C·V²)",
      {"0.2 V: a typical non-disturbing RRAM/PCM read (below SET/threshold switching); NeuroSim's default readVoltage "
       "is 0.5 V (DNN_NeuroSim Param.cpp)"});
  p.wireCapacitanceF = r.getQuantity(
      "wire_capacitance", Dimension::Capacitance, CrossbarParams::kDefaultWireCapacitanceF, 0.0, 1e-12,
      "word-line capacitance per cell segment; a word line is cols × devices per weight segments",
      {"NeuroSim (DNN_NeuroSim SubArray.cpp): 0.2 fF/um wire capacitance; x 39 nm cell pitch from ISAAC's 25 um2 per "
       "128x128 array"});
  if (p.gMinS >= p.gMaxS) {
    throw ConfigError(fmt::format("{}: g_min ({}) must be below g_max ({})", dev.path(),
                                  formatQuantity(p.gMinS, Dimension::Conductance),
                                  formatQuantity(p.gMaxS, Dimension::Conductance)));
  }
  return p;
}

CrossbarCore::CrossbarCore(const CrossbarParams& p, const DeviceNoiseParams& noise) : m_p(p), m_noise(noise) {}

double CrossbarCore::uniformReadVariance() const {
  if (m_noise.read == ReadNoiseModel::None) return 0.0;
  if (m_noise.read != ReadNoiseModel::Absolute) return -1.0;
  const double dG = m_p.gMaxS - m_p.gMinS;
  const double sd = m_noise.readSigma * m_p.gMaxS / dG;
  return m_p.mapping == WeightMapping::Differential ? 2.0 * sd * sd : 4.0 * sd * sd;
}

float CrossbarCore::sliceWeight(int s) const {
  if (m_p.weightBits == 0) return 1.0f;
  const double q = std::ldexp(1.0, m_p.weightBits) - 1.0;
  const double cellMax = std::ldexp(1.0, std::min(m_p.cellBits, m_p.weightBits)) - 1.0;
  return static_cast<float>(cellMax * std::ldexp(1.0, s * m_p.cellBits) / q);
}

namespace {
// Independent streams per effect so that, e.g., turning faults on does not change the variation draws.
constexpr std::uint64_t kVariationTag = 1, kDriftTag = 2, kFaultTag = 3;

struct Device {
  double target;  // target conductance [S]
  double g;       // conductance after the static effects [S]
  double readSigma = 0.0;
};
}  // namespace

ProgrammedBlock CrossbarCore::program(const Eigen::Ref<const ColMatrix>& wNorm, std::uint64_t blockKey,
                                      double tSeconds) const {
  ProgrammedBlock out;
  out.gEff.assign(m_p.slices(), ColMatrix(wNorm.rows(), wNorm.cols()));
  std::vector<Eigen::Ref<ColMatrix>> g(out.gEff.begin(), out.gEff.end());
  ProgrammedBlock rest = program(wNorm, blockKey, tSeconds, g);
  rest.gEff = std::move(out.gEff);
  return rest;
}

namespace {
/// One weight digit d ∈ [−1, 1] on its device(s), each device through `realise(target)`: the effective
/// weight, the conductance of its devices and the read-noise variance in w_eff² units.
template <class Realise>
CellValue cellOf(const CrossbarParams& p, double d, Realise&& realise) {
  const double dG = p.gMaxS - p.gMinS;
  if (p.mapping == WeightMapping::Differential) {
    const Device pos = realise(p.gMinS + dG * std::max(d, 0.0));
    const Device neg = realise(p.gMinS + dG * std::max(-d, 0.0));
    return {static_cast<float>((pos.g - neg.g) / dG), pos.g + neg.g,
            static_cast<float>((pos.readSigma * pos.readSigma + neg.readSigma * neg.readSigma) / (dG * dG))};
  }
  const Device dev = realise(p.gMinS + dG * (d + 1.0) / 2.0);
  return {static_cast<float>(2.0 * (dev.g - (p.gMinS + dG / 2.0)) / dG), dev.g,
          static_cast<float>(4.0 * dev.readSigma * dev.readSigma / (dG * dG))};
}
}  // namespace

CrossbarCore::StaticEffects CrossbarCore::staticEffects() const {
  StaticEffects e;
  // σ = 0 for every device (absolute or relative model, σ0 = 0; growth only scales σ0): no variation.
  e.varies = !(m_noise.sigma == 0.0 &&
               (m_noise.variation == VariationModel::Absolute || m_noise.variation == VariationModel::Relative));
  e.drifts = m_noise.drift != DriftModel::None;
  e.faults = m_noise.stuckAtGminRate > 0.0 || m_noise.stuckAtGmaxRate > 0.0;
  return e;
}

bool CrossbarCore::idealDevices() const {
  const StaticEffects e = staticEffects();
  return !e.varies && !e.drifts && !e.faults && !m_p.irDrop && uniformReadVariance() >= 0.0;
}

int CrossbarCore::cellLevels() const {
  return m_p.weightBits ? (1 << std::min(m_p.cellBits, m_p.weightBits)) - 1 : 0;
}

std::vector<CellValue> CrossbarCore::digitCells() const {
  const int L = cellLevels();
  std::vector<CellValue> cells;
  for (int d = -L; d <= L; ++d) {
    cells.push_back(cellOf(m_p, static_cast<double>(d) / L, [](double target) {
      return Device{target, std::max(0.0, target)};  // an ideal device is its target (no negative conductance)
    }));
  }
  return cells;
}

ProgrammedBlock CrossbarCore::idealCellSums(const std::vector<std::int64_t>& cellsPerDigit,
                                            const std::vector<CellValue>& cells) const {
  ProgrammedBlock out;
  std::int64_t weights = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    out.conductanceSumS += static_cast<double>(cellsPerDigit[i]) * cells[i].conductanceS;
    weights += cellsPerDigit[i];
  }
  out.devices = static_cast<double>(weights) * m_p.devicesPerWeight();
  return out;
}

std::vector<std::uint64_t> CrossbarCore::magnitudeCodes(const Eigen::Ref<const ColMatrix>& wNorm) const {
  const double q = m_p.weightBits ? std::ldexp(1.0, m_p.weightBits) - 1.0 : 0.0;
  const Eigen::Index R = wNorm.rows(), C = wNorm.cols();
  std::vector<std::uint64_t> codes(m_p.weightBits ? static_cast<std::size_t>(R * C) : 0);
  for (Eigen::Index c = 0; c < C && m_p.weightBits; ++c) {
    for (Eigen::Index r = 0; r < R; ++r) {
      const double w = std::clamp(static_cast<double>(wNorm(r, c)), -1.0, 1.0);
      codes[static_cast<std::size_t>(c * R + r)] = static_cast<std::uint64_t>(std::llround(std::abs(w) * q));
    }
  }
  return codes;
}

ProgrammedBlock CrossbarCore::programDigits(const Eigen::Ref<const ColMatrix>& wNorm,
                                            std::vector<Eigen::Ref<DigitMatrix>>& digits) const {
  if (!exactCells()) throw std::invalid_argument("CrossbarCore::programDigits: the cells are not exact");
  if (static_cast<int>(digits.size()) != m_p.slices())
    throw std::invalid_argument("CrossbarCore::programDigits: one output per slice");
  const std::vector<CellValue> cells = digitCells();
  const int L = cellLevels();
  const std::vector<std::uint64_t> codes = magnitudeCodes(wNorm);
  // The signed codes row by row (the digits are row-major), so each slice is one contiguous pass per row.
  const Eigen::Index R = wNorm.rows(), C = wNorm.cols();
  std::vector<std::int32_t> signedCode(static_cast<std::size_t>(R * C));
  for (Eigen::Index c = 0; c < C; ++c)
    for (Eigen::Index r = 0; r < R; ++r) {
      const auto m = static_cast<std::int32_t>(codes[static_cast<std::size_t>(c * R + r)]);
      signedCode[static_cast<std::size_t>(r * C + c)] = wNorm(r, c) < 0.0f ? -m : m;
    }
  std::vector<std::int64_t> count(cells.size(), 0);
  for (int s = 0; s < m_p.slices(); ++s) {
    const int shift = s * m_p.cellBits;
    for (Eigen::Index r = 0; r < R; ++r) {
      std::int8_t* out = &digits[s](r, 0);
      const std::int32_t* code = signedCode.data() + r * C;
      for (Eigen::Index c = 0; c < C; ++c) {
        const std::int32_t m = code[c] < 0 ? -code[c] : code[c];
        const std::int32_t d = (m >> shift) & L;
        out[c] = static_cast<std::int8_t>(code[c] < 0 ? -d : d);
      }
      for (Eigen::Index c = 0; c < C; ++c) ++count[static_cast<std::size_t>(out[c] + L)];
    }
  }
  return idealCellSums(count, cells);
}

ProgrammedBlock CrossbarCore::program(const Eigen::Ref<const ColMatrix>& wNorm, std::uint64_t blockKey,
                                      double tSeconds, std::vector<Eigen::Ref<ColMatrix>>& gEff) const {
  const int S = m_p.slices();
  const bool wantReadVar = uniformReadVariance() < 0.0;
  const int cellLevels = this->cellLevels();
  const Eigen::Index R = wNorm.rows(), C = wNorm.cols();

  ProgrammedBlock out;
  if (static_cast<int>(gEff.size()) != S) throw std::invalid_argument("CrossbarCore::program: one output per slice");
  if (wantReadVar) out.readVar.assign(S, ColMatrix(R, C));
  if (exactCells()) {
    // Ideal devices and quantised weights: a cell depends only on its signed digit, so each of the
    // 2·levels + 1 cells is computed once and looked up (the same doubles the device loop below gives).
    std::vector<DigitMatrix> digits(static_cast<std::size_t>(S), DigitMatrix(R, C));
    std::vector<Eigen::Ref<DigitMatrix>> refs(digits.begin(), digits.end());
    const ProgrammedBlock sums = programDigits(wNorm, refs);
    const std::vector<CellValue> cells = digitCells();
    for (int s = 0; s < S; ++s)
      for (Eigen::Index c = 0; c < C; ++c)
        for (Eigen::Index r = 0; r < R; ++r) gEff[s](r, c) = cells[static_cast<std::size_t>(digits[s](r, c) + cellLevels)].gEff;
    out.conductanceSumS = sums.conductanceSumS;
    out.devices = sums.devices;
    return out;
  }
  const double perWeight = m_p.devicesPerWeight();
  // Each weight's (quantised) magnitude code, once for all slices.
  const std::vector<std::uint64_t> codes = magnitudeCodes(wNorm);
  const StaticEffects effects = staticEffects();
  const bool varies = effects.varies, drifts = effects.drifts, faults = effects.faults;
  for (int s = 0; s < S; ++s) {
    Rng var(streamKey(blockKey, {kVariationTag, static_cast<std::uint64_t>(s)}));
    Rng drift(streamKey(blockKey, {kDriftTag, static_cast<std::uint64_t>(s)}));
    Rng fault(streamKey(blockKey, {kFaultTag, static_cast<std::uint64_t>(s)}));
    // One device through every static effect. Each effect has its own stream, drawn once per device in the
    // same order, so a disabled effect's stream is simply not drawn and the others' draws do not move.
    // σ = 0 for every device (absolute or relative model, σ0 = 0; growth only scales σ0): the variation
    // stream's normals would all be multiplied by 0, so they are not drawn (the stream is this block's and
    // slice's own: no other draw moves).
    auto realiseAt = [&](Eigen::Index row, Eigen::Index col) {
      return [&, row, col](double target) {
        Device d{target, target};
        const double eps = varies ? var.normal() : 0.0;
        const double nuEps = drifts ? drift.normal() : 0.0;
        const double u = faults ? fault.uniform() : 1.0;
        const double sigmaS = m_noise.programmingSigmaS(target, m_p.gMaxS, tSeconds);
        if (sigmaS > 0.0) {
          if (m_noise.distribution == VariationDistribution::Lognormal && target > 0.0) {
            const double sl = sigmaS / target;
            d.g = target * std::exp(sl * eps - 0.5 * sl * sl);
          } else {
            d.g = target + sigmaS * eps;
          }
        }
        d.g = std::max(0.0, d.g);  // no negative conductance
        if (u < m_noise.stuckAtGminRate) {
          d.g = m_p.gMinS;
        } else if (u < m_noise.stuckAtGminRate + m_noise.stuckAtGmaxRate) {
          d.g = m_p.gMaxS;
        }
        const double gNorm = target / m_p.gMaxS;
        if (drifts) {
          const double nu = std::abs(m_noise.nuMeanFor(gNorm) + m_noise.nuStdFor(gNorm) * nuEps);
          d.g *= m_noise.driftFactor(nu, tSeconds);
        }
        if (m_p.irDrop && d.g > 0.0) {
          // Series wire resistance from the row driver (col + 1 segments) and to the column's sense
          // amplifier (rows − row segments): g_eff = g / (1 + g·R_s). First order: no current sharing.
          const double rs = m_p.wireOhms * static_cast<double>((col + 1) + (m_p.rows - row));
          d.g = d.g / (1.0 + d.g * rs);
        }
        d.readSigma = m_noise.readSigmaS(d.g, gNorm, m_p.gMaxS, tSeconds);
        return d;
      };
    };
    for (Eigen::Index c = 0; c < C; ++c) {
      for (Eigen::Index r = 0; r < R; ++r) {
        const double w = std::clamp(static_cast<double>(wNorm(r, c)), -1.0, 1.0);
        double mag = std::abs(w);
        if (m_p.weightBits) {
          const std::uint64_t code = codes[static_cast<std::size_t>(c * R + r)];
          mag = static_cast<double>((code >> (s * m_p.cellBits)) & static_cast<std::uint64_t>(cellLevels)) / cellLevels;
        }
        const CellValue k = cellOf(m_p, w < 0 ? -mag : mag, realiseAt(r, c));
        gEff[s](r, c) = k.gEff;
        if (wantReadVar) out.readVar[s](r, c) = k.readVar;
        out.conductanceSumS += k.conductanceS;
        out.devices += perWeight;
      }
    }
  }
  return out;
}

}  // namespace mxsim
