#include "models/crossbar/crossbar.h"

#include <algorithm>
#include <fmt/format.h>

#include "sim/core/error.h"

namespace mxsim {

CrossbarParams CrossbarParams::fromConfig(ConfigReader& r) {
  CrossbarParams p;
  p.rows = static_cast<int>(r.getInt("rows", kDefaultRows, 1, 4096, "word lines (inputs) per array", "rows",
                                     {"ISAAC, Shafiee et al. ISCA 2016: 128x128 arrays"}));
  p.cols = static_cast<int>(r.getInt("cols", kDefaultRows, 1, 4096, "bit-line pairs (outputs) per array",
                                     "cols", {"ISAAC: 128x128 arrays"}));
  p.readCycles = static_cast<int>(r.getInt("read_cycles", 10, 1, 100000,
                                           "cycles to integrate and sample one MVM (per input phase)", "cycles",
                                           {"ISAAC: 100 ns per array read step"}));
  ConfigReader dev = r.child("device");
  p.gMinS = dev.getQuantity("g_min", Dimension::Conductance, 0.1e-6, 0.0, 1.0, "low conductance state Gmin");
  p.gMaxS = dev.getQuantity("g_max", Dimension::Conductance, 25e-6, 1e-12, 1.0, "high conductance state Gmax",
                            {"aihwkit PCM statistical model: Gmax = 25 uS"});
  dev.finish();
  if (p.gMinS >= p.gMaxS) {
    throw ConfigError(fmt::format("{}: g_min ({}) must be below g_max ({})", dev.path(),
                                  formatQuantity(p.gMinS, Dimension::Conductance),
                                  formatQuantity(p.gMaxS, Dimension::Conductance)));
  }
  return p;
}

CrossbarCore::CrossbarCore(const CrossbarParams& p, const DeviceNoiseParams& noise) : m_p(p), m_noise(noise) {}

ColMatrix CrossbarCore::program(const Eigen::Ref<const ColMatrix>& wNorm, Rng& rng) const {
  const double gRange = m_p.gMaxS - m_p.gMinS;
  const double sigmaAbs = m_noise.sigma * m_p.gMaxS;
  ColMatrix out(wNorm.rows(), wNorm.cols());
  // Column-major walk with the G+ draw before the G− draw of each device pair: the order is part of the
  // seed contract (same seed → same chip).
  for (Eigen::Index c = 0; c < wNorm.cols(); ++c) {
    for (Eigen::Index r = 0; r < wNorm.rows(); ++r) {
      const double w = std::clamp(static_cast<double>(wNorm(r, c)), -1.0, 1.0);
      double gPos = m_p.gMinS + gRange * std::max(w, 0.0);
      double gNeg = m_p.gMinS + gRange * std::max(-w, 0.0);
      if (m_noise.sigma > 0.0) {
        const bool rel = m_noise.mode == VariationMode::Relative;
        gPos = std::max(0.0, gPos + (rel ? m_noise.sigma * gPos : sigmaAbs) * rng.normal());
        gNeg = std::max(0.0, gNeg + (rel ? m_noise.sigma * gNeg : sigmaAbs) * rng.normal());
      }
      out(r, c) = static_cast<float>((gPos - gNeg) / gRange);
    }
  }
  return out;
}

}  // namespace mxsim
