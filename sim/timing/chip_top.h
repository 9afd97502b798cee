// Contract: the SystemC top of the chip. A controller thread executes the program layer by layer: read the
// layer input from SRAM, stream its vectors through every array holding a block of the layer (in parallel,
// one spawned process per array), accumulate/activate in the digital unit, write the output to SRAM.
// The schedule is sequential per layer (no inter-layer pipelining yet). A replicated layer splits its
// vectors over its copies, streamed in parallel. A time-multiplexed mapping reprograms the arrays of each
// round before its first layer (all arrays in parallel, rows one after another), charged 1/multiplex_batch
// per image.
#pragma once
#include <memory>
#include <vector>

#include <systemc>

#include "models/digital/digital_module.h"
#include "models/memory/sram_module.h"
#include "models/tile/array_module.h"
#include "sim/timing/timing_engine.h"

namespace mxsim {

class ChipTop : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ChipTop);
  ChipTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
          const Mapping& mapping, const std::vector<bool>& signedInputs, const Clock& clock, ActionLedger& ledger);

  const std::vector<LayerTiming>& layers() const { return m_layers; }
  std::uint64_t totalCycles() const { return m_totalCycles; }
  int arrayCount() const { return static_cast<int>(m_arrays.size()); }

 private:
  void controller();
  void runAnalog(const wl::Step& step, const LayerMapping& lm, bool signedInput);
  void runDigital(const wl::Step& step);
  void reprogram(int round);

  const wl::Program& m_program;
  const ChipParams& m_chip;
  const Mapping& m_mapping;
  std::vector<bool> m_signed;
  const Clock& m_clock;
  ActionLedger& m_ledger;
  ArrayCore m_arrayCore;
  SramCore m_sramCore;
  DigitalCore m_digitalCore;
  SramModule m_sram;
  DigitalModule m_digital;
  std::vector<std::unique_ptr<ArrayModule>> m_arrays;  // index = tile * arraysPerTile + slot
  std::vector<LayerTiming> m_layers;
  std::uint64_t m_totalCycles = 0;
};

}  // namespace mxsim
