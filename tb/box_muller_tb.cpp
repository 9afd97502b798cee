// Testbench: a Box-Muller GRNG (models/noise/grng_module.h) driven from an SC_THREAD.
// Checks (1) the shell's samples equal the functional core's for the same seed, also across calls (the
// stream continues, an odd call keeps its spare sample), (2) elapsed cycles per call equal
// pipeline_latency + ceil(n / samples_per_cycle) − 1 for two parameter sets, (3) grng.sample counts equal n.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include <systemc>

#include "models/noise/grng_module.h"
#include "sim/core/rng.h"

namespace mxsim {
namespace {

struct Scenario {
  int latency;
  int samplesPerCycle;
  std::vector<std::size_t> calls;  // sample counts of successive generate() calls
  std::uint64_t seed;
};

GrngParams paramsOf(const Scenario& s) {
  GrngParams p;
  p.pipelineLatency = s.latency;
  p.samplesPerCycle = s.samplesPerCycle;
  return p;
}

// Independent statement of the cycle rule.
std::uint64_t derivedCycles(const Scenario& s, std::size_t n) {
  if (n == 0) return 0;
  const std::size_t beats = (n + s.samplesPerCycle - 1) / s.samplesPerCycle;
  return static_cast<std::uint64_t>(s.latency) + beats - 1;
}

class GrngBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(GrngBench);
  GrngBench(const sc_core::sc_module_name& n, std::vector<Scenario> scenarios)
      : sc_module(n), m_clock(1e9), m_scenarios(std::move(scenarios)) {
    for (std::size_t i = 0; i < m_scenarios.size(); ++i) {
      const Scenario& s = m_scenarios[i];
      m_cores.push_back(std::make_unique<BoxMullerCore>(paramsOf(s), streamKey(s.seed, {i})));
      m_ledgers.push_back(std::make_unique<ActionLedger>());
      m_grngs.push_back(std::make_unique<GrngModule>(("grng" + std::to_string(i)).c_str(), *m_cores[i],
                                                     ShellContext{&m_clock, m_ledgers[i].get()}));
    }
    SC_THREAD(drive);
  }

  void drive() {
    for (std::size_t i = 0; i < m_scenarios.size(); ++i) {
      const Scenario& s = m_scenarios[i];
      BoxMullerCore reference(paramsOf(s), streamKey(s.seed, {i}));
      std::size_t total = 0;
      std::uint64_t totalCycles = 0;
      for (std::size_t n : s.calls) {
        std::vector<float> shellOut(n), coreOut(n);
        const sc_core::sc_time start = sc_core::sc_time_stamp();
        m_grngs[i]->generate(shellOut.data(), n);
        const std::uint64_t cycles = m_clock.toCycles(sc_core::sc_time_stamp() - start);
        reference.generate(coreOut.data(), n);
        EXPECT_EQ(std::memcmp(shellOut.data(), coreOut.data(), n * sizeof(float)), 0)
            << "scenario " << i << ": shell and core samples differ in the call of " << n;
        EXPECT_EQ(cycles, derivedCycles(s, n)) << "scenario " << i << ", call of " << n;
        total += n;
        totalCycles += derivedCycles(s, n);
      }
      EXPECT_EQ(m_ledgers[i]->total(action::kGrngSample), total) << "scenario " << i;
      EXPECT_EQ(m_clock.toCycles(m_grngs[i]->busyTime()), totalCycles) << "scenario " << i;
    }
    m_finished = true;
    sc_core::sc_stop();
  }
  bool finished() const { return m_finished; }

 private:
  Clock m_clock;
  std::vector<Scenario> m_scenarios;
  std::vector<std::unique_ptr<BoxMullerCore>> m_cores;
  std::vector<std::unique_ptr<ActionLedger>> m_ledgers;
  std::vector<std::unique_ptr<GrngModule>> m_grngs;
  bool m_finished = false;
};

TEST(GrngTb, ShellMatchesCoreAndCyclesMatchDerivation) {
  const std::vector<Scenario> scenarios = {
      // Two samples per cycle (both Box-Muller outputs), latency 6: 1000 → 6 + 500 − 1 = 505 cycles;
      // odd calls (of 7 and 1) split an evaluation's pair across calls.
      {6, 2, {1000, 7, 1, 4096}, 11},
      // One sample per cycle, latency 12: 1000 → 12 + 1000 − 1 = 1011 cycles.
      {12, 1, {1000, 333, 1}, 12},
  };
  GrngBench bench("bench", scenarios);
  sc_core::sc_start();
  EXPECT_TRUE(bench.finished());
}

}  // namespace
}  // namespace mxsim
