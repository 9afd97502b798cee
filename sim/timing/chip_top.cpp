#include "sim/timing/chip_top.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "sim/core/error.h"
#include "sim/timing/dataflow.h"

namespace mxsim {


ChipTop::ChipTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
                 const Mapping& mapping, const std::vector<bool>& signedInputs, const Clock& clock,
                 ActionLedger& ledger, ActivityLog* activity)
    : sc_module(name),
      m_program(program),
      m_chip(chip),
      m_mapping(mapping),
      m_signed(signedInputs),
      m_clock(clock),
      m_ledger(ledger),
      m_activity(activity && activity->enabled() ? activity : nullptr),
      m_arrayCore(chip.array, chip.deviceNoise),
      m_sramCore(chip.sram),
      m_digitalCore(chip.digital),
      m_nocCore(chip.noc, chip.tiles),
      m_inBufCore(chip.tile.inputBufferBytes, chip.tile.bufferWordBits),
      m_outBufCore(chip.tile.outputBufferBytes, chip.tile.bufferWordBits),
      m_sram("global_buffer", m_sramCore, {&clock, &ledger}),
      m_digital("digital", m_digitalCore, {&clock, &ledger}),
      m_noc("noc", m_nocCore, {&clock, &ledger}) {
  const ShellContext ctx{&clock, &ledger};
  m_arrays.reserve(static_cast<std::size_t>(chip.totalArrays()));
  for (int t = 0; t < chip.tiles; ++t) {
    // The tile is a module and its buffers and arrays are its children (chip.tile<t>.array<a>): built inside it.
    m_tiles.push_back(std::make_unique<TileModule>(fmt::format("tile{}", t).c_str(), t, [&] {
      m_inBuf.push_back(std::make_unique<TileBufferModule>("in_buffer", m_inBufCore, ctx));
      m_outBuf.push_back(std::make_unique<TileBufferModule>("out_buffer", m_outBufCore, ctx));
      m_outBuf.back()->pricedAs(action::kOutputBufferReadBit, action::kOutputBufferWriteBit);
      for (int a = 0; a < chip.arraysPerTile; ++a)
        m_arrays.push_back(std::make_unique<ArrayModule>(fmt::format("array{}", a).c_str(), m_arrayCore, ctx));
    }));
  }
  m_denoiserCore = makeDenoiserEngine(program, chip, m_blockFirstStep);
  if (m_denoiserCore)
    m_denoiser = std::make_unique<DenoiserModule>("denoiser", *m_denoiserCore, ShellContext{nullptr, &ledger});

  if (m_activity) {
    m_sram.trace(m_activity, "chip.global_buffer", "global_buffer");
    m_digital.trace(m_activity, "chip.digital", "digital");
    for (int t = 0; t < chip.tiles; ++t) {
      m_inBuf[static_cast<std::size_t>(t)]->trace(m_activity, fmt::format("chip.tile{}.in_buffer", t), "tile_buffer");
      m_outBuf[static_cast<std::size_t>(t)]->trace(m_activity, fmt::format("chip.tile{}.out_buffer", t),
                                                   "tile_buffer");
      for (int a = 0; a < chip.arraysPerTile; ++a)
        m_arrays[static_cast<std::size_t>(t * chip.arraysPerTile + a)]->trace(
            m_activity, fmt::format("chip.tile{}.array{}", t, a));
    }
    for (int l = 0; l < m_nocCore.linkCount(); ++l)
      m_nocSignals.push_back(m_activity->signal("chip.noc." + m_nocCore.linkName(l), "link"));
    m_noc.setIntervalObserver([this](const NocInterval& iv) {
      m_activity->busy(m_nocSignals[static_cast<std::size_t>(iv.link)],
                       m_clock.cycles(iv.startCycle).to_seconds(), m_clock.cycles(iv.endCycle).to_seconds());
    });
    if (m_denoiser) {
      for (int c = 0; c < chip.denoiser.cores; ++c) m_activity->signal(fmt::format("chip.denoiser.core{}", c), "denoiser_core");
      for (int g = 0; g < chip.denoiser.grngUnits; ++g) m_activity->signal(fmt::format("chip.denoiser.grng{}", g), "grng");
      m_denoiser->onBusy([this](const DenoiserModule::BusyInterval& b) {
        const bool core = b.unit == DenoiserModule::Unit::Core;
        const int id = m_activity->signal(fmt::format("chip.denoiser.{}{}", core ? "core" : "grng", b.index),
                                          core ? "denoiser_core" : "grng");
        m_activity->busy(id, b.start.to_seconds(), b.end.to_seconds());
      });
    }
  }

  SC_THREAD(controller);
}

std::vector<ComponentActivity> ChipTop::componentActivity() const {
  std::map<std::string, ComponentActivity> by;
  auto add = [&](const std::string& kind, double busy, double stall, int instances = 1) {
    ComponentActivity& c = by[kind];
    c.kind = kind;
    c.instances += instances;
    c.busySeconds += busy;
    c.stallSeconds += stall;
  };
  std::set<int> used;
  for (const LayerMapping& lm : m_mapping.layers)
    for (int r = 0; r < lm.replicas; ++r)
      for (std::size_t i = 0; i < lm.blocks.size(); ++i) used.insert(lm.replicaBlock(r, i).arrayIndex);
  for (int a : used) {
    const ArrayModule& m = *m_arrays[static_cast<std::size_t>(a)];
    add("array", m.busyTime().to_seconds(), 0);
    add("dac", m.dacBusyTime().to_seconds(), 0);
    add("adc", m.adcBusyTime().to_seconds(), 0);
  }
  add("global_buffer", m_sram.busyTime().to_seconds(), m_sram.stallTime().to_seconds());
  for (std::size_t t = 0; t < m_inBuf.size(); ++t) {
    add("tile_buffer", m_inBuf[t]->busyTime().to_seconds(), m_inBuf[t]->stallTime().to_seconds());
    add("tile_buffer", m_outBuf[t]->busyTime().to_seconds(), m_outBuf[t]->stallTime().to_seconds());
  }
  add("digital", m_digital.busyTime().to_seconds(), m_digital.stallTime().to_seconds());
  for (int l = 0; l < m_nocCore.linkCount(); ++l) add("link", m_noc.linkBusyTime(l).to_seconds(), 0);
  by["link"].stallSeconds = m_clock.cycles(m_nocStallCycles).to_seconds();
  if (m_denoiser) add("denoiser", m_denoiser->busyTime().to_seconds(), m_denoiser->stallTime().to_seconds());
  std::vector<ComponentActivity> out;
  for (auto& [k, c] : by) out.push_back(c);
  return out;
}

// ---- the schedule ----

void ChipTop::controller() {
  m_ledger.setScopeResolver([this]() -> std::string {
    const auto* proc = sc_core::sc_get_current_process_handle().get_process_object();
    const auto it = m_scopeOf.find(proc);
    return it == m_scopeOf.end() ? m_ledger.scope() : it->second;
  });
  const auto ioBits = [this](int buffer) {  // a graph input/output crossing the chip's links (chip.io)
    return m_chip.io.links > 0 ? static_cast<std::uint64_t>(wl::numel(m_program.buffers[static_cast<std::size_t>(buffer)])) *
                                     static_cast<std::uint64_t>(m_chip.sram.activationBits)
                               : 0;
  };
  {
    int round = -1;
    for (std::size_t s = 0; s < m_program.steps.size(); ++s) {
      if (s == 0) {
        m_ledger.setScope(m_program.steps[s].name);
        m_ledger.add(action::kIoBit, ioBits(m_program.input));
      }
      const int layer = m_mapping.layerOfStep[s];
      if (layer >= 0 && m_mapping.timeMultiplexed() && m_mapping.layers[static_cast<std::size_t>(layer)].round != round) {
        round = m_mapping.layers[static_cast<std::size_t>(layer)].round;
        reprogram(round);
      }
      LayerTiming lt{m_program.steps[s].name, m_program.steps[s].op, m_clock.toCycles(sc_core::sc_time_stamp()), 0, 0,
                     static_cast<int>(s)};
      executeStep(s, lt);
      lt.cycles = m_clock.toCycles(sc_core::sc_time_stamp()) - lt.startCycle;
      m_layers.push_back(lt);
    }
  }
  if (!m_program.steps.empty()) {
    m_ledger.setScope(m_program.steps.back().name);
    m_ledger.add(action::kIoBit, ioBits(m_program.output));
  }
  m_totalCycles = m_clock.toCycles(sc_core::sc_time_stamp());
  // No sc_stop(): with no clock ticking, sc_start() returns once the last event has fired.
}

void ChipTop::executeStep(std::size_t s, LayerTiming& lt) {
  const wl::Step& step = m_program.steps[s];
  m_ledger.setScope(step.name);
  if (step.kind == wl::StepKind::Reshape) return;  // a view: no data moves
  if (step.unit() == wl::Unit::Denoiser) {
    runDenoiser(s);
    return;
  }
  const auto actBits = static_cast<std::uint64_t>(m_chip.sram.activationBits);
  std::uint64_t inBits = 0;
  for (int b : step.inputs) inBits += static_cast<std::uint64_t>(wl::numel(m_program.buffers[static_cast<std::size_t>(b)])) * actBits;
  m_sram.read(inBits);
  // What does not fit is written out to DRAM and read back (SramCore::spillTrafficBits).
  if (m_mapping.spillBitsOfStep[s]) m_sram.spill(2 * m_mapping.spillBitsOfStep[s]);
  const int l = m_mapping.layerOfStep[s];
  if (l >= 0) {
    const LayerMapping& lm = m_mapping.layers[static_cast<std::size_t>(l)];
    runAnalog(step, lm, m_signed.at(static_cast<std::size_t>(l)));
    lt.arrays = lm.arrays();
    lt.round = lm.round;
  } else {
    const wl::DigitalWork w = step.digitalWork();
    const DigitalActions a = digitalActionsOf(step);
    if (w.adds || w.ops) m_digital.run(w.adds, w.ops, a.add, a.op);
  }
  m_sram.write(static_cast<std::uint64_t>(wl::numel(step.outShape)) * actBits);
}

void ChipTop::runAnalog(const wl::Step& step, const LayerMapping& lm, bool signedInput) {
  const auto passes = static_cast<std::uint64_t>(m_arrayCore.dac().passCount(signedInput));
  const auto vectors = static_cast<std::uint64_t>(step.vectorsPerImage());
  const auto actBits = static_cast<std::uint64_t>(m_chip.sram.activationBits);
  const auto inBits = static_cast<std::uint64_t>(wl::numel(step.inShape)) * actBits;
  struct Job {
    ArrayModule* array;
    std::uint64_t vectors;
    ArrayBlock block;
    int replica;
  };
  std::map<int, std::vector<Job>> byTile;
  for (int r = 0; r < lm.replicas; ++r) {
    const std::uint64_t share = lm.copyVectors(vectors, r);  // copies split the layer's vectors
    for (std::size_t i = 0; i < lm.blocks.size(); ++i) {
      const ArrayBlock& b = lm.replicaBlock(r, static_cast<std::size_t>(i));
      byTile[b.tile].push_back(Job{m_arrays[static_cast<std::size_t>(b.arrayIndex)].get(), share, b, r});
    }
  }
  // The layer input goes from the global buffer to every tile that holds a block of the layer.
  std::vector<int> nodes;
  for (const auto& [t, jobs] : byTile) nodes.push_back(NocCore::tileNode(t));
  const NocDelivery in = m_noc.multicast(NocCore::kGlobalBufferNode, nodes, inBits);
  int maxHops = 0;
  for (int node : nodes) maxHops = std::max(maxHops, m_nocCore.hops(NocCore::kGlobalBufferNode, node));
  m_nocStallCycles += in.cycles() - std::min(in.cycles(), m_nocCore.transferCycles(inBits, maxHops));
  const std::string scope = step.name;
  const auto psumBits = static_cast<std::uint64_t>(m_chip.tile.partialSumBits);
  sc_core::sc_event_and_list tilesDone;
  std::vector<sc_core::sc_process_handle> tiles;
  for (const auto& [tile, jobsRef] : byTile) {
    const int t = tile;
    const std::vector<Job> jobs = jobsRef;
    tiles.push_back(spawnIn(scope, [this, t, jobs, inBits, psumBits, signedInput, scope] {
      TileBufferModule& ib = *m_inBuf[static_cast<std::size_t>(t)];
      TileBufferModule& ob = *m_outBuf[static_cast<std::size_t>(t)];
      ib.write(inBits);
      // The arrays stream in parallel while the input buffer feeds them: each distinct row range is read
      // once per vector (arrays on the same rows share the read) at the activation width.
      std::set<std::tuple<int, int, int>> rowRanges;  // (copy, first row, rows): copies read their own vectors
      std::uint64_t feedBits = 0, outBits = 0;
      for (const Job& j : jobs) {
        if (rowRanges.insert({j.replica, j.block.rowStart, j.block.rows}).second)
          feedBits += j.vectors * static_cast<std::uint64_t>(j.block.rows) * static_cast<std::uint64_t>(m_chip.sram.activationBits);
        // Shift-and-add in the tile merges slices and passes: one partial sum per column per vector.
        if (j.block.slice == 0) outBits += j.vectors * static_cast<std::uint64_t>(j.block.cols) * psumBits;
      }
      sc_core::sc_event_and_list done;
      std::vector<sc_core::sc_process_handle> procs;
      for (const Job& j : jobs) {
        procs.push_back(
            spawnIn(scope, [j, signedInput] { j.array->stream(j.vectors, j.block.rows, j.block.cols, signedInput); }));
        done &= procs.back().terminated_event();
      }
      procs.push_back(spawnIn(scope, [&ib, feedBits] { ib.read(feedBits); }));
      done &= procs.back().terminated_event();
      sc_core::wait(done);
      ob.write(outBits);
      ob.read(outBits);
      if (m_chip.tile.outputRegisterBytes > 0) {  // the tile's output register holds the merged outputs
        m_ledger.add(action::kOutputRegisterWriteBit, outBits);
        m_ledger.add(action::kOutputRegisterReadBit, outBits);
      }
      const NocDelivery back = m_noc.transfer(NocCore::tileNode(t), NocCore::kGlobalBufferNode, outBits);
      const std::uint64_t alone =
          m_nocCore.transferCycles(outBits, m_nocCore.hops(NocCore::tileNode(t), NocCore::kGlobalBufferNode));
      m_nocStallCycles += back.cycles() - std::min(back.cycles(), alone);
    }));
    tilesDone &= tiles.back().terminated_event();
  }
  if (!tiles.empty()) sc_core::wait(tilesDone);
  // Slices and passes were merged by each tile's shift-and-add (energy counted here, time inside the tile's
  // array pipeline); the digital unit accumulates the row blocks' partial sums into one sum per output (each
  // output column sums the row blocks of its pack), then rescales and adds the bias (plus the offset term
  // for offset-coded inputs).
  const bool offset = m_arrayCore.dac().offsetScale(signedInput) != 0.0f;
  std::uint64_t adds = 0, shiftAdds = 0;
  for (const Pack& p : lm.packs) {
    const auto cols = vectors * static_cast<std::uint64_t>(p.cols);
    adds += cols * (static_cast<std::uint64_t>(p.rowBlocks) - 1 + (offset ? 1 : 0));
    shiftAdds += cols * static_cast<std::uint64_t>(p.rowBlocks) * (static_cast<std::uint64_t>(lm.slices) * passes - 1);
  }
  m_ledger.add(action::kDigitalAdd, shiftAdds);
  const auto outs = vectors * static_cast<std::uint64_t>(step.weight.cols());
  m_digital.run(adds, 2 * outs, action::kAccumulatorAdd, action::kDigitalOp);
}

void ChipTop::runDenoiser(std::size_t s) {
  const wl::Step& step = m_program.steps[s];
  // The whole block runs on the engine when its first step comes; its other steps take no time.
  if (m_blockFirstStep.at(step.denoiserBlock) != s) return;
  const DenoiserBlockShape shape = denoiserBlockShape(m_program, step.denoiserBlock, m_chip.denoiser.mode);
  const DenoiserWork w = m_denoiserCore->work(shape);
  m_sram.read(w.inputReadBits);
  m_denoiser->runBlock(shape);
  m_sram.write(w.outputWriteBits);
}

void ChipTop::reprogram(int round) {
  const std::string name = fmt::format("reprogram round {}", round);
  m_ledger.setScope(name);
  const auto batch = static_cast<std::uint64_t>(m_mapping.policy.multiplexBatch);
  m_ledger.setScopeShare(1.0 / static_cast<double>(batch));  // the chip is reloaded once per batch of images
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  LayerTiming lt{name, "Reprogram", m_clock.toCycles(start), 0, m_mapping.roundArrays.at(static_cast<std::size_t>(round)), -1, round};
  // Every array of the round is written at once; each writes its rows one after another.
  sc_core::sc_event_and_list allDone;
  std::vector<sc_core::sc_process_handle> procs;
  for (const LayerMapping& lm : m_mapping.layers) {
    if (lm.round != round) continue;
    for (int r = 0; r < lm.replicas; ++r) {
      for (std::size_t i = 0; i < lm.blocks.size(); ++i) {
        const ArrayBlock& b = lm.replicaBlock(r, i);
        ArrayModule* arr = m_arrays[static_cast<std::size_t>(b.arrayIndex)].get();
        procs.push_back(spawnIn(name, [=] { arr->write(b.rows, b.cols, batch); }));
        allDone &= procs.back().terminated_event();
      }
    }
  }
  if (!procs.empty()) sc_core::wait(allDone);
  lt.cycles = m_clock.toCycles(sc_core::sc_time_stamp() - start);
  m_layers.push_back(lt);
}

}  // namespace mxsim
