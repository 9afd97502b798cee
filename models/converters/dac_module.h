// Contract: SystemC shell of the input DACs of one array: one stage of the array pipeline; counts one
// dac.convert per driven row per phase.
#pragma once
#include "models/common/shell.h"
#include "models/converters/dac.h"

namespace mxsim {

class DacModule : public Shell<DacCore> {
 public:
  using Shell::Shell;
  Stream process(const Stream& in, int rows, int phases) {
    return pass(in, action::kDacConvert, static_cast<std::uint64_t>(phases) * rows, m_core.cyclesPerVector(phases));
  }
};

}  // namespace mxsim
