#include "models/tile/array_core.h"

namespace mxsim {

ArrayParams ArrayParams::fromConfig(ConfigReader& r) {
  ArrayParams p;
  p.xbar = CrossbarParams::fromConfig(r);
  ConfigReader dac = r.child("dac");
  p.dac = DacParams::fromConfig(dac);
  ConfigReader adc = r.child("adc");
  p.adc = AdcParams::fromConfig(adc);
  r.finish();
  return p;
}

ArrayCore::ArrayCore(const ArrayParams& p, const DeviceNoiseParams& noise)
    : m_p(p), m_dac(p.dac), m_xbar(p.xbar, noise), m_adc(p.adc) {}

void ArrayCore::mvm(const Eigen::Ref<const RowMatrix>& xq, const Eigen::Ref<const ColMatrix>& gEff,
                    bool signedInput, float adcFullScale, RowMatrix& out, float* maxAbs) const {
  auto observe = [maxAbs](const RowMatrix& p) {
    if (maxAbs && p.size()) *maxAbs = std::max(*maxAbs, p.cwiseAbs().maxCoeff());
  };
  auto quantise = [&](RowMatrix& p) {
    if (adcFullScale > 0.0f) m_adc.convert(p, adcFullScale);
  };
  if (!signedInput) {
    out.noalias() = xq * gEff;
    observe(out);
    quantise(out);
    return;
  }
  out.noalias() = xq.cwiseMax(0.0f) * gEff;
  observe(out);
  quantise(out);
  RowMatrix neg = (-xq).cwiseMax(0.0f) * gEff;
  observe(neg);
  quantise(neg);
  out -= neg;
}

StageCycles ArrayCore::cyclesPerVector(int cols, int phases) const {
  StageCycles s;
  s.dac = m_dac.cyclesPerVector(phases);
  s.xbar = m_xbar.cyclesPerVector(phases);
  s.adc = m_adc.cyclesPerVector(cols) * static_cast<std::uint64_t>(phases);
  return s;
}

ArrayActions ArrayCore::actionsPerVector(int rows, int cols, int phases) const {
  ArrayActions a;
  const auto ph = static_cast<std::uint64_t>(phases);
  a.dacConversions = ph * static_cast<std::uint64_t>(rows);
  a.cellReads = ph * static_cast<std::uint64_t>(rows) * cols * CrossbarCore::kDevicesPerWeight;
  a.adcConversions = ph * static_cast<std::uint64_t>(cols);
  return a;
}

}  // namespace mxsim
