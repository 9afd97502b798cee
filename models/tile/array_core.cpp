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

void ArrayCore::convertOutputs(RowMatrix& out, float adcFullScale, float* maxAbs,
                               const std::vector<AdcInstance>* adcs) const {
  if (maxAbs && out.size()) *maxAbs = std::max(*maxAbs, out.cwiseAbs().maxCoeff());
  if (adcFullScale <= 0.0f) return;
  if (!adcs) {
    m_adc.convert(out, adcFullScale, nullptr);
    return;
  }
  const Eigen::Index C = m_p.xbar.cols;
  for (size_t cb = 0; cb < adcs->size(); ++cb) {
    const Eigen::Index c0 = static_cast<Eigen::Index>(cb) * C;
    m_adc.convert(out.middleCols(c0, std::min<Eigen::Index>(C, out.cols() - c0)), adcFullScale, &(*adcs)[cb]);
  }
}

void ArrayCore::pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, float adcFullScale, RowMatrix& out,
                     float* maxAbs, const std::vector<AdcInstance>* adcs) const {
  gemmPatch(x, g, out);
  convertOutputs(out, adcFullScale, maxAbs, adcs);
}

void ArrayCore::pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g,
                     const Eigen::Ref<const ColMatrix>& readVar, const RowMatrix& z, float adcFullScale,
                     RowMatrix& out, float* maxAbs, const std::vector<AdcInstance>* adcs) const {
  gemmPatch(x, g, out);
  // Σ_i x_i·(w_i + n_i) with independent n_i ~ N(0, var_i) is x·w + N(0, Σ_i x_i²·var_i): one draw per output.
  const Eigen::ArrayXf squares = Eigen::Map<const Eigen::ArrayXf>(x.base, x.span()).square();  // this block's rows
  RowMatrix var;
  gemmPatch(x.over(squares.data()), readVar, var);
  out.array() += var.array().sqrt() * z.array();
  convertOutputs(out, adcFullScale, maxAbs, adcs);
}

void ArrayCore::pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, float readVar, const RowMatrix& z,
                     float adcFullScale, RowMatrix& out, float* maxAbs, const std::vector<AdcInstance>* adcs) const {
  gemmPatch(x, g, out);
  const Eigen::VectorXf sd = (patchRowSums(x, RowSum::Square) * readVar).cwiseSqrt();
  out.array() += z.array().colwise() * sd.array();
  convertOutputs(out, adcFullScale, maxAbs, adcs);
}

void ArrayCore::mvm(const Eigen::Ref<const RowMatrix>& xq, const Eigen::Ref<const ColMatrix>& gEff,
                    bool signedInput, float adcFullScale, RowMatrix& out, float* maxAbs) const {
  std::vector<InputPass> passes;
  m_dac.decompose(RowMatrix(xq.transpose()), signedInput, passes);
  out = RowMatrix::Zero(xq.rows(), gEff.cols());
  RowMatrix part;
  for (const InputPass& p : passes) {
    pass(PatchRows::dense(p.x), gEff, adcFullScale, part, maxAbs);
    out += p.weight * part;
  }
  const float offset = m_dac.offsetScale(signedInput);
  if (offset != 0.0f) out.rowwise() -= offset * gEff.colwise().sum();
}

StageCycles ArrayCore::cyclesPerVector(int cols, int passes) const {
  StageCycles s;
  s.dac = m_dac.cyclesPerVector(passes);
  s.xbar = m_xbar.cyclesPerVector(passes);
  s.adc = m_adc.cyclesPerVector(cols) * static_cast<std::uint64_t>(passes);
  return s;
}

ArrayActions ArrayCore::actionsPerVector(int rows, int cols, int phases) const {
  ArrayActions a;
  const auto ph = static_cast<std::uint64_t>(phases);
  a.dacConversions = ph * static_cast<std::uint64_t>(rows);
  a.cellReads = ph * static_cast<std::uint64_t>(rows) * cols * m_p.xbar.devicesPerWeight();
  a.adcConversions = ph * static_cast<std::uint64_t>(cols);
  return a;
}

}  // namespace mxsim
