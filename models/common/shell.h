// Contract: what every SystemC shell shares: its clock, the chip's action ledger, and a StreamStage that
// tracks when the block is busy. Shells never compute data themselves; they call their functional core.
#pragma once
#include "models/common/stream.h"
#include "sim/core/actions.h"

namespace mxsim {

struct ShellContext {
  const Clock* clock = nullptr;
  ActionLedger* ledger = nullptr;
};

}  // namespace mxsim
