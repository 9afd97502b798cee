// Contract: one analog array's datapath = DAC → crossbar → ADC, as one functional core. The batched
// accuracy engine and the SystemC ArrayModule both call mvm(), so they compute the same numbers. Timing
// is a three-stage pipeline per input vector (DAC settle, crossbar integrate, ADC conversions), repeated
// once per input phase.
#pragma once
#include <cstdint>
#include <vector>

#include "models/converters/adc.h"
#include "models/converters/dac.h"
#include "models/crossbar/crossbar.h"
#include "sim/core/gemm.h"

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

  /// One pass of input vectors through effective weights g (k × c): p = x·g, converted by the ADC
  /// (adcFullScale ≤ 0 skips it: calibration, ideal ADC). The input comes as a patch matrix, row k = the
  /// values the DAC drives on array row k for every vector (explicit: PatchRows::dense of a k × vectors
  /// matrix; implicit: the shifted padded planes of a stride-1 conv, PatchRows::conv). maxAbs, if
  /// given, receives max |p| before conversion. `adcs`, if given, holds the static errors of the ADCs of each
  /// column block (array) in column order. out: vectors × c.
  void pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, float adcFullScale,
            RowMatrix& out, float* maxAbs = nullptr, const std::vector<AdcInstance>* adcs = nullptr) const;
  /// The same with read noise: each output gains √((x∘x)·readVar) · z, z standard normals supplied by the
  /// caller (so draws are keyed by image, not by thread). readVar is per weight, in w_eff² units.
  void pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g,
            const Eigen::Ref<const ColMatrix>& readVar, const RowMatrix& z, float adcFullScale, RowMatrix& out,
            float* maxAbs = nullptr, const std::vector<AdcInstance>* adcs = nullptr) const;
  /// The same when every weight has read-noise variance `readVar`: the std is √(readVar·Σ_i x_i²).
  void pass(const PatchRows& x, const Eigen::Ref<const ColMatrix>& g, float readVar,
            const RowMatrix& z, float adcFullScale, RowMatrix& out, float* maxAbs = nullptr,
            const std::vector<AdcInstance>* adcs = nullptr) const;

  /// ADC-converted partial sums of DAC-converted normalised inputs `xq` (vectors × k) against effective
  /// weights `gEff` (k × c), without read noise: every pass of DacCore::decompose (phases, bit planes)
  /// converted by the ADC, recombined digitally, offset term removed: ≈ xq·gEff.
  void mvm(const Eigen::Ref<const RowMatrix>& xq, const Eigen::Ref<const ColMatrix>& gEff, bool signedInput,
           float adcFullScale, RowMatrix& out, float* maxAbs = nullptr) const;

  /// `passes`: array passes per input vector (DacCore::passCount).
  StageCycles cyclesPerVector(int cols, int passes) const;
  ArrayActions actionsPerVector(int rows, int cols, int passes) const;

 private:
  void convertOutputs(RowMatrix& out, float adcFullScale, float* maxAbs, const std::vector<AdcInstance>* adcs) const;
  ArrayParams m_p;
  DacCore m_dac;
  CrossbarCore m_xbar;
  AdcCore m_adc;
};

}  // namespace mxsim
