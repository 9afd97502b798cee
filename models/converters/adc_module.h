// Contract: SystemC shell of one array's shared ADCs: a pipeline stage taking ceil(cols/perArray)
// conversions per phase per vector; counts one adc.convert per column per phase.
#pragma once
#include "models/common/shell.h"
#include "models/converters/adc.h"

namespace mxsim {

class AdcModule : public Shell<AdcCore> {
 public:
  using Shell::Shell;
  Stream process(const Stream& in, int cols, int phases) {
    return pass(in, action::kAdcConvert, static_cast<std::uint64_t>(phases) * cols,
                m_core.cyclesPerVector(cols) * static_cast<std::uint64_t>(phases));
  }
};

}  // namespace mxsim
