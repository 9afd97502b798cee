#include "sim/timing/chip_top.h"

#include <fmt/format.h>

#include <algorithm>

namespace mxsim {

ChipTop::ChipTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
                 const Mapping& mapping, const std::vector<bool>& signedInputs, const Clock& clock,
                 ActionLedger& ledger)
    : sc_module(name),
      m_program(program),
      m_chip(chip),
      m_mapping(mapping),
      m_signed(signedInputs),
      m_clock(clock),
      m_ledger(ledger),
      m_arrayCore(chip.array, chip.deviceNoise),
      m_sramCore(chip.sram),
      m_digitalCore(chip.digital),
      m_sram("sram", m_sramCore, {&clock, &ledger}),
      m_digital("digital", m_digitalCore, {&clock, &ledger}) {
  m_arrays.reserve(chip.totalArrays());
  for (int t = 0; t < chip.tiles; ++t) {
    for (int a = 0; a < chip.arraysPerTile; ++a) {
      m_arrays.push_back(std::make_unique<ArrayModule>(fmt::format("tile{}_array{}", t, a).c_str(), m_arrayCore,
                                                       ShellContext{&clock, &ledger}));
    }
  }
  SC_THREAD(controller);
}

void ChipTop::runAnalog(const wl::Step& step, const LayerMapping& lm, bool signedInput) {
  const auto passes = static_cast<std::uint64_t>(m_arrayCore.dac().passCount(signedInput));
  const auto vectors = static_cast<std::uint64_t>(step.vectorsPerImage());
  // Copies of a replicated layer take ⌈vectors / replicas⌉ vectors each (the last one the remainder).
  const auto copies = static_cast<std::uint64_t>(lm.replicas);
  const std::uint64_t perCopy = (vectors + copies - 1) / copies;
  sc_core::sc_event_and_list allDone;
  std::vector<sc_core::sc_process_handle> procs;
  procs.reserve(static_cast<std::size_t>(lm.arrays()));
  for (int r = 0; r < lm.replicas; ++r) {
    const std::uint64_t first = std::min(vectors, perCopy * static_cast<std::uint64_t>(r));
    const std::uint64_t share = std::min(perCopy, vectors - first);
    for (std::size_t i = 0; i < lm.blocks.size(); ++i) {
      const ArrayBlock& b = lm.replicaBlock(r, i);
      ArrayModule* arr = m_arrays[b.arrayIndex].get();
      procs.push_back(sc_core::sc_spawn([=] { arr->stream(share, b.rows, b.cols, signedInput); }));
      allDone &= procs.back().terminated_event();
    }
  }
  sc_core::wait(allDone);
  // Digital side: shift-and-add every pass of every row block and weight slice into one sum per output,
  // then rescale and add the bias (plus the offset term for offset-coded inputs).
  // Each output column sums the partials of its pack's row blocks.
  const bool offset = m_arrayCore.dac().offsetScale(signedInput) != 0.0f;
  std::uint64_t adds = 0;
  for (const Pack& p : lm.packs) {
    const auto partials = static_cast<std::uint64_t>(p.rowBlocks) * lm.slices * passes;
    adds += vectors * static_cast<std::uint64_t>(p.cols) * (partials - 1 + (offset ? 1 : 0));
  }
  const auto outs = vectors * static_cast<std::uint64_t>(step.weight.cols());
  m_digital.run(adds, 2 * outs);
}

void ChipTop::runDigital(const wl::Step& step) {
  const wl::DigitalWork w = step.digitalWork();
  if (w.adds || w.ops) m_digital.run(w.adds, w.ops);
}

void ChipTop::reprogram(int round) {
  const std::string name = fmt::format("reprogram round {}", round);
  m_ledger.setScope(name);
  const auto batch = static_cast<std::uint64_t>(m_mapping.policy.multiplexBatch);
  m_ledger.setScopeShare(1.0 / static_cast<double>(batch));  // the chip is reloaded once per batch of images
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  LayerTiming lt{name, "Reprogram", m_clock.toCycles(start), 0, m_mapping.roundArrays.at(round), -1, round};
  // Every array of the round is written at once; each writes its rows one after another.
  sc_core::sc_event_and_list allDone;
  std::vector<sc_core::sc_process_handle> procs;
  for (const LayerMapping& lm : m_mapping.layers) {
    if (lm.round != round) continue;
    for (int r = 0; r < lm.replicas; ++r) {
      for (std::size_t i = 0; i < lm.blocks.size(); ++i) {
        const ArrayBlock& b = lm.replicaBlock(r, i);
        ArrayModule* arr = m_arrays[b.arrayIndex].get();
        procs.push_back(sc_core::sc_spawn([=] { arr->write(b.rows, b.cols, batch); }));
        allDone &= procs.back().terminated_event();
      }
    }
  }
  sc_core::wait(allDone);
  lt.cycles = m_clock.toCycles(sc_core::sc_time_stamp() - start);
  m_layers.push_back(lt);
}

void ChipTop::controller() {
  const auto actBits = static_cast<std::uint64_t>(m_chip.sram.activationBits);
  int round = -1;
  for (size_t s = 0; s < m_program.steps.size(); ++s) {
    const wl::Step& step = m_program.steps[s];
    const int layer = m_mapping.layerOfStep[s];
    if (layer >= 0 && m_mapping.timeMultiplexed() && m_mapping.layers[layer].round != round) {
      round = m_mapping.layers[layer].round;
      reprogram(round);
    }
    m_ledger.setScope(step.name);
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    LayerTiming lt{step.name, step.op, m_clock.toCycles(start), 0, 0, static_cast<int>(s)};
    if (step.kind != wl::StepKind::Reshape) {  // a reshape is a view: no data moves
      std::uint64_t inBits = 0;
      for (int b : step.inputs) inBits += static_cast<std::uint64_t>(wl::numel(m_program.buffers[b])) * actBits;
      m_sram.read(inBits);
      // What does not fit is written out to DRAM and read back (SramCore::spillTrafficBits).
      if (m_mapping.spillBitsOfStep[s]) m_sram.spill(2 * m_mapping.spillBitsOfStep[s]);
      const int l = m_mapping.layerOfStep[s];
      if (l >= 0) {
        runAnalog(step, m_mapping.layers[l], m_signed.at(l));
        lt.arrays = m_mapping.layers[l].arrays();
        lt.round = m_mapping.layers[l].round;
      } else {
        runDigital(step);
      }
      m_sram.write(static_cast<std::uint64_t>(wl::numel(step.outShape)) * actBits);
    }
    lt.cycles = m_clock.toCycles(sc_core::sc_time_stamp() - start);
    m_layers.push_back(lt);
  }
  m_totalCycles = m_clock.toCycles(sc_core::sc_time_stamp());
  // No sc_stop(): with no clock ticking, sc_start() returns once the last event has fired.
}

}  // namespace mxsim
