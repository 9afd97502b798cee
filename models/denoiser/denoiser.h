// Contract: the denoiser engine of Paper A (Azizi et al., arXiv:2409.18553): a digital engine next to the
// analog tiles that runs denoiser blocks on an activation x (C×H×W per image):
//   h1 = ReLU(conv1×1(x)) (C → Cr),  h = ReLU(conv3×3(h1)) (Cr → Cr, pad 1, stride 1),
//   μ = conv1×1(h), logσ² = conv1×1(h) (Cr → C each),
//   mean mode y = x − μ;  sample mode y = x − (μ + σ·ε), σ = exp(½·logσ²), ε ~ N(0, 1) from Box-Muller GRNGs.
// DenoiserCore is the single source of truth for what a block computes (run(), batched, float) and for its
// cost on the engine (schedule(), timing(), work(), capacity checks, area); no SystemC here. run() is the
// exact float reference, runFixed() the engine's fixed-point arithmetic (what `mxsim run` uses on a chip).
// The shell is denoiser_module.h. Derivations, parameters and sources: docs/denoiser.md.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/noise/box_muller.h"
#include "sim/core/config.h"
#include "sim/core/types.h"

namespace mxsim {

namespace action {
// Declared here, not in sim/core/actions.h: only the denoiser engine counts them. Priced by
// chip.denoiser.energy.* (DenoiserParams::energyPerAction()).
inline constexpr const char* kDenoiserMac = "denoiser.mac";                        // one multiply-accumulate
inline constexpr const char* kDenoiserWeightReadBit = "denoiser.weight_read_bit";  // one bit read from weight memory
inline constexpr const char* kDenoiserLineBufferBit = "denoiser.line_buffer_bit";  // one bit read or written
inline constexpr const char* kDenoiserSubtract = "denoiser.subtract";  // one output element: x − μ (− σ·ε)
inline constexpr const char* kDenoiserExp = "denoiser.exp";            // one σ = exp(½·logσ²) and σ·ε (sample)
}  // namespace action

enum class DenoiserMode { Mean, Sample };
const char* modeName(DenoiserMode m);
/// Where sample mode's ε comes from.
enum class EpsilonSource {
  Grng,   // the bit-true Box-Muller GRNG model (chip.denoiser.grng), one stream per image and block
  Ideal,  // an ideal N(0, 1) (the project's counter-based normal generator), same keys
};
const char* epsilonSourceName(EpsilonSource e);

/// chip.denoiser: the engine's validated parameters (declared once in fromConfig with unit, range, meaning,
/// source). Quantities are SI (Hz, bytes, J, m²).
struct DenoiserParams {
  int cores = 16;                           // P: parallel convolution cores
  int macsPerCore = 9;                      // K: MACs per core per cycle (9 = one 3×3 window of one channel)
  double clockHz = 1e9;                     // the engine's own clock
  double weightMemoryBytes = 256.0 * 1024;  // holds every block's weights and biases
  double lineBufferBytes = 16.0 * 1024;     // holds the h1/h rows of the 3×3 window (3 rows × W × Cr)
  int activationBits = 8;                   // stored width of x, h1, h, y
  int weightBits = 8;                       // stored width of a weight
  int biasBits = 32;                        // stored width of a bias (accumulator width)
  int pipelineDepth = 6;                    // cycles from a core's last MAC issue of an output to its result
  int expLatency = 4;                       // cycles of σ = exp(½·logσ²) (sample mode)
  int subtractLatency = 1;                  // cycles of y = x − μ (− σ·ε)
  int grngUnits = 2;                        // G Box-Muller units feeding sample mode
  GrngParams grng;                          // each unit's datapath, timing and energy (chip.denoiser.grng)
  DenoiserMode mode = DenoiserMode::Mean;   // default mode of blocks
  EpsilonSource epsilon = EpsilonSource::Grng;  // sample mode's ε: the GRNG model or an ideal Gaussian

  // Energy per action (J) and area (m²).
  double macEnergyJ = 0.3e-12;
  double weightReadBitEnergyJ = 0.3125e-12;
  double lineBufferBitEnergyJ = 0.156e-12;
  double subtractEnergyJ = 0.03e-12;
  double expEnergyJ = 1.0e-12;
  double coreAreaM2 = 0.008e-6;
  double weightMemoryAreaPerKibM2 = 0.005e-6;
  double lineBufferAreaPerKibM2 = 0.007e-6;
  double grngUnitAreaM2 = 0.01e-6;

  std::string path = "chip.denoiser";  // where the section was read (for error messages)

  /// Energy and area defaults are 45 nm figures (Horowitz, ISSCC 2014); they are moved to `technologyNodeNm`
  /// (chip.technology_node) with the Stillmaker-Baas factors (models/common/technology.h). Values given in
  /// the config are taken as they are, at the chip's node.
  static constexpr double kReferenceNodeNm = 45.0;
  static DenoiserParams fromConfig(ConfigReader& r, double technologyNodeNm = kReferenceNodeNm);
  /// Throws ConfigError naming "<path>.<key>" if a value breaks the model.
  void validate() const;
  /// (action, joules) for every action the engine counts, including grng.sample (grng.energy_per_sample);
  /// the chip's EnergyTable takes these with set().
  std::vector<std::pair<std::string, double>> energyPerAction() const;
};

/// One denoiser block as the engine sees it (per image).
struct DenoiserBlockShape {
  int channels = 0;         // C
  int height = 0;           // H
  int width = 0;            // W
  int reducedChannels = 0;  // Cr = C / r
  DenoiserMode mode = DenoiserMode::Mean;

  std::uint64_t elements() const {
    return static_cast<std::uint64_t>(channels) * static_cast<std::uint64_t>(height) *
           static_cast<std::uint64_t>(width);
  }
  /// Throws std::invalid_argument if a dimension is < 1.
  void validate() const;
};

/// A block's trained parameters. Weight matrices are [out × in]; the 3×3 kernel's columns are ordered
/// (ci, kh, kw), i.e. ONNX's OIHW weight flattened per output channel. A bias may be empty (= zero).
struct DenoiserWeights {
  RowMatrix reduce;             // [Cr × C]
  Eigen::VectorXf reduceBias;   // [Cr]
  RowMatrix conv3x3;            // [Cr × Cr·9]
  Eigen::VectorXf conv3x3Bias;  // [Cr]
  RowMatrix mean;               // [C × Cr]  μ head
  Eigen::VectorXf meanBias;     // [C]
  RowMatrix logVar;             // [C × Cr]  logσ² head (may be empty for a block that only runs in mean mode)
  Eigen::VectorXf logVarBias;   // [C]

  /// Throws std::invalid_argument naming the first matrix whose shape does not fit `s`.
  void validate(const DenoiserBlockShape& s) const;
};

/// Fixed-point formats of a block's stored tensors: fraction bits f of each (value = code·2^-f). x, μ,
/// logσ² and y are signed activation_bits words, h1, h and σ unsigned activation_bits words (ReLU/exp
/// outputs); each weight matrix is a signed weight_bits word with its own f (power-of-two scale, no
/// multiplier in the requantisation). Accumulators hold products at f_in + f_w and saturate at bias_bits.
struct DenoiserFormats {
  int x = 0, h1 = 0, h = 0, mu = 0, logVar = 0, sigma = 0, y = 0;
};

/// Max |value| of each tensor of a block over a batch (what calibration measures to pick the formats).
struct DenoiserRanges {
  float x = 0, h1 = 0, h = 0, mu = 0, logVar = 0, sigma = 0, y = 0;
  void merge(const DenoiserRanges& o);
};

/// One row phase of the engine's schedule (see DenoiserCore::schedule()).
enum class DenoiserPhaseKind { Reduce, Conv3x3, Heads };
const char* phaseName(DenoiserPhaseKind k);

struct DenoiserPhase {
  DenoiserPhaseKind kind;
  int row;                         // image row produced (h1 row for Reduce, h/y row otherwise)
  std::uint64_t startCycle;        // first issue cycle, counted from the block's start (0-based)
  std::uint64_t issueCycles;       // ceil(outChannels / P) × cyclesPerChannel
  int outChannels;                 // Cout of the phase (split over the cores by output channel)
  std::uint64_t cyclesPerChannel;  // W × passes × ceil(Cin·k² / K): one output channel of one row
  /// Issue cycles of core `core` in this phase: its output channels {core, core + P, …} × cyclesPerChannel.
  std::uint64_t coreBusyCycles(int core, int cores) const;
};

/// Cycle breakdown of one block (engine clock).
struct DenoiserTiming {
  std::uint64_t reduceCycles = 0;      // issue cycles of the 1×1 reduce conv over the block
  std::uint64_t conv3x3Cycles = 0;     // issue cycles of the 3×3 conv
  std::uint64_t meanHeadCycles = 0;    // issue cycles of the μ head
  std::uint64_t logVarHeadCycles = 0;  // issue cycles of the logσ² head (0 in mean mode)
  std::uint64_t convChainCycles = 0;   // Σ issue cycles + pipeline_depth: the last head result is out
  std::uint64_t grngCycles = 0;        // all C·H·W samples out of the G units (0 in mean mode)
  std::uint64_t blockCycles = 0;       // the last y element written
};

/// Action counts of one block (and the chip-buffer traffic the caller charges to the SRAM).
struct DenoiserWork {
  std::uint64_t macs = 0;
  std::uint64_t weightReadBits = 0;
  std::uint64_t lineBufferReadBits = 0;
  std::uint64_t lineBufferWriteBits = 0;
  std::uint64_t grngSamples = 0;
  std::uint64_t subtracts = 0;
  std::uint64_t exps = 0;
  /// Not counted by the engine (charge them to the chip's activation buffer): x streamed once per channel
  /// round of the reduce conv and once for the subtract, (ceil(Cr / P) + 1)·C·H·W, and y written once,
  /// C·H·W, at activation_bits.
  std::uint64_t inputReadBits = 0;
  std::uint64_t outputWriteBits = 0;
  std::uint64_t lineBufferBits() const { return lineBufferReadBits + lineBufferWriteBits; }
};

/// Area of the engine by component (m²).
struct DenoiserArea {
  double coresM2 = 0, weightMemoryM2 = 0, lineBufferM2 = 0, grngM2 = 0;
  double totalM2() const { return coresM2 + weightMemoryM2 + lineBufferM2 + grngM2; }
};

class DenoiserCore {
 public:
  explicit DenoiserCore(const DenoiserParams& p);

  // ---- functional ---------------------------------------------------------------------------------
  /// y = block(x) for a batch x [images × C·H·W] (NCHW per row). Sample mode needs eps [images × C·H·W]
  /// (ε per output element); mean mode ignores it (may be null). y is resized; it may be the same matrix
  /// as x (each image is consumed before it is overwritten). Exact float arithmetic (the reference the
  /// ONNX graph computes); `ranges`, if given, receives the max |value| of every tensor (merged into it).
  void run(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w, const RowMatrix* eps,
           RowMatrix& y, DenoiserRanges* ranges = nullptr) const;
  /// The same block in the engine's fixed-point arithmetic (what the chip computes): x, h1, h, μ, logσ², σ
  /// and y rounded (half up) and saturated to activation_bits in `f`, weights to weight_bits (fraction bits
  /// from each matrix's max |w|), biases and sums in bias_bits accumulators at f_in + f_w, σ = exp(½·logσ²)
  /// exact on its fixed-point input then rounded, σ·ε exact. Sums are formed in double: bit-exact while
  /// activation_bits + weight_bits + log2(taps) ≤ 53 (docs/denoiser.md).
  void runFixed(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w, const DenoiserFormats& f,
                const RowMatrix* eps, RowMatrix& y) const;
  /// Formats that hold the measured ranges without saturating: for each tensor the largest f with
  /// round(range·2^f) ≤ the word's largest code.
  DenoiserFormats formatsFor(const DenoiserRanges& r) const;
  /// Fraction bits of a weight matrix in weight_bits words (the largest f that holds its max |w|).
  int weightFracBits(const RowMatrix& m) const;
  /// Sample mode with ε from the GRNG datapath (params().grng): image n's ε from drawEpsilon with
  /// imageKeys[n] (e.g. streamKey(seed, {image, layer})), so results do not depend on the batch split.
  void runWithGrng(const DenoiserBlockShape& s, const RowMatrix& x, const DenoiserWeights& w,
                   const std::vector<std::uint64_t>& imageKeys, RowMatrix& y) const;

  // ---- timing (pure) ------------------------------------------------------------------------------
  /// Issue cycles of a k×k conv (stride 1, 'same' padding) on P cores of K MACs/cycle, split by output
  /// channel: ceil(Cout / P) × H·W × ceil(Cin·k² / K). Derivation in the .cpp and docs/denoiser.md.
  static std::uint64_t convCycles(int inChannels, int outChannels, int kernel, int height, int width, int cores,
                                  int macsPerCore);
  /// Cycles for the G units to emit `samples` (split as evenly as possible): the busiest unit's
  /// BoxMullerCore::cycles(ceil(samples / G)) = latency + ceil(ceil(samples / G) / samples_per_cycle) − 1.
  std::uint64_t grngCycles(std::uint64_t samples) const;
  /// Samples unit `unit` emits for a block of `samples` (the first samples % G units take one more).
  std::uint64_t grngUnitSamples(std::uint64_t samples, int unit) const;
  /// Cycles of one GRNG unit for n samples (BoxMullerCore::cycles).
  std::uint64_t grngUnitCycles(std::uint64_t samples) const { return m_grngUnit.cycles(samples); }
  /// The row-interleaved schedule of the cores: Reduce(0), then for each row y: Reduce(y+1) (if y+1 < H),
  /// Conv3x3(y), Heads(y). Phases are back to back; their issue cycles sum to the per-conv formulas.
  std::vector<DenoiserPhase> schedule(const DenoiserBlockShape& s) const;
  /// Block cycles: mean  = convChain + subtract_latency;
  ///               sample = max(convChain + exp_latency, grng) + 1 (σ·ε multiply) + subtract_latency,
  /// convChain = Σ issue cycles + pipeline_depth.
  DenoiserTiming timing(const DenoiserBlockShape& s) const;
  /// Time of timing(s).blockCycles on the engine clock [s].
  double blockSeconds(const DenoiserBlockShape& s) const {
    return static_cast<double>(timing(s).blockCycles) / m_p.clockHz;
  }

  // ---- capacity -----------------------------------------------------------------------------------
  /// Stored bits of one block: weight_bits·(C·Cr + 9·Cr² + 2·C·Cr) + bias_bits·(2·Cr + 2·C) (both heads are
  /// stored whatever the mode).
  std::uint64_t weightBits(const DenoiserBlockShape& s) const;
  /// Line buffer a block needs: 3 rows × W × Cr × activation_bits (h1 rows y−1, y, y+1; h row y in place).
  std::uint64_t lineBufferBits(const DenoiserBlockShape& s) const;
  std::uint64_t weightMemoryBits() const { return static_cast<std::uint64_t>(m_p.weightMemoryBytes) * 8; }
  std::uint64_t lineBufferCapacityBits() const { return static_cast<std::uint64_t>(m_p.lineBufferBytes) * 8; }
  /// Throws MappingError naming the need, the capacity and <path>.line_buffer if the block does not fit.
  void requireLineBuffer(const DenoiserBlockShape& s, const std::string& what = "denoiser block") const;
  /// All blocks' weights are resident at once: throws MappingError naming the sum, the capacity and
  /// <path>.weight_memory if Σ weightBits exceeds it.
  void requireWeightMemory(const std::vector<DenoiserBlockShape>& blocks) const;
  /// Both checks for a set of blocks (names optional, used in messages).
  void requireFits(const std::vector<DenoiserBlockShape>& blocks, const std::vector<std::string>& names = {}) const;

  // ---- energy and area ----------------------------------------------------------------------------
  /// Action counts of one block (derivation in the .cpp and docs/denoiser.md).
  DenoiserWork work(const DenoiserBlockShape& s) const;
  DenoiserArea area() const;

  const DenoiserParams& params() const { return m_p; }

 private:
  DenoiserParams m_p;
  BoxMullerCore m_grngUnit;  // timing rule of one GRNG unit (its generator is not used here)
};

/// ε for a batch from the configured source (p.epsilon): row n holds `perImage` samples of the stream keyed
/// by imageKeys[n] (a Box-Muller GRNG of p.grng, or ideal N(0, 1) draws); the rows do not depend on how a
/// dataset is split into batches.
RowMatrix drawEpsilon(const DenoiserParams& p, const std::vector<std::uint64_t>& imageKeys, Eigen::Index perImage);

/// ε for a batch: row n holds `perImage` samples of a Box-Muller GRNG (params `p`) seeded with imageKeys[n].
RowMatrix drawEpsilon(const GrngParams& p, const std::vector<std::uint64_t>& imageKeys, Eigen::Index perImage);

}  // namespace mxsim
