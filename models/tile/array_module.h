// Contract: SystemC shell of one analog array with its DACs and ADCs: DAC → crossbar → ADC pipeline.
// stream() plays n input vectors through the stages and wait()s until the last partial sum is converted;
// compute() does the same for real data through ArrayCore::mvm, so the shell's numbers equal the core's.
#pragma once
#include <memory>
#include <string>

#include <systemc>

#include "models/converters/adc_module.h"
#include "models/converters/dac_module.h"
#include "models/crossbar/crossbar_module.h"
#include "models/tile/array_core.h"

namespace mxsim {

class ArrayModule : public sc_core::sc_module {
 public:
  ArrayModule(const sc_core::sc_module_name& name, const ArrayCore& core, ShellContext ctx)
      : sc_module(name),
        m_core(core),
        m_dac("dac", core.dac(), ctx),
        m_xbar("crossbar", core.crossbar(), ctx),
        m_adc("adc", core.adc(), ctx) {}

  /// Must run inside a SystemC thread. Streams `vectors` input vectors over rows × cols cells, each taking
  /// DacCore::passCount(signedInput) passes (phases × bit planes).
  void stream(std::uint64_t vectors, int rows, int cols, bool signedInput) {
    const int passes = m_core.dac().passCount(signedInput);
    Stream in{sc_core::sc_time_stamp(), vectors, sc_core::SC_ZERO_TIME};
    const Stream s1 = m_dac.process(in, rows, passes);
    const Stream s2 = m_xbar.process(s1, rows, cols, passes);
    const Stream s3 = m_adc.process(s2, cols, passes);
    ++m_jobs;
    if (vectors) sc_core::wait(s3.last() - sc_core::sc_time_stamp());
  }

  /// Report the DAC, crossbar and ADC stages' busy intervals as signals <path>.dac, <path>.crossbar, <path>.adc.
  void trace(ActivityLog* log, const std::string& path) {
    m_dac.trace(log, path + ".dac", "dac");
    m_xbar.trace(log, path + ".crossbar", "array");
    m_adc.trace(log, path + ".adc", "adc");
  }
  sc_core::sc_time dacBusyTime() const { return m_dac.busyTime(); }
  sc_core::sc_time adcBusyTime() const { return m_adc.busyTime(); }

  /// Timing of reprogramming a rows × cols block once for `batch` images (CrossbarModule::write). Must run
  /// inside a SystemC thread.
  void write(int rows, int cols, std::uint64_t batch) { m_xbar.write(rows, cols, batch); }

  /// Program weights (normalised, rows ≤ array rows, cols ≤ array cols) with the instance's variation.
  /// (First slice only: a bench drives one column group.)
  void program(const Eigen::Ref<const ColMatrix>& wNorm, std::uint64_t blockKey, double tSeconds = 0.0) {
    m_gEff = m_core.crossbar().program(wNorm, blockKey, tSeconds).gEff.front();
  }
  void setAdcFullScale(float fs) { m_fullScale = fs; }

  /// Data path: DAC-convert normalised inputs (vectors × rows), MVM, ADC; advances time like stream().
  RowMatrix compute(RowMatrix xNorm, bool signedInput) {
    m_core.dac().convert(xNorm, signedInput);
    RowMatrix out;
    m_core.mvm(xNorm, m_gEff, signedInput, m_fullScale, out);
    stream(static_cast<std::uint64_t>(xNorm.rows()), static_cast<int>(m_gEff.rows()),
           static_cast<int>(m_gEff.cols()), signedInput);
    return out;
  }

  const ColMatrix& effectiveWeights() const { return m_gEff; }
  sc_core::sc_time busyTime() const { return m_xbar.busyTime(); }
  std::uint64_t jobs() const { return m_jobs; }

 private:
  const ArrayCore& m_core;
  DacModule m_dac;
  CrossbarModule m_xbar;
  AdcModule m_adc;
  ColMatrix m_gEff;
  float m_fullScale = 0.0f;
  std::uint64_t m_jobs = 0;
};

}  // namespace mxsim
