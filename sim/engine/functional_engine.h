// Contract: the batched accuracy engine. It programs a chip instance at a time since programming
// (static variation, faults, drift; one RNG stream per array block), calibrates ADC ranges and
// activation-noise scales on calibration images, and runs batches of images through the program: analog
// steps pass by pass through ArrayCore::pass per array row block and weight slice (DAC → crossbar with
// per-MVM read noise → ADC), digital steps through the digital unit's kernels. Ideal mode (no chip) is
// exact float math; with noise.array: ideal, a chip's analog layers compute the same exact x·W + b and only
// activation noise perturbs them (programming still runs: its conductances price the crossbar energy).
// Every random draw is keyed by (seed, image index, layer, ...), so results depend only
// on the seed and the images, never on the thread count or batch split.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "models/tile/array_core.h"
#include "sim/core/bitplane.h"
#include "sim/arch/arch.h"
#include "sim/engine/denoiser_blocks.h"
#include "sim/mapping/mapping.h"
#include "workloads/ir/program.h"

namespace mxsim {

struct AnalogLayerState {
  float weightScale = 1.0f;           // max |W|: weights are normalised by it before programming
  std::vector<Eigen::RowVectorXf> blockScale;  // per row block, per output column: array scale / weightScale
                                               // (weight_scaling: array; empty for layer scaling)
  float inputScale = 0.0f;            // calibrated DAC full scale (dac.range: calibrated)
  std::vector<ColMatrix> gEff;        // per weight slice: K × Cout effective normalised weights
  std::vector<ColMatrix> readVar;     // per slice: read-noise variance per weight (empty: uniform or none)
  float uniformReadVar = 0.0f;        // the variance when it is the same for every weight (0: no read noise)
  std::vector<float> sliceWeight;     // digital recombination weight per slice
  std::vector<float> adcFullScale;    // per slice, normalised partial-sum units (0: not yet calibrated)
  bool signedInput = true;            // inputs can be negative → two DAC phases
  // Activity seen on the calibration images, for data-aware energy (docs/chip.md):
  double dacActivity = 1.0;     // mean driven level / full scale over all DAC conversions of all passes
                                // (a current-steering DAC switches one unit per level; 1-bit: the ones)
  double inputPower = 1.0;      // mean (driven level / full scale)² over the rows of all passes
  double conductanceMean = 1.0; // mean programmed device conductance / Gmax over the layer's devices
  float outputScale = 1.0f;           // global drift compensation factor (1: none)
  float activationSigma = 0.0f;       // absolute σ of activation noise added to this layer's output
  Eigen::RowVectorXf columnSums;      // Σ_i Σ_s sliceWeight_s·w_eff,s(i, j): an all-ones reference read
  double referenceRead = 0.0;         // Σ_j |columnSums_j|, for drift compensation
  std::vector<std::vector<AdcInstance>> adcs;  // [rowBlock·slices + slice][colBlock]; empty: ideal ADCs
  int rowsPerBlock = 0;
  // Exact integer passes (bit-serial DAC on quantised, noise-free cells; docs/performance.md): when every
  // gEff[s] is an integer cell level × levelScale up to float representation, the levels per slice, and per
  // slice a bound on |float sum of a pass over one row block − N·levelScale| (N: the pass's integer sum).
  // Empty: the float path only.
  std::vector<bitplane::Levels> levels;
  double levelScale = 0.0;
  int maxLevel = 0;                // max |level|
  std::vector<double> levelBound;
  // Per slice, per layer row block grb and column c: the block's rows with gEff ≠ 0 as bit masks of
  // ceil(rowsPerBlock / 64) words at [(grb·C + c)·words] (the exact passes' float sums visit only those).
  std::vector<std::vector<std::uint64_t>> nonzeroRows;
  // Levels-only layers (exact cells programmed straight to digits, CrossbarCore::programDigits): gEff is
  // empty and every slice weight of level v is levelValue[v + maxLevel], the float its cell gives.
  std::vector<float> levelValue;

  int slices() const { return static_cast<int>(std::max(gEff.size(), levels.size())); }
  /// Slice s's effective weights (K × Cout): gEff[s], or built from the levels of a levels-only layer.
  ColMatrix sliceWeights(int s) const;
};

struct ChipInstance {
  std::uint64_t seed = 0;
  double timeSeconds = 0.0;  // time since programming the state represents
  std::vector<AnalogLayerState> layers;  // indexed like Mapping::layers
  /// Per denoiser block (FunctionalEngine::denoiserBlocks() order): the engine's fixed-point formats,
  /// calibrated like the ADC ranges (empty until calibrate()).
  std::vector<DenoiserFormats> denoiserFormats;
  bool calibrated = false;
};

class FunctionalEngine {
 public:
  FunctionalEngine(const wl::Program& program, const ChipParams& chip, const Mapping& mapping);

  /// Program a chip instance and age it to `timeSeconds` after programming (layers on up to `threads`
  /// threads; the instance does not depend on the thread count).
  ChipInstance programChip(std::uint64_t seed, double timeSeconds = 0.0, int threads = 1) const;
  /// Set per-layer input signedness, ADC ranges and activation-noise scales from calibration images
  /// (layer by layer, so each layer is calibrated on the outputs of the layers before it).
  /// The chunks of each layer run on up to `threads` threads; the settings do not depend on the count.
  void calibrate(ChipInstance& chip, const RowMatrix& images, int threads = 1) const;
  /// Give an aged instance the settings calibrated on the same chip at programming time; with
  /// `compensateDrift`, each layer's outputs are rescaled by the ratio of its all-ones reference reads.
  void adoptCalibration(const ChipInstance& calibrated, ChipInstance& aged, bool compensateDrift) const;
  /// Logits of a batch. chip == nullptr: ideal float inference. firstImage: global index of row 0
  /// (keys the per-image noise streams).
  RowMatrix forward(const RowMatrix& images, const ChipInstance* chip, std::uint64_t firstImage = 0) const;

  /// Top-1 correct count over a dataset, batched in fixed chunks over `threads` worker threads.
  std::uint64_t countCorrect(const RowMatrix& images, const std::vector<int>& labels, const ChipInstance* chip,
                             int threads, const std::function<void(std::uint64_t)>& onProgress = {}) const;
  /// Logits for all images (same chunking as countCorrect).
  RowMatrix logits(const RowMatrix& images, const ChipInstance* chip, int threads) const;

  static constexpr int kChunkImages = 128;  // fixed batch split

  /// Whether analog steps may take the exact integer passes where they apply (default on; off: always the
  /// float GEMM, which gives the same bits: tests compare the two).
  void setExactPasses(bool on) { m_exactPasses = on; }
  /// Analog step chunks computed by exact passes so far (diagnostic: tests check the path is taken).
  std::uint64_t exactPassChunks() const { return m_exactChunks; }

  const ArrayCore& arrayCore() const { return m_array; }
  /// The program's denoiser blocks, each run through denoiserCore() at its first step: exact float math in
  /// ideal mode, the engine's fixed-point arithmetic on a chip, in chip.denoiser.mode (sample: ε from
  /// chip.denoiser.epsilon, one stream per (chip seed, image, block)).
  const std::vector<DenoiserBlockPlan>& denoiserBlocks() const { return m_blocks; }
  const DenoiserCore& denoiserCore() const { return m_denoiser; }

 private:
  enum class Mode { Ideal, Calibrate, Run };
  struct Context;
  RowMatrix run(const RowMatrix& images, const ChipInstance* chip, Mode mode, ChipInstance* calibrating,
                std::uint64_t dataTag, std::uint64_t firstImage, int threads) const;
  void analogStep(const wl::Step& step, int layer, const RowMatrix& x, const Context& ctx, RowMatrix& out) const;
  /// A chunk's DAC passes as the exact passes read them: each pass's digital weight, and a packer of the rows
  /// [r0, r0 + rows) of every pass for the vectors [v0, v1) into 4-row nibbles (from float 0/1 planes or
  /// straight from the DAC's integer codes); the packer returns false if a value is not 0 or 1.
  struct ExactInput {
    std::vector<float> weights;
    std::function<bool(bitplane::Nibbles&, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0, Eigen::Index v1)> pack;
  };
  bool exactPasses(const AnalogLayerState& L, const LayerMapping& lm, const ExactInput& in, Eigen::Index vectors,
                   int threads, RowMatrix* acc, std::vector<float>* maxAbs,
                   std::vector<float>* fullScaleOut = nullptr) const;
  void denoiserBlock(const DenoiserBlockPlan& b, std::size_t index, const RowMatrix& x, const Context& ctx,
                     RowMatrix& y) const;
  static void binaryStep(const wl::Step& step, const std::vector<RowMatrix>& buf, RowMatrix& out);
  void forChunks(std::size_t images, int threads, const std::function<void(std::size_t, std::size_t)>& fn) const;

  const wl::Program& m_program;
  const ChipParams& m_chip;
  const Mapping& m_mapping;
  ArrayCore m_array;
  DenoiserCore m_denoiser;
  std::vector<DenoiserBlockPlan> m_blocks;
  std::vector<int> m_blockOfStep;  // per step: the block it runs (>= 0), kBlockInner (skipped) or -1
  static constexpr int kBlockInner = -2;
  bool m_exactPasses = true;
  mutable std::atomic<std::uint64_t> m_exactChunks{0};
};

}  // namespace mxsim
