// Contract: SystemC shell of one array's shared ADCs: a pipeline stage taking ceil(cols/perArray)
// conversions per pass per vector; counts one adc.convert per column per pass, and one sample_hold.sample
// (each column's sample-and-hold holds the value its ADC converts). A pass is one analog result per column:
// a phase of a signed input, and each bit of a bit-serial DAC.
#pragma once
#include "models/common/shell.h"
#include "models/converters/adc.h"
#include "models/converters/dac.h"

namespace mxsim {

class AdcModule : public Shell<AdcCore> {
 public:
  using Shell::Shell;
  /// `phases` is the number of passes per vector (two-phase signed inputs: 2; see the overload below for
  /// bit-serial DACs).
  Stream process(const Stream& in, int cols, int phases) {
    count(action::kSampleHold, static_cast<std::uint64_t>(phases) * cols * in.count);
    return pass(in, action::kAdcConvert, static_cast<std::uint64_t>(phases) * cols,
                m_core.cyclesPerVector(cols) * static_cast<std::uint64_t>(phases));
  }
  /// Passes taken from the array's DAC: dac.passCount(signedInput) conversions per column per vector.
  Stream process(const Stream& in, int cols, const DacCore& dac, bool signedInput) {
    return process(in, cols, dac.passCount(signedInput));
  }
};

}  // namespace mxsim
