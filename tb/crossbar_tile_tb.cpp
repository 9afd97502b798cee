// Testbench: one analog array (DAC → crossbar → ADC) driven through its SystemC shell.
// Checks (1) the shell's outputs equal the functional core's on the same inputs, (2) elapsed cycles equal
// the pipeline derivation for two parameter sets, (3) energy action counts equal their derivation.
#include <gtest/gtest.h>

#include <systemc>

#include "models/tile/array_module.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

struct Scenario {
  ArrayParams params;
  int vectors, rows, cols;
  bool signedInput;
};

ArrayParams makeParams(int rows, int cols, int dacBits, int dacCycles, int readCycles, int adcBits, int perArray,
                       int convCycles) {
  ArrayParams p;
  p.xbar.rows = rows;
  p.xbar.cols = cols;
  p.xbar.readCycles = readCycles;
  p.dac.bits = dacBits;
  p.dac.cycles = dacCycles;
  p.adc.bits = adcBits;
  p.adc.perArray = perArray;
  p.adc.conversionCycles = convCycles;
  return p;
}

// Independent derivation of the pipeline: per-vector stage times, the slowest sets the interval.
std::uint64_t derivedCycles(const Scenario& s) {
  const std::uint64_t phases = s.signedInput ? 2 : 1;
  const std::uint64_t dac = phases * s.params.dac.cycles;
  const std::uint64_t xbar = phases * s.params.xbar.readCycles;
  const std::uint64_t adcConv = (s.cols + s.params.adc.perArray - 1) / s.params.adc.perArray;
  const std::uint64_t adc = phases * adcConv * s.params.adc.conversionCycles;
  const std::uint64_t slowest = std::max({dac, xbar, adc});
  return dac + xbar + adc + (s.vectors - 1) * slowest;
}

class TileBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TileBench);
  TileBench(const sc_core::sc_module_name& n, std::vector<Scenario> scenarios)
      : sc_module(n), m_clock(1e9), m_scenarios(std::move(scenarios)) {
    DeviceNoiseParams noise;
    noise.sigma = 0.05;
    for (size_t i = 0; i < m_scenarios.size(); ++i) {
      m_cores.push_back(std::make_unique<ArrayCore>(m_scenarios[i].params, noise));
      m_ledgers.push_back(std::make_unique<ActionLedger>());
      m_arrays.push_back(std::make_unique<ArrayModule>(("array" + std::to_string(i)).c_str(), *m_cores[i],
                                                       ShellContext{&m_clock, m_ledgers[i].get()}));
    }
    SC_THREAD(drive);
  }

  void drive() {
    for (size_t i = 0; i < m_scenarios.size(); ++i) {
      const Scenario& s = m_scenarios[i];
      Rng wrng(streamKey(7, {i}));
      ColMatrix w(s.rows, s.cols);
      for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = static_cast<float>(2 * wrng.uniform() - 1);
      RowMatrix x(s.vectors, s.rows);
      for (Eigen::Index k = 0; k < x.size(); ++k) {
        x.data()[k] = static_cast<float>(s.signedInput ? 2 * wrng.uniform() - 1 : wrng.uniform());
      }
      m_arrays[i]->program(w, streamKey(99, {i}));
      const float fullScale = 0.25f * static_cast<float>(s.rows);
      m_arrays[i]->setAdcFullScale(fullScale);

      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const RowMatrix shellOut = m_arrays[i]->compute(x, s.signedInput);
      const std::uint64_t cycles = m_clock.toCycles(sc_core::sc_time_stamp() - start);

      // Reference: the functional core on the same programmed weights and DAC-converted inputs.
      RowMatrix xq = x;
      m_cores[i]->dac().convert(xq, s.signedInput);
      RowMatrix coreOut;
      m_cores[i]->mvm(xq, m_arrays[i]->effectiveWeights(), s.signedInput, fullScale, coreOut);
      EXPECT_EQ(shellOut.rows(), s.vectors);
      EXPECT_EQ(shellOut.cols(), s.cols);
      EXPECT_TRUE(shellOut == coreOut) << "scenario " << i << ": shell and core outputs differ";
      // The result is really quantised: every output is a multiple of the ADC step.
      const float step = fullScale / static_cast<float>((1 << (s.params.adc.bits - 1)) - 1);
      const float twoPhaseSlack = s.signedInput ? 2.0f : 1.0f;
      for (Eigen::Index k = 0; k < shellOut.size(); ++k) {
        const float q = shellOut.data()[k] / step;
        ASSERT_NEAR(q, std::round(q), 1e-3f * twoPhaseSlack) << "scenario " << i;
      }

      EXPECT_EQ(cycles, derivedCycles(s)) << "scenario " << i;
      const std::uint64_t phases = s.signedInput ? 2 : 1;
      const ActionLedger& led = *m_ledgers[i];
      EXPECT_EQ(led.total(action::kDacConvert), s.vectors * phases * s.rows);
      EXPECT_EQ(led.total(action::kXbarCellRead), s.vectors * phases * s.rows * s.cols * 2ull);
      EXPECT_EQ(led.total(action::kAdcConvert), s.vectors * phases * s.cols);
    }
    m_finished = true;
    sc_core::sc_stop();
  }
  bool finished() const { return m_finished; }

 private:
  Clock m_clock;
  std::vector<Scenario> m_scenarios;
  std::vector<std::unique_ptr<ArrayCore>> m_cores;
  std::vector<std::unique_ptr<ActionLedger>> m_ledgers;
  std::vector<std::unique_ptr<ArrayModule>> m_arrays;
  bool m_finished = false;
};

TEST(CrossbarTileTb, ShellMatchesCoreAndCyclesMatchDerivation) {
  std::vector<Scenario> scenarios = {
      // ADC-bound: 128 columns over 8 ADCs = 16 conversions per vector, slower than the 10-cycle read.
      {makeParams(128, 128, 8, 1, 10, 8, 8, 1), 37, 128, 128, false},
      // Read-bound, signed inputs (two phases), partial array use, 2-cycle conversions, 32 ADCs.
      {makeParams(64, 64, 4, 2, 25, 6, 32, 2), 11, 50, 40, true},
  };
  TileBench bench("bench", scenarios);
  sc_core::sc_start();
  EXPECT_TRUE(bench.finished());
}

}  // namespace
}  // namespace mxsim
