// Contract: which unit of a digital unit does a step's digital work, as the priced actions of its adds and
// ops (docs/chip.md, "Digital units"). One rule for both chip models (ChipTop, DataflowTop).
#pragma once
#include "sim/core/actions.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct DigitalActions {
  const char* add = action::kAccumulatorAdd;
  const char* op = action::kDigitalOp;
};

/// Activation and softmax steps run on the activation units, pooling on the pooling units, residual and
/// elementwise adds on the accumulators; multiplies and per-channel affine steps on the ALU lanes. An analog
/// step's own digital work (row-block sums, offset term: accumulator; rescale and bias: lanes) uses the default.
inline DigitalActions digitalActionsOf(const wl::Step& st) {
  switch (st.kind) {
    case wl::StepKind::Activation:
    case wl::StepKind::Softmax: return {action::kActivationOp, action::kActivationOp};
    case wl::StepKind::MaxPool:
    case wl::StepKind::AvgPool:
    case wl::StepKind::GlobalAvgPool: return {action::kPoolOp, action::kPoolOp};
    case wl::StepKind::Affine: return {action::kDigitalOp, action::kDigitalOp};
    default: return {};
  }
}

}  // namespace mxsim
