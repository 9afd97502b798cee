#include "sim/engine/functional_engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "models/digital/digital.h"
#include "sim/core/gemm.h"
#include "sim/core/rng.h"

namespace mxsim {

namespace {
// Stream tags: each kind of randomness has its own streams, so enabling one never shifts another's draws.
constexpr std::uint64_t kProgramTag = 0x50524f47ull;     // static programming effects, per array block
constexpr std::uint64_t kReadNoiseTag = 0x52454144ull;   // per-MVM read noise, per image
constexpr std::uint64_t kActivationTag = 0x41435456ull;  // activation noise, per image
constexpr std::uint64_t kAdcTag = 0x41444353ull;         // static ADC offset/gain/INL, per array
constexpr std::uint64_t kEpsilonTag = 0x45505331ull;     // denoiser sample mode's ε, per image and block
constexpr std::uint64_t kEvalData = 1, kCalibrationData = 2;
constexpr Eigen::Index kCacheValues = Eigen::Index{48} << 10;  // patch-matrix values per analog chunk

/// Standard normals for `images` consecutive images of `rowsPerImage` rows × cols; image n's rows come from
/// the stream keyed by (seed, tag, data, firstImage + n, coords...).
void fillNormals(RowMatrix& z, Eigen::Index rowsPerImage, Eigen::Index cols, int images, std::uint64_t seed,
                 std::uint64_t tag, std::uint64_t data, std::uint64_t firstImage,
                 std::initializer_list<std::uint64_t> coords) {
  z.resize(rowsPerImage * images, cols);
  for (int n = 0; n < images; ++n) {
    Rng rng(streamKey(streamKey(seed, {tag, data, firstImage + static_cast<std::uint64_t>(n)}), coords));
    fillStandardNormal(rng, z.row(rowsPerImage * n).data(), static_cast<std::size_t>(rowsPerImage * cols));
  }
}

/// fn(i) for i in [0, n) on up to `threads` threads (the caller's included), dynamically scheduled; the first
/// exception is rethrown after all threads stop.
void parallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex errorMutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  const int t = std::max(1, std::min<int>(threads, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

/// The rest of a layer's exact-pass data once its levels are set (st.levels, st.maxLevel), with g(s, k, c)
/// its effective weights: levelScale = 1/maxLevel, and per slice a bound covering any 0/1 input on any row
/// block, |float k-ordered sum − N·levelScale| ≤ Σ_k |g − level·levelScale| + γ_rows·Σ_k |g|,
/// γ_n = n·u/(1 − n·u), u = 2⁻²⁴ (recursive float summation, Higham, Accuracy and Stability, §4.2), and the
/// non-zero row masks. False (nothing set) if some weight is not within 1e-5 levels of its level.
template <class G>
bool levelBounds(AnalogLayerState& st, const LayerMapping& lm, G&& g) {
  const int S = static_cast<int>(st.levels.size());
  const double scale = 1.0 / st.maxLevel, u = std::ldexp(1.0, -24);
  std::vector<double> bound(static_cast<std::size_t>(S), 0.0);
  const Eigen::Index words = (st.rowsPerBlock + 63) / 64;
  std::vector<std::vector<std::uint64_t>> nonzero(static_cast<std::size_t>(S));
  for (int s = 0; s < S; ++s) {
    const bitplane::Levels& lv = st.levels[s];
    nonzero[s].assign(static_cast<std::size_t>(lm.rowBlocks * lv.cols() * words), 0);
    for (const Pack& p : lm.packs) {
      for (int rb = 0; rb < p.rowBlocks; ++rb) {
        const Eigen::Index grb = p.firstRowBlock + rb;
        const Eigen::Index r0 = p.rowStart + static_cast<Eigen::Index>(rb) * st.rowsPerBlock;
        const Eigen::Index rows = std::min<Eigen::Index>(st.rowsPerBlock, p.rowStart + p.rows - r0);
        const double gamma = static_cast<double>(rows) * u / (1.0 - static_cast<double>(rows) * u);
        // Row by row (the levels are row-major); each column's sums still run in increasing k.
        std::vector<double> sumErr(static_cast<std::size_t>(p.cols), 0.0), sumAbs(static_cast<std::size_t>(p.cols), 0.0);
        for (Eigen::Index k = r0; k < r0 + rows; ++k) {
          for (Eigen::Index j = 0; j < p.cols; ++j) {
            const Eigen::Index c = p.colStart + j;
            const double w = g(s, k, c);
            nonzero[s][static_cast<std::size_t>((grb * lv.cols() + c) * words + (k - r0) / 64)] |=
                static_cast<std::uint64_t>(w != 0.0) << ((k - r0) % 64);
            const double err = std::abs(w - lv(k, c) * scale);
            if (!(err <= 1e-5 * scale)) return false;
            sumErr[j] += err;
            sumAbs[j] += std::abs(w);
          }
        }
        for (Eigen::Index j = 0; j < p.cols; ++j) bound[s] = std::max(bound[s], sumErr[j] + gamma * sumAbs[j]);
      }
    }
  }
  st.levelScale = scale;
  st.levelBound = std::move(bound);
  st.nonzeroRows = std::move(nonzero);
  return true;
}

/// levelBounds() for a levels-only layer, whose weight of level v is levelValue[v + maxLevel]: a weight's
/// error and magnitude depend on its level alone, so each column's sums come from how many of its rows hold
/// each level (the same bound up to the order of the double additions). No non-zero masks: the float sum of
/// a levels-only layer adds the value of every driven row (a zero adds nothing).
bool digitBounds(AnalogLayerState& st, const LayerMapping& lm) {
  const int S = static_cast<int>(st.levels.size()), L = st.maxLevel, V = 2 * L + 1;
  const double scale = 1.0 / L, u = std::ldexp(1.0, -24);
  std::vector<double> err(static_cast<std::size_t>(V)), mag(static_cast<std::size_t>(V));
  for (int v = -L; v <= L; ++v) {
    const double w = st.levelValue[static_cast<std::size_t>(v + L)];
    err[static_cast<std::size_t>(v + L)] = std::abs(w - v * scale);
    mag[static_cast<std::size_t>(v + L)] = std::abs(w);
    if (!(err[static_cast<std::size_t>(v + L)] <= 1e-5 * scale)) return false;
  }
  std::vector<double> bound(static_cast<std::size_t>(S), 0.0);
  std::vector<std::int32_t> count;
  for (int s = 0; s < S; ++s) {
    const bitplane::Levels& lv = st.levels[s];
    for (const Pack& p : lm.packs) {
      for (int rb = 0; rb < p.rowBlocks; ++rb) {
        const Eigen::Index r0 = p.rowStart + static_cast<Eigen::Index>(rb) * st.rowsPerBlock;
        const Eigen::Index rows = std::min<Eigen::Index>(st.rowsPerBlock, p.rowStart + p.rows - r0);
        const double gamma = static_cast<double>(rows) * u / (1.0 - static_cast<double>(rows) * u);
        count.assign(static_cast<std::size_t>(p.cols * V), 0);
        for (Eigen::Index k = r0; k < r0 + rows; ++k) {
          const std::int8_t* row = &lv(k, p.colStart);
          for (Eigen::Index j = 0; j < p.cols; ++j) ++count[static_cast<std::size_t>(j * V + row[j] + L)];
        }
        for (Eigen::Index j = 0; j < p.cols; ++j) {
          double sumErr = 0.0, sumAbs = 0.0;
          for (int v = 0; v < V; ++v) {
            sumErr += count[static_cast<std::size_t>(j * V + v)] * err[static_cast<std::size_t>(v)];
            sumAbs += count[static_cast<std::size_t>(j * V + v)] * mag[static_cast<std::size_t>(v)];
          }
          bound[s] = std::max(bound[s], sumErr + gamma * sumAbs);
        }
      }
    }
  }
  st.levelScale = scale;
  st.levelBound = std::move(bound);
  st.nonzeroRows.clear();
  return true;
}

/// The exact-pass data of a programmed layer (AnalogLayerState::levels) from its effective weights:
/// level = nearest integer of gEff / levelScale per weight, accepted only if |level| ≤ maxLevel and
/// levelBounds() accepts it; otherwise st.levels stays empty.
void integerLevels(AnalogLayerState& st, const LayerMapping& lm, int maxLevel) {
  const int S = static_cast<int>(st.gEff.size());
  if (S == 0 || maxLevel <= 0 || static_cast<long>(st.rowsPerBlock) * maxLevel > 32767) return;
  std::vector<bitplane::Levels> levels(static_cast<std::size_t>(S));
  for (int s = 0; s < S; ++s) {
    const ColMatrix& g = st.gEff[s];
    levels[s] = bitplane::Levels::Zero(g.rows(), g.cols());
    for (const Pack& p : lm.packs) {
      for (Eigen::Index c = p.colStart; c < p.colStart + p.cols; ++c) {
        for (Eigen::Index k = p.rowStart; k < p.rowStart + p.rows; ++k) {
          const double level = std::nearbyint(static_cast<double>(g(k, c)) * maxLevel);
          if (!(std::abs(level) <= maxLevel)) return;
          levels[s](k, c) = static_cast<std::int8_t>(level);
        }
      }
    }
  }
  st.levels = std::move(levels);
  st.maxLevel = maxLevel;
  if (!levelBounds(st, lm, [&](int s, Eigen::Index k, Eigen::Index c) { return st.gEff[s](k, c); })) {
    st.levels.clear();
    st.maxLevel = 0;
  }
}

/// The effective weights of a levels-only layer's slice s over rows × cols from (r0, c0).
ColMatrix levelValues(const AnalogLayerState& st, int s, Eigen::Index r0, Eigen::Index c0, Eigen::Index rows,
                      Eigen::Index cols) {
  ColMatrix g(rows, cols);
  const float* value = st.levelValue.data() + st.maxLevel;
  for (Eigen::Index c = 0; c < cols; ++c)
    for (Eigen::Index k = 0; k < rows; ++k) g(k, c) = value[st.levels[s](r0 + k, c0 + c)];
  return g;
}
}  // namespace

ColMatrix AnalogLayerState::sliceWeights(int s) const {
  if (!gEff.empty()) return gEff[s];
  return levelValues(*this, s, 0, 0, levels[s].rows(), levels[s].cols());
}

struct FunctionalEngine::Context {
  Mode mode;
  const ChipInstance* chip;
  ChipInstance* calibrating;
  std::uint64_t dataTag;
  std::uint64_t firstImage;
  int threads;  // for the chunks of one analog step (calibration); 1 inside forChunks' workers
};

FunctionalEngine::FunctionalEngine(const wl::Program& program, const ChipParams& chip, const Mapping& mapping)
    : m_program(program),
      m_chip(chip),
      m_mapping(mapping),
      m_array(chip.array, chip.deviceNoise),
      m_denoiser(chip.denoiser),
      m_blocks(planDenoiserBlocks(program)),
      m_blockOfStep(program.steps.size(), -1) {
  requireDenoiserMode(program, m_blocks, chip.denoiser.mode);
  for (std::size_t b = 0; b < m_blocks.size(); ++b) {
    for (std::size_t k : m_blocks[b].steps) m_blockOfStep[k] = kBlockInner;
    m_blockOfStep[m_blocks[b].firstStep] = static_cast<int>(b);
  }
}

ChipInstance FunctionalEngine::programChip(std::uint64_t seed, double timeSeconds, int threads) const {
  ChipInstance inst;
  inst.seed = seed;
  inst.timeSeconds = timeSeconds;
  inst.layers.resize(m_mapping.layers.size());
  const CrossbarCore& xbar = m_array.crossbar();
  const double uniformVar = xbar.uniformReadVariance();
  const bool readNoise = uniformVar < 0.0;  // per-weight variances
  // Exact cells driven by 0/1 planes, with ADCs the exact passes can stand in for (no static errors, no
  // percentile range: those need every float sum): the layers are programmed as digits only, without the
  // float weights (ISAAC's ResNet-18: 8 slices × 11.7 M weights, 374 MB of floats); the float path builds
  // them when it is taken anyway (AnalogLayerState::sliceWeights).
  const AdcParams& adcp = m_chip.array.adc;
  // (An ideal ADC has no codes to decide: the exact passes do not apply.)
  const bool exactInputs = m_chip.array.xbar.weightBits > 0 && m_chip.array.dac.bitPlanes() && !adcp.ideal;
  const bool digitsOnly = m_exactPasses && exactInputs && xbar.exactCells() && uniformVar == 0.0 &&
                          !adcp.staticErrors() &&
                          !(adcp.range == AdcRange::Calibrated && adcp.calibrationPercentile < 100.0) &&
                          static_cast<long>(m_chip.array.xbar.rows) * xbar.cellLevels() <= 32767;
  const std::vector<CellValue> digitCells = digitsOnly ? xbar.digitCells() : std::vector<CellValue>{};
  // Layers are independent (every draw is keyed by layer and block), so they are programmed in parallel.
  auto programLayer = [&](size_t l) {
    const LayerMapping& lm = m_mapping.layers[l];
    const wl::Step& step = m_program.steps[lm.step];
    AnalogLayerState& st = inst.layers[l];
    const float maxAbs = step.weight.size() ? step.weight.cwiseAbs().maxCoeff() : 0.0f;
    st.weightScale = maxAbs > 0 ? maxAbs : 1.0f;
    st.rowsPerBlock = m_chip.array.xbar.rows;
    st.uniformReadVar = static_cast<float>(std::max(0.0, uniformVar));
    const Eigen::Index K = step.weight.rows(), C = step.weight.cols();
    // Weights outside every pack (between the groups of a grouped conv) are on no array: exactly zero.
    // Zero where no block lies (between the groups of a grouped conv); the blocks overwrite the rest.
    Eigen::Index packed = 0;
    for (const Pack& p : lm.packs)
      for (int rb = 0; rb < p.rowBlocks; ++rb)
        for (int cb = 0; cb < p.colBlocks; ++cb) {
          const ArrayBlock& b = lm.block(p, rb, 0, cb);
          packed += static_cast<Eigen::Index>(b.rows) * b.cols;
        }
    if (digitsOnly) {
      st.levels.assign(static_cast<std::size_t>(lm.slices), bitplane::Levels::Zero(K, C));
      st.maxLevel = xbar.cellLevels();
    } else {
      st.gEff.resize(static_cast<std::size_t>(lm.slices));
      for (ColMatrix& g : st.gEff) {
        g.resize(K, C);
        if (packed != K * C) g.setZero();
      }
    }
    if (readNoise) st.readVar.assign(lm.slices, ColMatrix::Zero(K, C));
    st.adcFullScale.assign(lm.slices, 0.0f);
    for (int s = 0; s < lm.slices; ++s) st.sliceWeight.push_back(xbar.sliceWeight(s));
    const bool perArray = m_chip.array.xbar.weightScaling == WeightScaling::Array;
    if (perArray) st.blockScale.assign(lm.rowBlocks, Eigen::RowVectorXf::Ones(C));
    if (digitsOnly)
      for (const CellValue& v : digitCells) st.levelValue.push_back(v.gEff);
    double gSumS = 0, devices = 0;  // programmed conductances, for the crossbar's data-aware read energy
    for (const Pack& p : lm.packs) {
      for (int rb = 0; rb < p.rowBlocks; ++rb) {
        const int grb = p.firstRowBlock + rb;
        for (int cb = 0; cb < p.colBlocks; ++cb) {
          const ArrayBlock& b = lm.block(p, rb, 0, cb);
          // Per-array scaling: the block's own max |W| maps to Gmax; its outputs are rescaled digitally.
          float scale = st.weightScale;
          if (perArray) {
            const float m = step.weight.block(b.rowStart, b.colStart, b.rows, b.cols).cwiseAbs().maxCoeff();
            scale = m > 0.0f ? m : st.weightScale;
            st.blockScale[grb].segment(b.colStart, b.cols).setConstant(scale / st.weightScale);
          }
          // One key per logical block (all its slices): the chip is the same whatever order blocks are made in.
          const std::uint64_t key = streamKey(seed, {kProgramTag, l, static_cast<std::uint64_t>(grb),
                                                     static_cast<std::uint64_t>(cb)});
          ProgrammedBlock pb;
          if (digitsOnly) {
            std::vector<Eigen::Ref<DigitMatrix>> dst;
            for (int s = 0; s < lm.slices; ++s) dst.emplace_back(st.levels[s].block(b.rowStart, b.colStart, b.rows, b.cols));
            pb = xbar.programDigits(step.weight.block(b.rowStart, b.colStart, b.rows, b.cols) / scale, dst);
          } else {
            std::vector<Eigen::Ref<ColMatrix>> dst;
            for (int s = 0; s < lm.slices; ++s) dst.emplace_back(st.gEff[s].block(b.rowStart, b.colStart, b.rows, b.cols));
            pb = xbar.program(step.weight.block(b.rowStart, b.colStart, b.rows, b.cols) / scale, key, timeSeconds, dst);
          }
          gSumS += pb.conductanceSumS;
          devices += pb.devices;
          for (int s = 0; s < lm.slices; ++s) {
            if (readNoise) st.readVar[s].block(b.rowStart, b.colStart, b.rows, b.cols) = pb.readVar[s];
          }
        }
      }
    }
    // The all-ones reference read (drift compensation, offset-coded inputs): Σ_i w_eff(i, j) per column.
    st.columnSums = Eigen::RowVectorXf::Zero(C);
    for (int s = 0; s < lm.slices; ++s) {
      for (const Pack& p : lm.packs) {
        for (int rb = 0; rb < p.rowBlocks; ++rb) {
          const Eigen::Index r0 = p.rowStart + static_cast<Eigen::Index>(rb) * st.rowsPerBlock;
          const Eigen::Index rows = std::min<Eigen::Index>(st.rowsPerBlock, p.rowStart + p.rows - r0);
          Eigen::RowVectorXf sums = digitsOnly
                                        ? levelValues(st, s, r0, p.colStart, rows, p.cols).colwise().sum().eval()
                                        : st.gEff[s].block(r0, p.colStart, rows, p.cols).colwise().sum().eval();
          if (perArray) sums = sums.cwiseProduct(st.blockScale[p.firstRowBlock + rb].segment(p.colStart, p.cols));
          st.columnSums.segment(p.colStart, p.cols) += st.sliceWeight[s] * sums;
        }
      }
    }
    st.referenceRead = st.columnSums.cast<double>().cwiseAbs().sum();
    // Bit-serial inputs on quantised cells without read noise: the passes can be exact integer sums.
    if (digitsOnly) {
      if (!digitBounds(st, lm)) {
        // Not integer levels after all (cannot happen for the mappings there are; kept safe): the weights.
        std::vector<ColMatrix> g;
        for (int s = 0; s < lm.slices; ++s) g.push_back(st.sliceWeights(s));
        st.gEff = std::move(g);
        st.levels.clear();
        st.levelValue.clear();
        st.maxLevel = 0;
      }
    } else if (exactInputs && !readNoise && uniformVar == 0.0) {
      integerLevels(st, lm, xbar.cellLevels());
    }
    // Mean programmed conductance of the layer's devices over Gmax: Gmin floor, both devices of a differential
    // pair, the mid-range devices of offset-mapped zero weights, variation, faults and drift all included.
    st.conductanceMean = devices > 0 ? gSumS / devices / m_chip.array.xbar.gMaxS : 0.0;
    const AdcParams& ap = m_chip.array.adc;
    if (ap.staticErrors()) {
      st.adcs.resize(static_cast<size_t>(lm.rowBlocks) * lm.slices);
      for (const Pack& p : lm.packs) {
        for (int rb = 0; rb < p.rowBlocks; ++rb) {
          const int grb = p.firstRowBlock + rb;
          for (int s = 0; s < lm.slices; ++s) {
            for (int cb = 0; cb < p.colBlocks; ++cb) {
              Rng rng(streamKey(seed, {kAdcTag, l, static_cast<std::uint64_t>(grb), static_cast<std::uint64_t>(s),
                                       static_cast<std::uint64_t>(cb)}));
              st.adcs[grb * lm.slices + s].push_back(m_array.adc().drawInstance(rng));
            }
          }
        }
      }
    }
  };
  // Largest layers first, so two threads finish together.
  std::vector<size_t> order(m_mapping.layers.size());
  for (size_t l = 0; l < order.size(); ++l) order[l] = l;
  auto cells = [&](size_t l) { return m_program.steps[m_mapping.layers[l].step].weight.size(); };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cells(x) > cells(y); });
  parallelFor(order.size(), threads, [&](size_t i) { programLayer(order[i]); });
  return inst;
}

void FunctionalEngine::calibrate(ChipInstance& chip, const RowMatrix& images, int threads) const {
  // An exact array with absolute (or no) activation noise has nothing to measure: no ADC or DAC range, no
  // relative σ, and the activity statistics keep their defaults in ideal mode anyway. Skip the pass.
  const ActivationNoiseMode noiseMode = m_chip.activationNoise.mode;
  if (m_chip.arrayModel == ArrayModel::Ideal && m_blocks.empty() &&
      (noiseMode == ActivationNoiseMode::None || noiseMode == ActivationNoiseMode::Absolute)) {
    for (size_t l = 0; l < chip.layers.size(); ++l) {
      const wl::Step& step = m_program.steps[static_cast<std::size_t>(m_mapping.layers[l].step)];
      chip.layers[l].activationSigma = static_cast<float>(m_chip.activationNoise.absoluteSigma(step.name, 0.0, 0.0));
    }
    chip.calibrated = true;
    return;
  }
  run(images, &chip, Mode::Calibrate, &chip, kCalibrationData, 0, threads);
  chip.calibrated = true;
}

void FunctionalEngine::adoptCalibration(const ChipInstance& calibrated, ChipInstance& aged,
                                        bool compensateDrift) const {
  for (size_t l = 0; l < aged.layers.size(); ++l) {
    const AnalogLayerState& c = calibrated.layers[l];
    AnalogLayerState& a = aged.layers[l];
    a.adcFullScale = c.adcFullScale;
    a.inputScale = c.inputScale;
    a.signedInput = c.signedInput;
    a.dacActivity = c.dacActivity;
    a.inputPower = c.inputPower;
    a.activationSigma = c.activationSigma;
    a.outputScale = compensateDrift && a.referenceRead > 0.0
                        ? static_cast<float>(c.referenceRead / a.referenceRead)
                        : 1.0f;
  }
  aged.denoiserFormats = calibrated.denoiserFormats;
  aged.calibrated = true;
}

// A denoiser block on the denoiser engine (DenoiserCore). Ideal mode: the exact float block in mean mode (the
// ONNX graph's math). On a chip: the engine's fixed-point arithmetic with formats calibrated on the
// calibration images (in the configured mode, so sample mode's y range includes σ·ε), in
// chip.denoiser.mode; sample mode takes ε of image n from the stream (chip seed, data, image, block), drawn
// by the Box-Muller GRNG model or ideally (chip.denoiser.epsilon), so the bits do not depend on the threads.
void FunctionalEngine::denoiserBlock(const DenoiserBlockPlan& b, std::size_t index, const RowMatrix& x,
                                     const Context& ctx, RowMatrix& y) const {
  if (ctx.mode == Mode::Ideal) {
    m_denoiser.run(b.shape, x, b.weights, nullptr, y);
    return;
  }
  DenoiserBlockShape shape = b.shape;
  shape.mode = m_chip.denoiser.mode;
  RowMatrix eps;
  if (shape.mode == DenoiserMode::Sample) {
    std::vector<std::uint64_t> keys(static_cast<std::size_t>(x.rows()));
    for (std::size_t n = 0; n < keys.size(); ++n)
      keys[n] = streamKey(ctx.chip->seed, {kEpsilonTag, ctx.dataTag, ctx.firstImage + n, static_cast<std::uint64_t>(b.id)});
    eps = drawEpsilon(m_chip.denoiser, keys, static_cast<Eigen::Index>(shape.elements()));
  }
  const RowMatrix* e = eps.size() ? &eps : nullptr;
  if (ctx.calibrating) {
    DenoiserRanges ranges;
    m_denoiser.run(shape, x, b.weights, e, y, &ranges);
    auto& formats = ctx.calibrating->denoiserFormats;
    formats.resize(m_blocks.size());
    formats[index] = m_denoiser.formatsFor(ranges);
  }
  if (ctx.chip->denoiserFormats.size() != m_blocks.size())
    throw std::logic_error("a chip instance runs denoiser blocks before calibrate() set their formats");
  m_denoiser.runFixed(shape, x, b.weights, ctx.chip->denoiserFormats[index], e, y);
}

RowMatrix FunctionalEngine::forward(const RowMatrix& images, const ChipInstance* chip, std::uint64_t firstImage) const {
  return run(images, chip, chip ? Mode::Run : Mode::Ideal, nullptr, kEvalData, firstImage, 1);
}

void FunctionalEngine::analogStep(const wl::Step& step, int l, const RowMatrix& x, const Context& ctx,
                                  RowMatrix& out) const {
  const int images = static_cast<int>(x.rows());
  const Eigen::Index P = step.vectorsPerImage();
  const Eigen::Index K = step.weight.rows();
  const Eigen::Index C = step.weight.cols();
  // Dense steps with several vectors per image (MatMul on [N, ..., K]): the batch viewed as (N·P) × K rows.
  auto vectorRows = [&](const RowMatrix& m, RowMatrix& rows) {
    rows = Eigen::Map<const RowMatrix>(m.data(), m.rows() * P, K);
  };
  auto toOutput = [&](RowMatrix& y) {
    if (step.isConv) {
      kernels::rowsToNchw(y, images, out);
    } else if (P == 1) {
      out = std::move(y);
    } else {
      out = Eigen::Map<const RowMatrix>(y.data(), images, P * C);
    }
  };
  RowMatrix cols;
  // A conv's patch matrix: implicit over zero-padded planes for stride 1 (no im2col copy), else explicit
  // (im2col, or a dense layer's transposed inputs). view() reads a buffer (or a DAC pass of it) as one.
  const bool implicit = step.isConv && PatchRows::implicitFits(step.window);
  auto view = [&](const RowMatrix& buffer) {
    return implicit ? PatchRows::conv(buffer, step.window) : PatchRows::dense(buffer);
  };
  auto patches = [&](const Eigen::Ref<const RowMatrix>& in, RowMatrix& buffer) {
    if (implicit) {
      kernels::padPlanes(in, step.window, buffer);
    } else {
      kernels::im2col(in, step.window, buffer);
    }
    return view(buffer);
  };
  // Exact float x·W + b as (N·P) × C rows: ideal mode and noise.array: ideal (denoiser blocks never come
  // here: run() gives them to the denoiser engine). Convs multiply the patch matrix.
  auto exact = [&] {
    RowMatrix y;
    if (step.isConv) {
      const PatchRows px = patches(x, cols);
      if (step.groups == 1) {
        gemmPatch(px, step.weight, y);
      } else {  // only the diagonal blocks: the rest of the weight matrix is structurally zero
        y.resize(px.vectors(), C);
        RowMatrix part;
        const Eigen::Index kg = step.rowsPerGroup(), cg = step.colsPerGroup();
        for (Eigen::Index g = 0; g < step.groups; ++g) {
          gemmPatch(px.rowBlock(g * kg, kg), step.weight.block(g * kg, g * cg, kg, cg), part);
          y.middleCols(g * cg, cg) = part;
        }
      }
    } else {  // dense: groups == 1
      if (P != 1) vectorRows(x, cols);
      y.noalias() = (P != 1 ? cols : x) * step.weight;
    }
    y.rowwise() += step.bias.transpose();
    return y;
  };
  if (ctx.mode == Mode::Ideal) {
    RowMatrix y = exact();
    toOutput(y);
    return;
  }

  AnalogLayerState* cal = ctx.calibrating ? &ctx.calibrating->layers[l] : nullptr;
  const AnalogLayerState& L = ctx.chip->layers[l];
  RowMatrix z;
  // The layer output's activation noise (calibrating its σ first), then the output layout.
  auto addActivationNoise = [&](RowMatrix& y) {
    if (cal && y.size()) {
      const double mean = y.mean();
      const double sd = std::sqrt(std::max(0.0, static_cast<double>(y.array().square().mean()) - mean * mean));
      cal->activationSigma =
          static_cast<float>(m_chip.activationNoise.absoluteSigma(step.name, y.cwiseAbs().maxCoeff(), sd));
    }
    if (L.activationSigma > 0.0f) {
      fillNormals(z, P, C, images, ctx.chip->seed, kActivationTag, ctx.dataTag, ctx.firstImage,
                  {static_cast<std::uint64_t>(l)});
      y += L.activationSigma * z;
    }
    toOutput(y);
  };
  // noise.array: ideal: the exact layer output, perturbed only by activation noise (DAC activity and input
  // power keep their defaults).
  if (m_chip.arrayModel == ArrayModel::Ideal) {
    RowMatrix y = exact();
    addActivationNoise(y);
    return;
  }
  // Digital side: normalise the layer input to the DAC's full scale (kept to rescale the result): each
  // image's own max |x| (dynamic) or the layer's calibrated max (larger inputs clip in the DAC).
  Eigen::VectorXf imageScale = x.cwiseAbs().rowwise().maxCoeff();
  imageScale = imageScale.unaryExpr([](float s) { return s > 0.0f ? s : 1.0f; });
  if (m_chip.array.dac.range == DacRange::Calibrated) {
    if (cal) cal->inputScale = imageScale.size() ? imageScale.maxCoeff() : 1.0f;
    imageScale.setConstant(L.inputScale > 0.0f ? L.inputScale : 1.0f);
  }
  RowMatrix xNorm = imageScale.cwiseInverse().asDiagonal() * x;
  if (cal) cal->signedInput = x.size() && x.minCoeff() < 0.0f;
  m_array.dac().convert(xNorm, L.signedInput);
  const LayerMapping& lm = m_mapping.layers[static_cast<std::size_t>(l)];

  // The layer runs in chunks of whole images whose patch matrix (K × P per image) fits in a core's L2 cache
  // (~48 K values = 192 kB, at least one image): im2col writes it, the DAC passes copy it and every array
  // pass streams it from cache instead of memory (with 128-image chunks the arrays' GEMMs waited on DRAM).
  // Every noise draw is keyed by the image, so chunking changes no random draw.
  const int chunk = static_cast<int>(std::clamp<Eigen::Index>(kCacheValues / std::max<Eigen::Index>(1, P * K), 1,
                                                             std::max(1, images)));
  const int chunks = (images + chunk - 1) / chunk;
  // A chunk's working buffers: chunks run in parallel when calibrating (ctx.threads; a run's chunks of
  // kChunkImages are already spread over the threads by forChunks).
  struct Scratch {
    RowMatrix cols, part, z;
    std::vector<InputPass> passes;  // the DAC's passes (phases, bit planes), each converted by the ADC
    std::vector<CodePhase> phases;  // exact passes: the bit-serial DAC's phases as integer codes (no planes)
  };
  const int R = L.rowsPerBlock;
  const int S = L.slices();
  const bool readNoise = !L.readVar.empty() || L.uniformReadVar > 0.0f;
  const AdcParams& adcParams = m_chip.array.adc;
  const bool percentile = cal && adcParams.range == AdcRange::Calibrated && adcParams.calibrationPercentile < 100.0;
  const bool exactOk = m_exactPasses && !L.levels.empty() && !readNoise && L.adcs.empty() &&
                     m_array.dac().params().bitPlanes() && !m_chip.array.adc.ideal;
  // The DAC's passes for images [i0, i0 + n), kept transposed (K × vectors, one column per input vector) as
  // im2col builds them. For the exact passes they stay integer codes in the layout of cols (planes() builds
  // the float planes if the float path is taken after all).
  auto prepare = [&](int i0, int n, Scratch& sc) {
    if (step.isConv) {
      patches(xNorm.middleRows(i0, n), sc.cols);
    } else {
      sc.cols = Eigen::Map<const RowMatrix>(xNorm.row(i0).data(), static_cast<Eigen::Index>(n) * P, K).transpose();
    }
    if (exactOk) {
      m_array.dac().decomposeCodes(sc.cols, L.signedInput, sc.phases);
    } else {
      m_array.dac().decompose(std::move(sc.cols), L.signedInput, sc.passes);
    }
  };
  auto planes = [&](Scratch& sc) -> const std::vector<InputPass>& {
    if (sc.passes.empty()) m_array.dac().decompose(static_cast<const RowMatrix&>(sc.cols), L.signedInput, sc.passes);
    return sc.passes;
  };
  // What the exact passes read: the code phases (or, without them, the float planes).
  auto exactInput = [&](Scratch& sc) {
    ExactInput in;
    if (!sc.phases.empty()) {
      std::vector<bitplane::Nibbles::CodeSource> sources;
      for (const CodePhase& ph : sc.phases) {
        sources.push_back({ph.codes.data(), ph.bits});
        for (int b = 0; b < ph.bits; ++b) in.weights.push_back(ph.passWeight(b));
      }
      in.pack = [layout = view(sc.cols), sources](bitplane::Nibbles& nib, Eigen::Index r0, Eigen::Index rows,
                                                  Eigen::Index v0, Eigen::Index v1) {
        nib.packCodes(layout, sources, r0, rows, v0, v1);
        return true;
      };
      return in;
    }
    std::vector<PatchRows> px;
    for (const InputPass& ps : planes(sc)) {
      px.push_back(view(ps.x));
      in.weights.push_back(ps.weight);
    }
    in.pack = [px](bitplane::Nibbles& nib, Eigen::Index r0, Eigen::Index rows, Eigen::Index v0, Eigen::Index v1) {
      return nib.pack(px, r0, rows, v0, v1);
    };
    return in;
  };

  // Every pass of a chunk converted and recombined; maxAbs / samples, if given, receive per slice the max |pre-ADC
  // sum| and every pre-ADC sum (calibration).
  auto accumulate = [&](bool quantise, std::vector<float>* maxAbs, std::vector<std::vector<float>>* samples, int i0,
                        int n, Scratch& sc) {
    RowMatrix& part = sc.part;
    RowMatrix acc = RowMatrix::Zero(static_cast<Eigen::Index>(n) * P, C);
    // Bit planes on integer cell levels: the same bits from exact integer sums (exactPasses), split over
    // the threads the chunk has.
    if (exactOk && !samples && quantise != (maxAbs != nullptr)) {
      const int threads = std::max(1, ctx.threads / chunks);
      if (exactPasses(L, lm, exactInput(sc), acc.rows(), threads, quantise ? &acc : nullptr, maxAbs)) {
        const float offset = m_array.dac().offsetScale(L.signedInput);
        if (offset != 0.0f) acc.rowwise() -= offset * L.columnSums;
        return acc;
      }
    }
    const std::vector<InputPass>& passes = planes(sc);
    std::vector<PatchRows> px;
    for (const InputPass& ps : passes) px.push_back(view(ps.x));
    std::vector<ColMatrix> built;  // a levels-only layer's weights, where the exact passes could not run
    if (L.gEff.empty())
      for (int s = 0; s < S; ++s) built.push_back(L.sliceWeights(s));
    const std::vector<ColMatrix>& gEff = L.gEff.empty() ? built : L.gEff;
    for (int s = 0; s < S; ++s) {
      const float fs = quantise ? L.adcFullScale[s] : 0.0f;
      float* mx = maxAbs ? &(*maxAbs)[s] : nullptr;
      for (const Pack& p : lm.packs) {
        for (int rb = 0; rb < p.rowBlocks; ++rb) {
          const int grb = p.firstRowBlock + rb;
          const Eigen::Index r0 = p.rowStart + static_cast<Eigen::Index>(rb) * R;
          const Eigen::Index rows = std::min<Eigen::Index>(R, p.rowStart + p.rows - r0);
          const std::vector<AdcInstance>* adcs = L.adcs.empty() ? nullptr : &L.adcs[grb * S + s];
          for (size_t k = 0; k < passes.size(); ++k) {
            const PatchRows xk = px[k].rowBlock(r0, rows);
            const auto gk = gEff[s].block(r0, p.colStart, rows, p.cols);
            if (readNoise) {
              fillNormals(sc.z, P, p.cols, n, ctx.chip->seed, kReadNoiseTag, ctx.dataTag,
                          ctx.firstImage + static_cast<std::uint64_t>(i0),
                          {static_cast<std::uint64_t>(l), static_cast<std::uint64_t>(s),
                           static_cast<std::uint64_t>(grb), k});
              if (L.readVar.empty()) {
                m_array.pass(xk, gk, L.uniformReadVar, sc.z, fs, part, mx, adcs);
              } else {
                m_array.pass(xk, gk, L.readVar[s].block(r0, p.colStart, rows, p.cols), sc.z, fs, part, mx, adcs);
              }
            } else {
              m_array.pass(xk, gk, fs, part, mx, adcs);
            }
            if (samples) (*samples)[s].insert((*samples)[s].end(), part.data(), part.data() + part.size());
            if (!L.blockScale.empty()) part.array().rowwise() *= L.blockScale[grb].segment(p.colStart, p.cols).array();
            acc.middleCols(p.colStart, p.cols) += (passes[k].weight * L.sliceWeight[s]) * part;
          }
        }
      }
    }
    // Offset-coded inputs carry a Σw term per column; the digital side removes it with the reference read.
    const float offset = m_array.dac().offsetScale(L.signedInput);
    if (offset != 0.0f) acc.rowwise() -= offset * L.columnSums;
    return acc;
  };
  bool fused = false;  // calibration's one chunk done by fused exact passes: fusedY is the layer's output
  RowMatrix fusedY;
  if (cal) {
    const bool measure = adcParams.range == AdcRange::Calibrated;
    struct ChunkStats {
      double nonzero = 0, power = 0, total = 0;
      std::vector<float> maxAbs;
      std::vector<std::vector<float>> samples;
    };
    std::vector<ChunkStats> stats(static_cast<std::size_t>(chunks));
    // One chunk on exact passes: measure each slice's range and quantise in one walk (exactPasses, fused).
    const bool fuse = exactOk && measure && !percentile && chunks == 1;
    parallelFor(stats.size(), ctx.threads, [&](std::size_t ci) {
      ChunkStats& st = stats[ci];
      Scratch sc;
      const int i0 = static_cast<int>(ci) * chunk, n = std::min(chunk, images - i0);
      prepare(i0, n, sc);
      // Over the patch matrix (every conversion the DAC makes), per input vector in float, then in double:
      // the total does not depend on the chunking.
      for (const CodePhase& ph : sc.phases) {
        // The phase's 0/1 planes together: per entry the count of its 1 bits (|x| = x² = 1 for each), the same
        // exact integer totals the planes one by one give.
        const RowMatrix ones = ph.codes.unaryExpr([](std::int32_t m) { return static_cast<float>(__builtin_popcount(static_cast<unsigned>(m))); });
        const PatchRows pr = view(ones);
        const double count = patchRowSums(pr, RowSum::Abs).cast<double>().sum();
        st.nonzero += count;
        st.power += count;
        st.total += static_cast<double>(pr.rows()) * static_cast<double>(pr.vectors()) * ph.bits;
      }
      for (const InputPass& ps : sc.passes) {
        const PatchRows pr = view(ps.x);
        st.nonzero += patchRowSums(pr, RowSum::Abs).cast<double>().sum();  // driven level: a unit cell per level
        st.power += patchRowSums(pr, RowSum::Square).cast<double>().sum();
        st.total += static_cast<double>(pr.rows()) * static_cast<double>(pr.vectors());
      }
      if (fuse) {
        fusedY = RowMatrix::Zero(static_cast<Eigen::Index>(n) * P, C);
        fused = exactPasses(L, lm, exactInput(sc), fusedY.rows(), ctx.threads, &fusedY, nullptr, &cal->adcFullScale);
        if (fused) {
          const float offset = m_array.dac().offsetScale(L.signedInput);
          if (offset != 0.0f) fusedY.rowwise() -= offset * L.columnSums;
          return;
        }
      }
      if (measure) {
        st.maxAbs.assign(S, 0.0f);
        if (percentile) st.samples.resize(S);
        accumulate(false, &st.maxAbs, percentile ? &st.samples : nullptr, i0, n, sc);
      }
    });
    // Reduced in chunk order: the same totals whatever the thread count.
    double nonzero = 0, power = 0, total = 0;
    std::vector<float> maxAbs(S, 0.0f);
    std::vector<std::vector<float>> samples(percentile ? S : 0);  // pre-ADC sums seen in calibration
    for (const ChunkStats& st : stats) {
      nonzero += st.nonzero;
      power += st.power;
      total += st.total;
      for (size_t s = 0; s < st.maxAbs.size(); ++s) maxAbs[s] = std::max(maxAbs[s], st.maxAbs[s]);
      for (size_t s = 0; s < st.samples.size(); ++s)
        samples[s].insert(samples[s].end(), st.samples[s].begin(), st.samples[s].end());
    }
    cal->dacActivity = total > 0 ? nonzero / total : 0.0;
    cal->inputPower = total > 0 ? std::min(1.0, power / total) : 0.0;
    switch (adcParams.range) {
      case AdcRange::Calibrated: {
        for (int s = 0; s < S && !fused; ++s) {  // (fused: set by exactPasses, the same way)
          float f = maxAbs[s];
          if (percentile && !samples[s].empty()) {
            const Eigen::Map<const RowMatrix> v(samples[s].data(), 1, static_cast<Eigen::Index>(samples[s].size()));
            f = AdcCore::percentileAbs(v, adcParams.calibrationPercentile);
          }
          cal->adcFullScale[s] = f > 0.0f ? f : 1.0f;
        }
        break;
      }
      case AdcRange::FullScale:
        std::fill(cal->adcFullScale.begin(), cal->adcFullScale.end(), static_cast<float>(R));  // rows × 1 × 1
        break;
      case AdcRange::Fixed:
        std::fill(cal->adcFullScale.begin(), cal->adcFullScale.end(), m_array.adc().fixedFullScale());
        break;
    }
  }
  RowMatrix y(fused ? 0 : static_cast<Eigen::Index>(images) * P, fused ? 0 : C);
  if (fused) y = std::move(fusedY);
  parallelFor(static_cast<std::size_t>(fused ? 0 : chunks), ctx.threads, [&](std::size_t ci) {
    Scratch sc;
    const int i0 = static_cast<int>(ci) * chunk, n = std::min(chunk, images - i0);
    prepare(i0, n, sc);
    y.middleRows(static_cast<Eigen::Index>(i0) * P, static_cast<Eigen::Index>(n) * P) =
        accumulate(true, nullptr, nullptr, i0, n, sc);
  });

  // Digital side: undo the normalisations (image scale × weight scale), compensate drift, add the bias.
  Eigen::VectorXf rowScale(y.rows());
  for (int n = 0; n < images; ++n) {
    rowScale.segment(n * P, P).setConstant(imageScale[n] * L.weightScale * L.outputScale);
  }
  y = rowScale.asDiagonal() * y;
  y.rowwise() += step.bias.transpose();
  addActivationNoise(y);
}

namespace {
/// The ideal ADC (AdcCore::convert) applied to p = N·scale in float: clip to ±F, × 1/Δ, round half away
/// from zero, × Δ. Only used for the N where it is checked to equal the conversion of every float sum
/// the float path can produce for that N (exactPasses).
struct AdcOfN {
  float scale, fs, step, inv;
  float operator()(int n) const {
    const float p = static_cast<float>(n) * scale;
    const float t = std::min(std::max(p, -fs), fs) * inv;
    return static_cast<float>(static_cast<int>(t + (t < 0.0f ? -0.5f : 0.5f))) * step;
  }
};
constexpr int kMaxAmbiguous = 4;  // N per slice whose conversion the integer sum alone does not decide
}  // namespace

bool FunctionalEngine::exactPasses(const AnalogLayerState& L, const LayerMapping& lm, const ExactInput& in,
                                   Eigen::Index vectors, int threads, RowMatrix* acc, std::vector<float>* maxAbs,
                                   std::vector<float>* fullScaleOut) const {
  using namespace bitplane;
  const int S = L.slices(), B = static_cast<int>(in.weights.size());
  const int R = L.rowsPerBlock;
  const int nLimit = R * L.maxLevel;  // |N| of any pass
  const int words = (R + 63) / 64;    // row masks of a block
  const Eigen::Index C = L.levels.front().cols();
  const double scale = L.levelScale;
  const float scaleF = static_cast<float>(scale);
  const bool fused = fullScaleOut != nullptr;  // measure each slice's range, set it, then quantise
  // What the float path computes for a pass of integer sum N lies within N·scale ± bound (bound < scale/2:
  // the ranges of different N do not overlap, so the largest |float sum| belongs to the largest |N|). The
  // bound also covers N·scale evaluated in float (AdcOfN).
  std::vector<double> bound(S);
  for (int s = 0; s < S; ++s) {
    bound[s] = L.levelBound[s] + nLimit * (std::abs(static_cast<double>(scaleF) - scale) + scale * std::ldexp(1.0, -23));
    if (!(2.0 * bound[s] < scale)) return false;
  }
  if (acc && !fused) {
    for (int s = 0; s < S; ++s)
      if (!(L.adcFullScale[s] > 0.0f)) return false;  // not calibrated: the float path passes raw sums
  }
  // Quantising slice s at full scale fs: the N whose conversion is not decided by N alone (the conversions of
  // the two ends of its range differ, or AdcOfN differs from them) take the float path's exact sum.
  const Eigen::Index nValues = 2 * static_cast<Eigen::Index>(nLimit) + 1;
  std::vector<AdcOfN> adcOf(S);
  std::vector<std::array<int, kMaxAmbiguous>> ambiguous(S);  // the first kMaxAmbiguous, padded with INT_MIN
  std::vector<std::vector<std::uint8_t>> isAmbiguous(S);     // all of them, indexed N + nLimit (if more)
  auto setupAdc = [&](int s, float fs) {
    const AdcCore& adc = m_array.adc();
    RowMatrix lo(1, nValues), hi(1, nValues);
    const float step = fs / static_cast<float>(adc.levelsPerSign());
    adcOf[s] = {scaleF, fs, step, 1.0f / step};
    for (Eigen::Index i = 0; i < nValues; ++i) {
      const double mid = static_cast<double>(i - nLimit) * scale;
      float a = static_cast<float>(mid - bound[s]), b = static_cast<float>(mid + bound[s]);
      if (a > mid - bound[s]) a = std::nextafter(a, -INFINITY);
      if (b < mid + bound[s]) b = std::nextafter(b, INFINITY);
      lo(0, i) = a;
      hi(0, i) = b;
    }
    adc.convert(lo, fs);
    adc.convert(hi, fs);
    int count = 0;
    ambiguous[s].fill(std::numeric_limits<int>::min());
    isAmbiguous[s].clear();
    for (Eigen::Index i = 0; i < nValues; ++i) {
      const int N = static_cast<int>(i) - nLimit;
      if (lo(0, i) == hi(0, i) && adcOf[s](N) == lo(0, i)) continue;
      if (count < kMaxAmbiguous) ambiguous[s][count] = N;
      if (count == kMaxAmbiguous) {  // more than the fast check holds: a lookup per output (slower, same bits)
        isAmbiguous[s].assign(static_cast<std::size_t>(nValues), 0);
        for (int j = 0; j < kMaxAmbiguous; ++j) isAmbiguous[s][static_cast<std::size_t>(ambiguous[s][j] + nLimit)] = 1;
      }
      if (count >= kMaxAmbiguous) isAmbiguous[s][static_cast<std::size_t>(i)] = 1;
      ++count;
    }
  };
  if (acc && !fused)
    for (int s = 0; s < S; ++s) setupAdc(s, L.adcFullScale[s]);

  struct Block {
    const Pack* pack;
    Eigen::Index r0, rows;
    int grb;
    Eigen::Index tileCols;     // columns of its tiles (a multiple of kTileCols)
    Eigen::Index storeOffset;  // fused: its first kept column
  };
  std::vector<Block> blocks;
  Eigen::Index storeCols = 0;  // fused: kept sums per vector and plane, all blocks of a slice
  for (const Pack& p : lm.packs) {
    for (int rb = 0; rb < p.rowBlocks; ++rb) {
      const Eigen::Index r0 = p.rowStart + static_cast<Eigen::Index>(rb) * R;
      const Eigen::Index tileCols = (p.cols + kTileCols - 1) / kTileCols * kTileCols;
      blocks.push_back(
          {&p, r0, std::min<Eigen::Index>(R, p.rowStart + p.rows - r0), p.firstRowBlock + rb, tileCols, storeCols});
      storeCols += tileCols;
    }
  }
  // Vectors split over threads in contiguous ranges: each output is computed by one thread in the float
  // path's order (slice, pack, row block, pass), so the result does not depend on the split.
  const int parts = static_cast<int>(std::clamp<Eigen::Index>(vectors / 16, 1, std::max(1, threads)));
  struct Part {
    Eigen::Index v0 = 0, v1 = 0;
    std::vector<Nibbles> nibbles;                  // per block
    std::vector<std::vector<std::uint16_t>> live;  // per block, per vector: its groups with a 1 in some plane
    std::vector<std::vector<int>> liveCount;
    std::vector<std::vector<std::uint32_t>> livePlanes;  // per block, per vector: its planes with a 1
    bool ok = true;
    std::vector<int> maxN;
    std::vector<float> maxF;
    std::vector<std::int16_t> store;  // fused: [vector][block tiles][plane][kTileCols] sums of one slice
  };
  std::vector<Part> part(static_cast<std::size_t>(parts));
  for (int t = 0; t < parts; ++t) {
    part[t].v0 = vectors * t / parts;
    part[t].v1 = vectors * (t + 1) / parts;
  }
  parallelFor(part.size(), parts, [&](std::size_t t) {
    Part& pt = part[t];
    pt.nibbles.resize(blocks.size());
    pt.live.resize(blocks.size());
    pt.liveCount.resize(blocks.size());
    pt.livePlanes.resize(blocks.size());
    for (std::size_t i = 0; i < blocks.size() && pt.ok; ++i) {
      Nibbles& nib = pt.nibbles[i];
      pt.ok = in.pack(nib, blocks[i].r0, blocks[i].rows, pt.v0, pt.v1);
      pt.live[i].resize(static_cast<std::size_t>(nib.vectors()) * nib.groups());
      pt.liveCount[i].resize(static_cast<std::size_t>(nib.vectors()));
      pt.livePlanes[i].resize(static_cast<std::size_t>(nib.vectors()));
      for (Eigen::Index v = 0; v < nib.vectors(); ++v)
        pt.liveCount[i][v] = nib.liveGroups(v, pt.live[i].data() + static_cast<std::size_t>(v) * nib.groups(),
                                            &pt.livePlanes[i][v]);
    }
    pt.maxN.assign(S, -1);
    pt.maxF.assign(S, 0.0f);
    if (fused) pt.store.resize(static_cast<std::size_t>(pt.v1 - pt.v0) * B * storeCols);
  });
  for (const Part& pt : part)
    if (!pt.ok) return false;  // not 0/1 planes

  // The float path's exact sum of one output (column c0 + c of block i, plane b, local vector v).
  auto floatOf = [&](const Part& pt, std::size_t i, int s, Eigen::Index c0, Eigen::Index v, int b, int c,
                     std::uint64_t* active) {
    const Block& bl = blocks[i];
    const Nibbles& nib = pt.nibbles[i];
    activeRows(nib.at(b, 0) + v, nib.vectors(), nib.groups(), active);
    if (L.gEff.empty()) {  // every driven row of the block (activeRows sets the words its groups cover)
      const bitplane::Levels& lv = L.levels[s];
      const int blockWords = (nib.groups() * kGroupRows + 63) / 64;
      return floatSum(active, blockWords, &lv(bl.r0, c0 + c), lv.outerStride(), L.levelValue.data() + L.maxLevel);
    }
    const std::uint64_t* nonzero = L.nonzeroRows[s].data() + (static_cast<Eigen::Index>(bl.grb) * C + c0 + c) * words;
    return floatSum(active, nonzero, words, L.gEff[s].col(c0 + c).data() + bl.r0);
  };
  // Calibration: the largest |N| and the largest |float sum| among the outputs of that |N|.
  auto measure = [&](Part& pt, std::size_t i, int s, Eigen::Index c0, int nc, Eigen::Index v, const std::int16_t* N,
                     std::uint64_t* active) {
    const std::uint32_t live = pt.livePlanes[i][static_cast<std::size_t>(v)];
    for (int b = 0; b < B; ++b) {
      if (b < kMaxPlanes && !((live >> b) & 1u)) continue;  // no 1 in the plane: sums and float sums are 0
      const std::int16_t* n = N + b * kTileCols;
      int m = 0;
      for (int c = 0; c < nc; ++c) m = std::max(m, std::abs(static_cast<int>(n[c])));
      if (m < pt.maxN[s]) continue;
      for (int c = 0; c < nc; ++c) {
        const int a = std::abs(static_cast<int>(n[c]));
        if (a < pt.maxN[s]) continue;
        const float f = std::abs(floatOf(pt, i, s, c0, v, b, c, active));
        pt.maxF[s] = a > pt.maxN[s] ? f : std::max(pt.maxF[s], f);
        pt.maxN[s] = a;
      }
    }
  };
  // Quantising: each pass's sums through the ADC, recombined into acc (the float path's arithmetic).
  auto quantise = [&](const Part& pt, std::size_t i, int s, Eigen::Index c0, int nc, Eigen::Index v,
                      const std::int16_t* N, float* val, std::uint64_t* active) {
    const Block& bl = blocks[i];
    const float* bs = L.blockScale.empty() ? nullptr : L.blockScale[bl.grb].data() + c0;
    float* out = acc->row(pt.v0 + v).data() + c0;
    const AdcOfN adcN = adcOf[s];
    const int a0 = ambiguous[s][0], a1 = ambiguous[s][1], a2 = ambiguous[s][2], a3 = ambiguous[s][3];
    const std::uint8_t* many = isAmbiguous[s].empty() ? nullptr : isAmbiguous[s].data() + nLimit;
    const float sliceWeight = L.sliceWeight[s];
    const std::uint32_t live = pt.livePlanes[i][static_cast<std::size_t>(v)];
    for (int b = 0; b < B; ++b) {
      // No 1 in the plane: the float path's pass is exactly 0 and adds nothing (acc += w·0).
      if (b < kMaxPlanes && !((live >> b) & 1u)) continue;
      const std::int16_t* n = N + b * kTileCols;
      int hit = 0;
      for (int c = 0; c < nc; ++c) {
        const int x = n[c];
        val[c] = adcN(x);
        hit |= (x == a0) | (x == a1) | (x == a2) | (x == a3);
      }
      if (many) {
        for (int c = 0; c < nc; ++c) hit |= many[n[c]];
      }
      if (hit) {
        for (int c = 0; c < nc; ++c) {
          const int x = n[c];
          if (many ? !many[x] : (x != a0 && x != a1 && x != a2 && x != a3)) continue;
          float f = floatOf(pt, i, s, c0, v, b, c, active);
          m_array.adc().convert(Eigen::Map<RowMatrix>(&f, 1, 1), adcN.fs);
          val[c] = f;
        }
      }
      const float w = in.weights[static_cast<std::size_t>(b)] * sliceWeight;
      if (bs) {
        for (int c = 0; c < nc; ++c) val[c] *= bs[c];
      }
      // The float path's own expression (acc += w·part), so it compiles to the same arithmetic.
      Eigen::Map<Eigen::ArrayXf>(out, nc) += w * Eigen::Map<const Eigen::ArrayXf>(val, nc);
    }
  };
  // One slice over a part's vectors: the table walks, then `sink(block, c0, nc, v, sums of every plane)`.
  auto walk = [&](Part& pt, int s, auto&& sink) {
    const Eigen::Index nv = pt.v1 - pt.v0;
    LevelTable table;
    std::vector<std::int16_t> N(static_cast<std::size_t>(B) * kTileCols);  // per plane: kTileCols sums
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const Block& bl = blocks[i];
      const Nibbles& nib = pt.nibbles[i];
      const Pack& p = *bl.pack;
      const Eigen::Index planeStride = nib.at(1 % std::max(1, B), 0) - nib.at(0, 0);
      for (Eigen::Index c0 = p.colStart; c0 < p.colStart + p.cols; c0 += kTileCols) {
        const int nc = static_cast<int>(std::min<Eigen::Index>(kTileCols, p.colStart + p.cols - c0));
        table.build(L.levels[s].block(bl.r0, c0, bl.rows, nc));
        for (Eigen::Index v = 0; v < nv; ++v) {
          const std::uint16_t* live = pt.live[i].data() + static_cast<std::size_t>(v) * table.groups();
          table.sums(nib.at(0, 0) + v, planeStride, B, nv, live, pt.liveCount[i][v], N.data(), pt.livePlanes[i][v]);
          sink(i, c0, nc, v, N.data());
        }
      }
    }
  };
  if (!fused) {
    parallelFor(part.size(), parts, [&](std::size_t t) {
      Part& pt = part[t];
      std::vector<std::uint64_t> active(static_cast<std::size_t>(words));
      alignas(64) float val[kTileCols];
      for (int s = 0; s < S; ++s) {
        walk(pt, s, [&](std::size_t i, Eigen::Index c0, int nc, Eigen::Index v, const std::int16_t* N) {
          if (acc) {
            quantise(pt, i, s, c0, nc, v, N, val, active.data());
          } else {
            measure(pt, i, s, c0, nc, v, N, active.data());
          }
        });
      }
    });
    if (maxAbs) {
      for (const Part& pt : part)
        for (int s = 0; s < S; ++s) (*maxAbs)[s] = std::max((*maxAbs)[s], pt.maxF[s]);
    }
  } else {
    // One chunk: each slice's sums are kept while its range is measured (max over every part), then
    // quantised from the kept sums: the walk runs once instead of twice.
    for (int s = 0; s < S; ++s) {
      parallelFor(part.size(), parts, [&](std::size_t t) {
        Part& pt = part[t];
        std::vector<std::uint64_t> active(static_cast<std::size_t>(words));
        walk(pt, s, [&](std::size_t i, Eigen::Index c0, int nc, Eigen::Index v, const std::int16_t* N) {
          const Eigen::Index col = blocks[i].storeOffset + (c0 - blocks[i].pack->colStart);
          std::int16_t* kept = pt.store.data() + (static_cast<std::size_t>(v) * storeCols + col) * B;
          std::copy(N, N + static_cast<std::ptrdiff_t>(B) * kTileCols, kept);
          measure(pt, i, s, c0, nc, v, N, active.data());
        });
      });
      float f = 0.0f;  // as the float path's calibration: the max over chunks, 1 if nothing was seen
      for (const Part& pt : part) f = std::max(f, pt.maxF[s]);
      (*fullScaleOut)[s] = f > 0.0f ? f : 1.0f;
      setupAdc(s, (*fullScaleOut)[s]);
      parallelFor(part.size(), parts, [&](std::size_t t) {
        Part& pt = part[t];
        std::vector<std::uint64_t> active(static_cast<std::size_t>(words));
        alignas(64) float val[kTileCols];
        for (std::size_t i = 0; i < blocks.size(); ++i) {
          const Pack& p = *blocks[i].pack;
          for (Eigen::Index c0 = p.colStart; c0 < p.colStart + p.cols; c0 += kTileCols) {
            const int nc = static_cast<int>(std::min<Eigen::Index>(kTileCols, p.colStart + p.cols - c0));
            const Eigen::Index col = blocks[i].storeOffset + (c0 - p.colStart);
            for (Eigen::Index v = 0; v < pt.v1 - pt.v0; ++v)
              quantise(pt, i, s, c0, nc, v, pt.store.data() + (static_cast<std::size_t>(v) * storeCols + col) * B, val,
                       active.data());
          }
        }
      });
    }
  }
  ++m_exactChunks;
  return true;
}

RowMatrix FunctionalEngine::run(const RowMatrix& images, const ChipInstance* chip, Mode mode,
                                ChipInstance* calibrating, std::uint64_t dataTag, std::uint64_t firstImage,
                                int threads) const {
  const Context ctx{mode, chip, calibrating, dataTag, firstImage, threads};
  std::vector<RowMatrix> buf(m_program.buffers.size());
  buf[m_program.input] = images;
  // A buffer is freed after the last step reading it (the output is kept): a batch holds only live tensors.
  std::vector<std::size_t> lastUse(m_program.buffers.size(), 0);
  for (size_t s = 0; s < m_program.steps.size(); ++s)
    for (int b : m_program.steps[s].inputs) lastUse[static_cast<std::size_t>(b)] = s;
  for (size_t s = 0; s < m_program.steps.size(); ++s) {
    const wl::Step& step = m_program.steps[s];
    const RowMatrix& x = buf[step.inputs.at(0)];
    RowMatrix out;
    // Denoiser blocks run whole on the denoiser engine at their first step; their other steps are skipped.
    if (const int block = m_blockOfStep[s]; block != -1) {
      if (block >= 0) {
        const DenoiserBlockPlan& b = m_blocks[static_cast<std::size_t>(block)];
        denoiserBlock(b, static_cast<std::size_t>(block), buf[b.input], ctx, buf[b.output]);
      }
      for (int in : step.inputs)
        if (lastUse[static_cast<std::size_t>(in)] == s && in != m_program.output) buf[static_cast<std::size_t>(in)] = RowMatrix();
      continue;
    }
    switch (step.kind) {
      case wl::StepKind::AnalogGemm: analogStep(step, m_mapping.layerOfStep[s], x, ctx, out); break;
      case wl::StepKind::Activation:
        out = x;
        kernels::activation(out, step.activation, step.alpha, step.beta);
        break;
      case wl::StepKind::Softmax:
        out = x;
        kernels::softmax(out, step.outer, step.axisLen, step.inner);
        break;
      case wl::StepKind::MaxPool: kernels::maxPool(x, step.window, out); break;
      case wl::StepKind::AvgPool: kernels::avgPool(x, step.window, step.countIncludePad, out); break;
      case wl::StepKind::GlobalAvgPool:
        kernels::globalAvgPool(x, static_cast<int>(step.inShape.at(0)), out);
        break;
      case wl::StepKind::Binary: binaryStep(step, buf, out); break;
      case wl::StepKind::Gather: kernels::gather(x, step.indexMap, out); break;
      case wl::StepKind::Concat: {
        std::vector<const RowMatrix*> xs;
        for (int b : step.inputs) xs.push_back(&buf[b]);
        kernels::concat(xs, step.concatBlock, step.outer, out);
        break;
      }
      case wl::StepKind::Reshape: out = x; break;
      case wl::StepKind::Affine: kernels::affine(x, step.scale, step.shift, out); break;
    }
    buf[step.output] = std::move(out);
    for (int b : step.inputs)
      if (lastUse[static_cast<std::size_t>(b)] == s && b != m_program.output) buf[static_cast<std::size_t>(b)] = RowMatrix();
  }
  return std::move(buf[m_program.output]);
}

/// Broadcast operands (index maps) then the arithmetic; a constant operand is already expanded.
void FunctionalEngine::binaryStep(const wl::Step& step, const std::vector<RowMatrix>& buf, RowMatrix& out) {
  RowMatrix a, b;
  const RowMatrix& x0 = buf[step.inputs.at(0)];
  if (!step.indexMap.empty()) kernels::gather(x0, step.indexMap, a);
  const RowMatrix& A = step.indexMap.empty() ? x0 : a;
  if (step.constantIndex >= 0) {
    kernels::binaryConstant(A, step.constant, step.constantIndex == 0, step.binary, out);
    return;
  }
  const RowMatrix& x1 = buf[step.inputs.at(1)];
  if (!step.indexMap2.empty()) kernels::gather(x1, step.indexMap2, b);
  kernels::binary(A, step.indexMap2.empty() ? x1 : b, step.binary, out);
}

void FunctionalEngine::forChunks(std::size_t images, int threads,
                                 const std::function<void(std::size_t, std::size_t)>& fn) const {
  const std::size_t chunks = (images + kChunkImages - 1) / kChunkImages;
  parallelFor(chunks, threads, [&](std::size_t c) {
    const std::size_t begin = c * kChunkImages;
    fn(begin, std::min<std::size_t>(kChunkImages, images - begin));
  });
}

std::uint64_t FunctionalEngine::countCorrect(const RowMatrix& images, const std::vector<int>& labels,
                                             const ChipInstance* chip, int threads,
                                             const std::function<void(std::uint64_t)>& onProgress) const {
  std::atomic<std::uint64_t> correct{0};
  forChunks(static_cast<std::size_t>(images.rows()), threads, [&](std::size_t begin, std::size_t count) {
    const RowMatrix logits = forward(images.middleRows(begin, count), chip, begin);
    std::uint64_t ok = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Eigen::Index arg = 0;
      logits.row(i).maxCoeff(&arg);
      ok += arg == labels[begin + i];
    }
    correct += ok;
    if (onProgress) onProgress(count);
  });
  return correct;
}

RowMatrix FunctionalEngine::logits(const RowMatrix& images, const ChipInstance* chip, int threads) const {
  const Eigen::Index outs = wl::numel(m_program.buffers[m_program.output]);
  RowMatrix all(images.rows(), outs);
  forChunks(static_cast<std::size_t>(images.rows()), threads, [&](std::size_t begin, std::size_t count) {
    all.middleRows(begin, count) = forward(images.middleRows(begin, count), chip, begin);
  });
  return all;
}

}  // namespace mxsim
