// Contract: SystemC shell of the digital unit: run() waits ceil(ops / lanes) cycles and counts the ops.
#pragma once
#include "models/common/shell.h"
#include "models/digital/digital.h"

namespace mxsim {

class DigitalModule : public Shell<DigitalCore> {
 public:
  using Shell::Shell;
  /// `adds`: accumulations/residual adds (digital.add); `ops`: activations, compares, scalings (digital.op).
  void run(std::uint64_t adds, std::uint64_t ops) {
    count(action::kDigitalAdd, adds);
    count(action::kDigitalOp, ops);
    exclusive(m_core.cycles(adds + ops));  // one shared unit: concurrent layers queue (pipelined schedule)
  }
};

}  // namespace mxsim
