// Testbench: the denoiser engine shell (models/denoiser/denoiser_module.h) driven from SystemC threads.
// Checks, for engines of P = 4 and P = 16 cores (own clocks of 500 MHz and 1 GHz) and a GRNG-bound engine, in
// mean and sample mode: (1) the elapsed engine cycles of a block run equal the derivation (stated here
// independently of the core, with hand-computed anchors), (2) the shell's y equals the functional core's,
// (3) the ledger's action counts equal the derivation, (4) every core's recorded busy cycles equal its share
// of the derivation and every GRNG unit's its samples' cycles, (5) two threads sharing one engine are served
// one after the other.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/denoiser/denoiser_module.h"
#include "sim/core/rng.h"
#include "tests/support/statistics.h"

namespace mxsim {
namespace {

using U = std::uint64_t;
U cdiv(U a, U b) {
  return (a + b - 1) / b;
}

// ---------------------------------------------------------------------------------------------------
// Independent statement of the engine's rules (docs/denoiser.md), not calling DenoiserCore.

struct Derived {
  U cycles = 0;
  std::map<std::string, U> actions;
  std::vector<U> coreBusy;  // per core, one image
  std::vector<U> grngBusy;  // per GRNG unit, one image
};

Derived derive(const DenoiserParams& p, const DenoiserBlockShape& s) {
  const U C = s.channels, H = s.height, W = s.width, R = s.reducedChannels, P = p.cores, K = p.macsPerCore;
  const bool sample = s.mode == DenoiserMode::Sample;
  // Conv k×k, Cin → Cout, split by output channel: ceil(Cout/P) · H·W · ceil(Cin·k²/K).
  struct Conv {
    U cin, cout, k;
  };
  std::vector<Conv> convs = {{C, R, 1}, {R, R, 3}, {R, C, 1}};
  if (sample) convs.push_back({R, C, 1});
  Derived d;
  d.coreBusy.assign(P, 0);
  U issue = 0;
  for (const Conv& c : convs) {
    const U perValue = cdiv(c.cin * c.k * c.k, K);
    issue += cdiv(c.cout, P) * H * W * perValue;
    for (U core = 0; core < P; ++core) {
      U owned = 0;  // output channels core, core + P, … below cout
      for (U ch = core; ch < c.cout; ch += P) ++owned;
      d.coreBusy[core] += owned * H * W * perValue;
    }
  }
  const U chain = issue + p.pipelineDepth;
  if (!sample) {
    d.cycles = chain + p.subtractLatency;
  } else {
    // G units in parallel; unit u emits floor(n/G) (+1 for the first n mod G units); cycles of one unit:
    // latency + ceil(samples / samples_per_cycle) − 1.
    const U n = C * H * W, G = p.grngUnits;
    U grng = 0;
    for (U u = 0; u < G; ++u) {
      const U mine = n / G + (u < n % G ? 1 : 0);
      const U cyc = mine ? p.grng.pipelineLatency + cdiv(mine, p.grng.samplesPerCycle) - 1 : 0;
      d.grngBusy.push_back(cyc);
      grng = std::max(grng, cyc);
    }
    d.cycles = std::max(chain + p.expLatency, grng) + 1 + p.subtractLatency;
  }
  // Actions.
  const U heads = sample ? 2 : 1;
  const U macs = H * W * (C * R + 9 * R * R + heads * C * R);
  const U taps = (H == 1 ? 1 : 3 * H - 2) * (W == 1 ? 1 : 3 * W - 2);
  d.actions[action::kDenoiserMac] = macs;
  // Weights stationary per row: every weight and bias of the convs that run is read once per row.
  d.actions[action::kDenoiserWeightReadBit] =
      H * ((C * R + 9 * R * R + heads * C * R) * p.weightBits + (2 * R + heads * C) * p.biasBits);
  d.actions[action::kDenoiserLineBufferBit] =
      p.activationBits * (2 * R * H * W + cdiv(R, P) * R * taps + heads * cdiv(C, P) * H * W * R);
  d.actions[action::kDenoiserSubtract] = C * H * W;
  d.actions[action::kDenoiserExp] = sample ? C * H * W : 0;
  d.actions[action::kGrngSample] = sample ? C * H * W : 0;
  return d;
}

DenoiserWeights randomWeights(const DenoiserBlockShape& s, std::uint64_t seed) {
  const int C = s.channels, R = s.reducedChannels;
  DenoiserWeights w;
  w.reduce = testing::randomWeights(R, C, streamKey(seed, {1})) / std::sqrt(float(C));
  w.reduceBias = testing::randomWeights(R, 1, streamKey(seed, {2})).col(0) * 0.1f;
  w.conv3x3 = testing::randomWeights(R, 9 * R, streamKey(seed, {3})) / std::sqrt(9.0f * R);
  w.conv3x3Bias = testing::randomWeights(R, 1, streamKey(seed, {4})).col(0) * 0.1f;
  w.mean = testing::randomWeights(C, R, streamKey(seed, {5})) / std::sqrt(float(R));
  w.meanBias = testing::randomWeights(C, 1, streamKey(seed, {6})).col(0) * 0.1f;
  w.logVar = testing::randomWeights(C, R, streamKey(seed, {7})) / std::sqrt(float(R));
  w.logVarBias = Eigen::VectorXf::Constant(C, -2.0f);
  return w;
}

struct Engine {
  std::string name;
  DenoiserParams params;
  std::vector<DenoiserBlockShape> blocks;
  // Hand-computed block cycles of the first block (anchors the derivation itself).
  U anchorCycles;
};

DenoiserParams engineParams(int cores, double hz, int grngUnits = 2, int samplesPerCycle = 2) {
  DenoiserParams p;
  p.cores = cores;
  p.macsPerCore = 9;
  p.clockHz = hz;
  p.grngUnits = grngUnits;
  p.grng.samplesPerCycle = samplesPerCycle;
  p.grng.pipelineLatency = 10;
  p.pipelineDepth = 6;
  p.expLatency = 4;
  p.subtractLatency = 1;
  return p;
}

constexpr U kImages = 2;

class DenoiserBench : public sc_core::sc_module {
 public:
  DenoiserBench(const sc_core::sc_module_name& n, std::vector<Engine> engines)
      : sc_module(n), m_engines(std::move(engines)) {
    for (std::size_t i = 0; i < m_engines.size(); ++i) {
      m_cores.push_back(std::make_unique<DenoiserCore>(m_engines[i].params));
      m_ledgers.push_back(std::make_unique<ActionLedger>());
      m_modules.push_back(std::make_unique<DenoiserModule>(m_engines[i].name.c_str(), *m_cores[i],
                                                           ShellContext{nullptr, m_ledgers[i].get()}));
      m_modules[i]->recordBusy(true);
      sc_core::sc_spawn([this, i] { drive(i); });
    }
    // Contention: two threads start one block each at t = 0 on a shared P = 4 engine.
    m_shared = std::make_unique<DenoiserCore>(engineParams(4, 1e9));
    m_sharedModule = std::make_unique<DenoiserModule>("shared", *m_shared, ShellContext{nullptr, &m_sharedLedger});
    for (int k = 0; k < 2; ++k) sc_core::sc_spawn([this, k] { contend(k); });
  }

  void drive(std::size_t i) {
    const Engine& e = m_engines[i];
    DenoiserModule& mod = *m_modules[i];
    const DenoiserCore& core = *m_cores[i];
    ActionLedger& ledger = *m_ledgers[i];
    EXPECT_DOUBLE_EQ(mod.engineClock().hz(), e.params.clockHz) << e.name << ": the engine runs on its own clock";
    for (std::size_t b = 0; b < e.blocks.size(); ++b) {
      const DenoiserBlockShape& s = e.blocks[b];
      const std::string what = e.name + " block " + std::to_string(b) + " (" + modeName(s.mode) + ")";
      const Derived d = derive(e.params, s);
      if (b == 0) {
        EXPECT_EQ(d.cycles, e.anchorCycles) << what << ": derivation vs hand-computed anchor";
      }

      const DenoiserWeights w = randomWeights(s, 100 + b);
      const RowMatrix x = testing::randomWeights(int(kImages), int(s.elements()), streamKey(200 + b, {i}));
      std::vector<std::uint64_t> keys;
      for (U n = 0; n < kImages; ++n) keys.push_back(streamKey(300 + b, {n}));
      const RowMatrix eps = drawEpsilon(e.params.grng, keys, Eigen::Index(s.elements()));

      const std::map<std::string, std::map<std::string, U>> before = ledger.counts();
      const std::size_t intervalsBefore = mod.busyIntervals().size();
      RowMatrix yShell, yCore;
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const DenoiserTiming t = mod.runBlock(s, x, w, &eps, yShell);
      const sc_core::sc_time elapsed = sc_core::sc_time_stamp() - start;

      // (1) cycles
      EXPECT_EQ(t.blockCycles, d.cycles) << what;
      EXPECT_EQ(mod.engineClock().toCycles(elapsed), kImages * d.cycles) << what;
      EXPECT_EQ(elapsed, sc_core::sc_time(double(kImages * d.cycles) / e.params.clockHz, sc_core::SC_SEC)) << what;

      // (2) data
      core.run(s, x, w, &eps, yCore);
      ASSERT_EQ(yShell.rows(), yCore.rows());
      ASSERT_EQ(yShell.cols(), yCore.cols());
      EXPECT_EQ(std::memcmp(yShell.data(), yCore.data(), sizeof(float) * yCore.size()), 0) << what;

      // (3) actions of this call: ledger totals after minus before
      for (const auto& [act, n] : d.actions) {
        const U now = ledger.total(act);
        U was = 0;
        for (const auto& [scope, m] : before) {
          auto it = m.find(act);
          if (it != m.end()) was += it->second;
        }
        EXPECT_EQ(now - was, kImages * n) << what << ": " << act;
      }

      // (4) busy intervals
      std::vector<U> coreBusy(e.params.cores, 0), grngBusy(e.params.grngUnits, 0);
      const auto& iv = mod.busyIntervals();
      for (std::size_t k = intervalsBefore; k < iv.size(); ++k) {
        EXPECT_GE(iv[k].start, start) << what;
        EXPECT_LE(iv[k].end, sc_core::sc_time_stamp()) << what;
        const U cyc = mod.engineClock().toCycles(iv[k].end - iv[k].start);
        (iv[k].unit == DenoiserModule::Unit::Core ? coreBusy : grngBusy)[iv[k].index] += cyc;
      }
      for (int c = 0; c < e.params.cores; ++c) EXPECT_EQ(coreBusy[c], kImages * d.coreBusy[c]) << what << " core " << c;
      for (int g = 0; g < e.params.grngUnits; ++g) {
        EXPECT_EQ(grngBusy[g], s.mode == DenoiserMode::Sample ? kImages * d.grngBusy[g] : 0) << what << " grng " << g;
      }
    }
    EXPECT_EQ(mod.blocksRun(), kImages * e.blocks.size());
    ++m_finished;
  }

  void contend(int k) {
    DenoiserBlockShape s{32, 8, 8, 8, k == 0 ? DenoiserMode::Mean : DenoiserMode::Sample};
    m_sharedModule->runBlock(s);
    m_finish[k] = sc_core::sc_time_stamp();
    ++m_finished;
  }

  void check() const {
    EXPECT_EQ(m_finished, m_engines.size() + 2) << "every driver thread ran to completion";
    // P = 4 at 1 GHz: mean block 2055 cycles, sample block 2572 (hand-computed in the test below).
    const sc_core::sc_time mean(2055, sc_core::SC_NS), sample(2572, sc_core::SC_NS);
    const sc_core::sc_time first = std::min(m_finish[0], m_finish[1]), last = std::max(m_finish[0], m_finish[1]);
    EXPECT_TRUE(first == mean || first == sample) << first;
    EXPECT_EQ(last, mean + sample) << "the second block starts when the first ends";
    EXPECT_EQ(m_sharedLedger.total(action::kGrngSample), 32u * 8 * 8) << "only the sample block draws";
  }

 private:
  std::vector<Engine> m_engines;
  std::vector<std::unique_ptr<DenoiserCore>> m_cores;
  std::vector<std::unique_ptr<ActionLedger>> m_ledgers;
  std::vector<std::unique_ptr<DenoiserModule>> m_modules;
  std::unique_ptr<DenoiserCore> m_shared;
  ActionLedger m_sharedLedger;
  std::unique_ptr<DenoiserModule> m_sharedModule;
  sc_core::sc_time m_finish[2];
  std::size_t m_finished = 0;
};

TEST(DenoiserTb, CyclesActionsAndDataMatchDerivation) {
  // Block A: C = 32, H = W = 8, Cr = 8 (r = 4). Per conv (K = 9):
  //   P = 4:  reduce ceil(8/4)·64·ceil(32/9) = 2·64·4 = 512, 3×3 2·64·ceil(72/9) = 1024,
  //           μ ceil(32/4)·64·ceil(8/9) = 512, logσ² 512.
  //           mean   = 512 + 1024 + 512 + 6 (pipeline) + 1 (subtract)                  = 2055
  //           sample = max(2560 + 6 + 4 (exp), GRNG 10 + ceil(1024/2) − 1 = 521) + 1 + 1 = 2572
  //   P = 16: reduce 1·64·4 = 256, 3×3 1·64·8 = 512, μ 2·64·1 = 128, logσ² 128.
  //           mean   = 896 + 6 + 1                                   = 903
  //           sample = max(1024 + 6 + 4, 521) + 2                    = 1036
  //   P = 16, one GRNG unit at 1 sample/cycle: GRNG 10 + 2048 − 1 = 2057 > 1034, sample = 2057 + 2 = 2059.
  // Block B (C = 20, H = 5, W = 7, Cr = 6) exercises the ceilings with P ∤ Cout and K ∤ Cin·k².
  const DenoiserBlockShape aMean{32, 8, 8, 8, DenoiserMode::Mean}, aSample{32, 8, 8, 8, DenoiserMode::Sample};
  const DenoiserBlockShape bMean{20, 5, 7, 6, DenoiserMode::Mean}, bSample{20, 5, 7, 6, DenoiserMode::Sample};
  std::vector<Engine> engines = {
      {"p4_mean_first", engineParams(4, 500e6), {aMean, aSample, bSample, bMean}, 2055},
      {"p4_sample_first", engineParams(4, 500e6), {aSample, bMean}, 2572},
      {"p16_mean_first", engineParams(16, 1e9), {aMean, aSample, bMean, bSample}, 903},
      {"p16_sample_first", engineParams(16, 1e9), {aSample}, 1036},
      {"p16_grng_bound", engineParams(16, 1e9, 1, 1), {aSample, bSample}, 2059},
  };
  DenoiserBench bench("bench", engines);
  sc_core::sc_start();
  bench.check();
}

}  // namespace
}  // namespace mxsim
