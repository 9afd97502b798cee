// Testbench: the DAC and ADC SystemC shells (models/converters/dac_module.h, adc_module.h) driven with
// streams of input vectors, two parameter sets each (multibit vs bit-serial DAC, SAR 8-bit vs flash 4-bit
// ADC) plus a DAC → ADC pipeline. Checks (1) elapsed cycles equal the independent derivation (first output
// after perItem, then one per max(input interval, perItem)), (2) action counts dac.convert = n·rows·passes
// and adc.convert = n·cols·passes, (3) busy time = n·perItem, and (4) functional equivalence: the shell's
// core converts exactly like a core built from the same parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "models/converters/adc_module.h"
#include "models/converters/dac_module.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

// The shells keep their core protected; a probe exposes it for the equivalence check only.
class DacProbe : public DacModule {
 public:
  using DacModule::DacModule;
  const DacCore& core() const { return m_core; }
};
class AdcProbe : public AdcModule {
 public:
  using AdcModule::AdcModule;
  const AdcCore& core() const { return m_core; }
};

DacParams dacParams(int bits, int cycles, DacMode mode, SignedInputs si) {
  DacParams p;
  p.bits = bits;
  p.cycles = cycles;
  p.mode = mode;
  p.signedInputs = si;
  return p;
}

AdcParams adcParams(int bits, AdcType type, int perArray, double offSigma = 0, double gainSigma = 0,
                    double inl = 0) {
  AdcParams p;
  p.bits = bits;
  p.type = type;
  p.perArray = perArray;
  p.conversionCycles = 0;  // derive from type
  p.offsetSigmaLsb = offSigma;
  p.gainSigma = gainSigma;
  p.inlLsb = inl;
  return p;
}

// Independent derivations (from the parameters, not the cores).
std::uint64_t dacPasses(const DacParams& p, bool signedInput) {
  const std::uint64_t phases = (signedInput && p.signedInputs == SignedInputs::TwoPhase) ? 2 : 1;
  return phases * (p.mode == DacMode::BitSerial ? static_cast<std::uint64_t>(p.bits) : 1u);
}
std::uint64_t adcCyclesPerPass(const AdcParams& p, int cols) {
  const std::uint64_t conv = p.type == AdcType::Sar ? static_cast<std::uint64_t>(p.bits) + 1 : 1u;
  return static_cast<std::uint64_t>((cols + p.perArray - 1) / p.perArray) * conv;
}
/// One pipeline stage fed n items at `interval`: last output at perItem + (n − 1)·max(interval, perItem).
std::uint64_t stageCycles(std::uint64_t n, std::uint64_t perItem, std::uint64_t interval) {
  return n ? perItem + (n - 1) * std::max(interval, perItem) : 0;
}

constexpr double kClockHz = 1e9;

class ConvertersBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ConvertersBench);
  ConvertersBench(const sc_core::sc_module_name& n)
      : sc_module(n),
        m_clock(kClockHz),
        m_dacParams{dacParams(8, 2, DacMode::Multibit, SignedInputs::TwoPhase),
                    dacParams(4, 1, DacMode::BitSerial, SignedInputs::TwoPhase),
                    dacParams(6, 3, DacMode::BitSerial, SignedInputs::Offset)},
        m_adcParams{adcParams(8, AdcType::Sar, 8, 0.4, 0.01, 0.5), adcParams(4, AdcType::Flash, 16)} {
    for (size_t i = 0; i < m_dacParams.size(); ++i) {
      m_dacCores.push_back(std::make_unique<DacCore>(m_dacParams[i]));
      m_dacLedgers.push_back(std::make_unique<ActionLedger>());
      m_dacs.push_back(std::make_unique<DacProbe>(("dac" + std::to_string(i)).c_str(), *m_dacCores[i],
                                                  ShellContext{&m_clock, m_dacLedgers[i].get()}));
    }
    for (size_t i = 0; i < m_adcParams.size(); ++i) {
      m_adcCores.push_back(std::make_unique<AdcCore>(m_adcParams[i]));
      m_adcLedgers.push_back(std::make_unique<ActionLedger>());
      m_adcs.push_back(std::make_unique<AdcProbe>(("adc" + std::to_string(i)).c_str(), *m_adcCores[i],
                                                  ShellContext{&m_clock, m_adcLedgers[i].get()}));
    }
    // DAC → ADC pipeline of one bit-serial array (its own ledger).
    m_pipeDacCore = std::make_unique<DacCore>(m_dacParams[1]);
    m_pipeAdcCore = std::make_unique<AdcCore>(m_adcParams[1]);
    m_pipeDac = std::make_unique<DacModule>("pipe_dac", *m_pipeDacCore, ShellContext{&m_clock, &m_pipeLedger});
    m_pipeAdc = std::make_unique<AdcModule>("pipe_adc", *m_pipeAdcCore, ShellContext{&m_clock, &m_pipeLedger});
    SC_THREAD(drive);
  }

  /// Play `in` through a stage (already transformed to `out`), wait for its last item; return elapsed cycles.
  std::uint64_t finish(const sc_core::sc_time& start, const Stream& out) {
    if (out.count) sc_core::wait(out.last() - sc_core::sc_time_stamp());
    return m_clock.toCycles(sc_core::sc_time_stamp() - start);
  }
  Stream input(std::uint64_t n, std::uint64_t intervalCycles) const {
    return Stream{sc_core::sc_time_stamp(), n, m_clock.cycles(intervalCycles)};
  }

  void driveDacs() {
    const int rows = 100;
    for (size_t i = 0; i < m_dacs.size(); ++i) {
      const DacParams& p = m_dacParams[i];
      DacProbe& dac = *m_dacs[i];
      const ActionLedger& led = *m_dacLedgers[i];
      std::uint64_t expectConv = 0, expectBusy = 0;
      for (bool signedInput : {true, false}) {
        for (std::uint64_t interval : {0ull, 40ull}) {
          const std::uint64_t n = 37;
          const std::uint64_t perItem = dacPasses(p, signedInput) * static_cast<std::uint64_t>(p.cycles);
          const sc_core::sc_time start = sc_core::sc_time_stamp();
          const Stream out = dac.process(input(n, interval), rows, dac.core().passCount(signedInput));
          EXPECT_EQ(out.count, n);
          EXPECT_EQ(m_clock.toCycles(out.first - start), perItem) << "dac" << i;
          EXPECT_EQ(finish(start, out), stageCycles(n, perItem, interval))
              << "dac" << i << " signed=" << signedInput << " interval=" << interval;
          expectConv += n * rows * dacPasses(p, signedInput);
          expectBusy += n * perItem;
          EXPECT_EQ(led.total(action::kDacConvert), expectConv) << "dac" << i;
        }
      }
      // The old (rows, phases) interface still counts phases × rows and phases × cycles.
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const Stream out = dac.process(input(5, 0), rows, 2);
      EXPECT_EQ(finish(start, out), 5u * 2u * static_cast<std::uint64_t>(p.cycles)) << "dac" << i;
      expectConv += 5ull * rows * 2;
      expectBusy += 5ull * 2 * static_cast<std::uint64_t>(p.cycles);
      EXPECT_EQ(led.total(action::kDacConvert), expectConv) << "dac" << i;
      EXPECT_EQ(m_clock.toCycles(dac.busyTime()), expectBusy) << "dac" << i;

      // Functional equivalence: the shell's core is the given core and converts like a fresh one.
      EXPECT_EQ(&dac.core(), m_dacCores[i].get());
      const DacCore fresh(p);
      Rng rng(streamKey(41, {i}));
      RowMatrix x(7, rows);
      for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = static_cast<float>(2.4 * rng.uniform() - 1.2);
      for (bool signedInput : {true, false}) {
        RowMatrix a = x, b = x;
        dac.core().convert(a, signedInput);
        fresh.convert(b, signedInput);
        EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())), 0);
        std::vector<InputPass> pa, pb;
        dac.core().decompose(a, signedInput, pa);
        fresh.decompose(b, signedInput, pb);
        ASSERT_EQ(pa.size(), dacPasses(p, signedInput));
        ASSERT_EQ(pa.size(), pb.size());
        for (size_t k = 0; k < pa.size(); ++k) {
          EXPECT_TRUE(pa[k].x == pb[k].x);
          EXPECT_EQ(pa[k].weight, pb[k].weight);
        }
      }
    }
  }

  void driveAdcs() {
    const int cols = 128;
    for (size_t i = 0; i < m_adcs.size(); ++i) {
      const AdcParams& p = m_adcParams[i];
      AdcProbe& adc = *m_adcs[i];
      const ActionLedger& led = *m_adcLedgers[i];
      std::uint64_t expectConv = 0, expectBusy = 0;
      for (int passes : {1, 2, 8}) {
        for (std::uint64_t interval : {0ull, 1000ull}) {
          const std::uint64_t n = 23;
          const std::uint64_t perItem = adcCyclesPerPass(p, cols) * static_cast<std::uint64_t>(passes);
          const sc_core::sc_time start = sc_core::sc_time_stamp();
          const Stream out = adc.process(input(n, interval), cols, passes);
          EXPECT_EQ(m_clock.toCycles(out.first - start), perItem) << "adc" << i;
          EXPECT_EQ(finish(start, out), stageCycles(n, perItem, interval))
              << "adc" << i << " passes=" << passes << " interval=" << interval;
          expectConv += n * cols * static_cast<std::uint64_t>(passes);
          expectBusy += n * perItem;
          EXPECT_EQ(led.total(action::kAdcConvert), expectConv) << "adc" << i;
        }
      }
      EXPECT_EQ(m_clock.toCycles(adc.busyTime()), expectBusy) << "adc" << i;

      // Functional equivalence, ideal and with this array's drawn non-idealities.
      EXPECT_EQ(&adc.core(), m_adcCores[i].get());
      const AdcCore fresh(p);
      Rng rng(streamKey(42, {i}));
      RowMatrix partial(9, cols);
      for (Eigen::Index k = 0; k < partial.size(); ++k) {
        partial.data()[k] = static_cast<float>(60 * rng.uniform() - 30);
      }
      Rng ra(streamKey(43, {i})), rb(streamKey(43, {i}));
      const AdcInstance ia = adc.core().drawInstance(ra), ib = fresh.drawInstance(rb);
      for (const bool withInstance : {false, true}) {
        RowMatrix a = partial, b = partial;
        adc.core().convert(a, 25.0f, withInstance ? &ia : nullptr);
        fresh.convert(b, 25.0f, withInstance ? &ib : nullptr);
        EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())), 0)
            << "adc" << i << " instance=" << withInstance;
      }
    }
  }

  void drivePipeline() {
    // Bit-serial 4-bit DAC, signed two-phase inputs: 8 passes; flash ADC: ceil(40/16) = 3 conversions per
    // pass → 24 cycles per vector; the ADC is the bottleneck.
    const int rows = 64, cols = 40;
    const std::uint64_t n = 31;
    const std::uint64_t passes = dacPasses(m_dacParams[1], true);
    const std::uint64_t dacPer = passes * static_cast<std::uint64_t>(m_dacParams[1].cycles);
    const std::uint64_t adcPer = passes * adcCyclesPerPass(m_adcParams[1], cols);
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    const Stream s1 = m_pipeDac->process(input(n, 0), rows, m_pipeDacCore->passCount(true));
    const Stream s2 = m_pipeAdc->process(s1, cols, *m_pipeDacCore, true);
    EXPECT_EQ(finish(start, s2), dacPer + adcPer + (n - 1) * std::max(dacPer, adcPer));
    EXPECT_EQ(m_pipeLedger.total(action::kDacConvert), n * rows * passes);
    EXPECT_EQ(m_pipeLedger.total(action::kAdcConvert), n * cols * passes);
  }

  void drive() {
    driveDacs();
    driveAdcs();
    drivePipeline();
    m_finished = true;
    sc_core::sc_stop();
  }
  bool finished() const { return m_finished; }

 private:
  Clock m_clock;
  std::vector<DacParams> m_dacParams;
  std::vector<AdcParams> m_adcParams;
  std::vector<std::unique_ptr<DacCore>> m_dacCores;
  std::vector<std::unique_ptr<AdcCore>> m_adcCores;
  std::vector<std::unique_ptr<ActionLedger>> m_dacLedgers, m_adcLedgers;
  std::vector<std::unique_ptr<DacProbe>> m_dacs;
  std::vector<std::unique_ptr<AdcProbe>> m_adcs;
  std::unique_ptr<DacCore> m_pipeDacCore;
  std::unique_ptr<AdcCore> m_pipeAdcCore;
  ActionLedger m_pipeLedger;
  std::unique_ptr<DacModule> m_pipeDac;
  std::unique_ptr<AdcModule> m_pipeAdc;
  bool m_finished = false;
};

TEST(ConvertersTb, StreamsMatchDerivationActionsAndCores) {
  ConvertersBench bench("bench");
  sc_core::sc_start();
  EXPECT_TRUE(bench.finished());
}

}  // namespace
}  // namespace mxsim
