// Contract: SystemC shell of the crossbar array: integrate-and-sample stage of the array pipeline;
// counts crossbar.cell_read per device taking part in each phase of each MVM.
#pragma once
#include "models/common/shell.h"
#include "models/crossbar/crossbar.h"

namespace mxsim {

class CrossbarModule : public Shell<CrossbarCore> {
 public:
  using Shell::Shell;
  Stream process(const Stream& in, int rows, int cols, int phases) {
    return pass(in, action::kXbarCellRead,
                static_cast<std::uint64_t>(phases) * rows * cols * m_core.params().devicesPerWeight(),
                m_core.cyclesPerVector(phases));
  }
};

}  // namespace mxsim
