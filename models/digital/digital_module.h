// Contract: SystemC shell of the digital unit: run() waits ceil(ops / lanes) cycles and counts the ops.
#pragma once
#include "models/common/shell.h"
#include "models/digital/digital.h"

namespace mxsim {

class DigitalModule : public Shell<DigitalCore> {
 public:
  using Shell::Shell;
  /// `adds` priced as `addAction`, `ops` as `opAction` (which unit does the work: sim/timing/digital_work.h).
  void run(std::uint64_t adds, std::uint64_t ops, const char* addAction, const char* opAction) {
    count(addAction, adds);
    count(opAction, ops);
    exclusive(m_core.cycles(adds + ops));  // one shared unit: concurrent layers queue (pipelined schedule)
  }
};

}  // namespace mxsim
