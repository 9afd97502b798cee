#include "workloads/ir/program.h"

#include <fmt/format.h>

namespace mxsim::wl {

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shapeText(const Shape& s) { return fmt::format("{}", fmt::join(s, "x")); }

const char* stepKindName(StepKind k) {
  switch (k) {
    case StepKind::AnalogGemm: return "analog_gemm";
    case StepKind::Relu: return "relu";
    case StepKind::MaxPool: return "maxpool";
    case StepKind::GlobalAvgPool: return "global_avg_pool";
    case StepKind::Add: return "add";
    case StepKind::Reshape: return "reshape";
    case StepKind::Affine: return "affine";
  }
  return "?";
}

std::int64_t Step::vectorsPerImage() const {
  if (kind != StepKind::AnalogGemm) return 0;
  return isConv ? static_cast<std::int64_t>(window.outH) * window.outW : 1;
}

std::int64_t Step::macsPerImage() const {
  if (kind != StepKind::AnalogGemm) return 0;
  return vectorsPerImage() * weight.rows() * weight.cols();
}

std::int64_t Step::params() const {
  return weight.size() + (kind == StepKind::AnalogGemm ? bias.size() : 0) + scale.size() + shift.size();
}

std::int64_t Program::totalMacsPerImage() const {
  std::int64_t t = 0;
  for (const auto& s : steps) t += s.macsPerImage();
  return t;
}

std::int64_t Program::totalParams() const {
  std::int64_t t = 0;
  for (const auto& s : steps) t += s.params();
  return t;
}

}  // namespace mxsim::wl
