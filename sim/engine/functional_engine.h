// Contract: the batched accuracy engine. It programs a chip instance (weights → conductances with the
// instance's static variation), calibrates ADC ranges on calibration images, and runs batches of images
// through the program: analog steps through ArrayCore::mvm per array row block (DAC → crossbar → ADC),
// digital steps through the digital unit's kernels. Ideal mode (no chip) is exact float math. Results
// depend only on the seed and the images, never on the thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "models/tile/array_core.h"
#include "sim/arch/arch.h"
#include "sim/mapping/mapping.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct AnalogLayerState {
  float weightScale = 1.0f;   // max |W|: weights are normalised by it before programming
  ColMatrix gEff;             // K × Cout effective normalised weights as programmed on this chip
  float adcFullScale = 0.0f;  // ADC range in normalised partial-sum units (0: not yet calibrated)
  bool signedInput = true;    // inputs can be negative → two DAC phases
  int rowsPerBlock = 0;
};

struct ChipInstance {
  std::uint64_t seed = 0;
  std::vector<AnalogLayerState> layers;  // indexed like Mapping::layers
  bool calibrated = false;
};

class FunctionalEngine {
 public:
  FunctionalEngine(const wl::Program& program, const ChipParams& chip, const Mapping& mapping);

  /// Program a chip instance: static variation drawn from `seed`, one stream per array block.
  ChipInstance programChip(std::uint64_t seed) const;
  /// Set per-layer input signedness and ADC ranges from calibration images (layer by layer, so each
  /// layer is calibrated on the quantised outputs of the layers before it).
  void calibrate(ChipInstance& chip, const RowMatrix& images) const;
  /// Logits of a batch. chip == nullptr: ideal float inference.
  RowMatrix forward(const RowMatrix& images, const ChipInstance* chip) const;

  /// Top-1 correct count over a dataset, batched in fixed chunks over `threads` worker threads.
  std::uint64_t countCorrect(const RowMatrix& images, const std::vector<int>& labels, const ChipInstance* chip,
                             int threads, const std::function<void(std::uint64_t)>& onProgress = {}) const;
  /// Logits for all images (same chunking as countCorrect).
  RowMatrix logits(const RowMatrix& images, const ChipInstance* chip, int threads) const;

  static constexpr int kChunkImages = 128;  // fixed batch split: results do not depend on threads

  const ArrayCore& arrayCore() const { return m_array; }

 private:
  enum class Mode { Ideal, Calibrate, Run };
  RowMatrix run(const RowMatrix& images, const ChipInstance* chip, Mode mode, ChipInstance* calibrating) const;
  void analogStep(const wl::Step& step, const RowMatrix& x, const AnalogLayerState* layer, Mode mode,
                  AnalogLayerState* calibrating, RowMatrix& out) const;
  void forChunks(std::size_t images, int threads, const std::function<void(std::size_t, std::size_t)>& fn) const;

  const wl::Program& m_program;
  const ChipParams& m_chip;
  const Mapping& m_mapping;
  ArrayCore m_array;
};

}  // namespace mxsim
