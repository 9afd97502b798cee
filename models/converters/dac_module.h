// Contract: SystemC shell of the input DACs of one array: one stage of the array pipeline; counts one
// dac.convert per driven row per pass (pass = phase, and bit in bit_serial mode).
#pragma once
#include "models/common/shell.h"
#include "models/converters/dac.h"

namespace mxsim {

class DacModule : public Shell<DacCore> {
 public:
  using Shell::Shell;
  /// `passes` per vector: DacCore::passCount(signedInput) (mode, signed-input scheme, bits).
  Stream process(const Stream& in, int rows, int passes) {
    return pass(in, action::kDacConvert, static_cast<std::uint64_t>(passes) * rows, m_core.cyclesPerVector(passes));
  }
};

}  // namespace mxsim
