// Contract: SystemC shell of the crossbar array: integrate-and-sample stage of the array pipeline;
// counts crossbar.cell_read per device taking part in each phase of each MVM, and crossbar.cell_write per
// device programmed when the array is reprogrammed.
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
  /// Program a rows × cols block once for `batch` images: counts every device written and occupies the
  /// array for one image's share of the write time, ⌈rows · write_cycles_per_row / batch⌉ cycles.
  void write(int rows, int cols, std::uint64_t batch) {
    count(action::kXbarCellWrite, static_cast<std::uint64_t>(rows) * cols * m_core.params().devicesPerWeight());
    occupy((m_core.writeCycles(rows) + batch - 1) / batch);
  }
};

}  // namespace mxsim
