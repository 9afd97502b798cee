// Contract: one analog array's datapath = DAC → crossbar → ADC, as one functional core. The batched
// accuracy engine and the SystemC ArrayModule both call mvm(), so they compute the same numbers. Timing
// is a three-stage pipeline per input vector (DAC settle, crossbar integrate, ADC conversions), repeated
// once per input phase.
#pragma once
#include <cstdint>

#include "models/converters/adc.h"
#include "models/converters/dac.h"
#include "models/crossbar/crossbar.h"

namespace mxsim {

struct ArrayParams {
  CrossbarParams xbar;
  DacParams dac;
  AdcParams adc;
  static ArrayParams fromConfig(ConfigReader& r);  // reads rows/cols/read_cycles/device + dac + adc
};

/// Per-vector cycles of each pipeline stage for a given column count and phase count.
struct StageCycles {
  std::uint64_t dac = 0, xbar = 0, adc = 0;
  std::uint64_t latency() const { return dac + xbar + adc; }
  std::uint64_t interval() const { return std::max(dac, std::max(xbar, adc)); }
  /// Cycles for n vectors streamed back to back through the pipeline.
  std::uint64_t stream(std::uint64_t n) const { return n ? latency() + (n - 1) * interval() : 0; }
};

/// Action counts of one MVM pass over `rows` × `cols` cells, `phases` input phases.
struct ArrayActions {
  std::uint64_t dacConversions = 0, cellReads = 0, adcConversions = 0;
};

class ArrayCore {
 public:
  ArrayCore(const ArrayParams& p, const DeviceNoiseParams& noise);

  const DacCore& dac() const { return m_dac; }
  const CrossbarCore& crossbar() const { return m_xbar; }
  const AdcCore& adc() const { return m_adc; }
  const ArrayParams& params() const { return m_p; }

  /// ADC-quantised partial sums of DAC-converted normalised inputs `xq` (vectors × k) against effective
  /// weights `gEff` (k × c). Signed inputs run two phases (x⁺ then x⁻), each converted by the ADC, and
  /// are subtracted digitally. adcFullScale ≤ 0 skips quantisation (calibration, ideal ADC).
  /// If maxAbs is given it receives max |partial sum| seen before quantisation (over both phases).
  void mvm(const Eigen::Ref<const RowMatrix>& xq, const Eigen::Ref<const ColMatrix>& gEff, bool signedInput,
           float adcFullScale, RowMatrix& out, float* maxAbs = nullptr) const;

  StageCycles cyclesPerVector(int cols, int phases) const;
  ArrayActions actionsPerVector(int rows, int cols, int phases) const;

 private:
  ArrayParams m_p;
  DacCore m_dac;
  CrossbarCore m_xbar;
  AdcCore m_adc;
};

}  // namespace mxsim
