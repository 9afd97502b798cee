// Contract: the SystemC top of the chip (docs/chip.md). Blocks: the global buffer (SramModule), the
// interconnect (NocModule: bus or mesh, node 0 = global buffer, node t+1 = tile t), per tile an input and an
// output buffer (TileBufferModule) and its arrays (ArrayModule: DACs → crossbar → shared ADCs), the digital
// unit (accumulation across row blocks, activations, pooling, residual adds, elementwise ops) and, when the
// model has denoiser blocks, the denoiser engine (DenoiserModule, own clock).
// An analog step: global-buffer read → multicast of the input to the tiles holding the layer → per tile,
// input-buffer write, the arrays stream the vectors (the input buffer feeding them in parallel), the partial
// sums go to the output buffer and back over the interconnect → digital accumulation → global-buffer write.
// A digital step: read, digital unit, write. A denoiser block: read, engine, write.
// Schedule: sequential (one step after another). This is the model of chips whose activations live in the
// global buffer (chip.tile.memory = 0); chips with per-tile memories run DataflowTop (sim/timing/dataflow_top.h),
// which also pipelines.
// Time-multiplexed mappings reprogram each round's arrays before its first layer (sequential schedule).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "models/denoiser/denoiser_module.h"
#include "models/digital/digital_module.h"
#include "models/memory/sram_module.h"
#include "models/noc/noc_module.h"
#include "models/tile/array_module.h"
#include "models/tile/tile_buffer.h"
#include "sim/timing/tile_module.h"
#include "sim/timing/timing_engine.h"

namespace mxsim {

class ChipTop : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ChipTop);
  ChipTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
          const Mapping& mapping, const std::vector<bool>& signedInputs, const Clock& clock, ActionLedger& ledger,
          ActivityLog* activity);

  const std::vector<LayerTiming>& layers() const { return m_layers; }
  std::uint64_t totalCycles() const { return m_totalCycles; }
  int arrayCount() const { return static_cast<int>(m_arrays.size()); }
  bool hasDenoiser() const { return static_cast<bool>(m_denoiser); }
  /// Busy and stalled time per kind of block over the run (utilisation = busy / (instances × latency)).
  std::vector<ComponentActivity> componentActivity() const;

 private:
  void controller();
  void executeStep(std::size_t s, LayerTiming& lt);
  void runAnalog(const wl::Step& step, const LayerMapping& lm, bool signedInput);
  void runDenoiser(std::size_t s);
  void reprogram(int round);
  /// Spawn a process whose actions are charged to `scope` (processes are reused addresses once they end,
  /// so the binding is removed when it finishes).
  template <class Fn>
  sc_core::sc_process_handle spawnIn(const std::string& scope, Fn fn) {
    return sc_core::sc_spawn([this, scope, fn] {
      const sc_core::sc_object* self = sc_core::sc_get_current_process_handle().get_process_object();
      m_scopeOf[self] = scope;
      fn();
      m_scopeOf.erase(self);
    });
  }

  const wl::Program& m_program;
  const ChipParams& m_chip;
  const Mapping& m_mapping;
  std::vector<bool> m_signed;
  const Clock& m_clock;
  ActionLedger& m_ledger;
  ActivityLog* m_activity;
  ArrayCore m_arrayCore;
  SramCore m_sramCore;
  DigitalCore m_digitalCore;
  NocCore m_nocCore;
  TileBufferCore m_inBufCore, m_outBufCore;
  SramModule m_sram;
  DigitalModule m_digital;
  NocModule m_noc;
  std::vector<std::unique_ptr<TileModule>> m_tiles;  // children "tile<t>", parents of the tile's shells
  std::vector<std::unique_ptr<TileBufferModule>> m_inBuf, m_outBuf;  // per tile
  std::vector<std::unique_ptr<ArrayModule>> m_arrays;  // index = tile * arraysPerTile + slot
  std::unique_ptr<DenoiserCore> m_denoiserCore;
  std::unique_ptr<DenoiserModule> m_denoiser;
  std::vector<int> m_nocSignals;  // activity signal per link
  std::map<int, std::size_t> m_blockFirstStep;  // denoiser block -> its first step (which runs the block)
  std::vector<LayerTiming> m_layers;
  std::uint64_t m_totalCycles = 0;
  std::uint64_t m_nocStallCycles = 0;  // interconnect: delivery time beyond the uncontended transfer time
  std::map<const sc_core::sc_object*, std::string> m_scopeOf;  // process -> layer its actions belong to
};

}  // namespace mxsim
