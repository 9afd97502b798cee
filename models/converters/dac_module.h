// Contract: SystemC shell of the input DACs of one array: one stage of the array pipeline; counts one
// dac.convert per driven row per pass (pass = phase, and bit in bit_serial mode).
#pragma once
#include "models/common/shell.h"
#include "models/converters/dac.h"

namespace mxsim {

class DacModule : public Shell<DacCore> {
 public:
  using Shell::Shell;
  /// Old interface: `phases` passes of `cycles` each (an int selects this overload).
  Stream process(const Stream& in, int rows, int phases) {
    return pass(in, action::kDacConvert, static_cast<std::uint64_t>(phases) * rows, m_core.cyclesPerVector(phases));
  }
  /// The core decides the passes: passCount(signedInput) per vector (mode, signed-input scheme, bits).
  Stream process(const Stream& in, int rows, bool signedInput) {
    return pass(in, action::kDacConvert,
                static_cast<std::uint64_t>(m_core.passCount(signedInput)) * static_cast<std::uint64_t>(rows),
                m_core.cyclesPerVector(signedInput));
  }
};

}  // namespace mxsim
