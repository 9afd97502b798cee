#include "sim/engine/functional_engine.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "models/digital/digital.h"
#include "sim/core/rng.h"

namespace mxsim {

namespace {
constexpr std::uint64_t kVariationStream = 0x5641524941544eull;  // "VARIATN": static programming draws
}

FunctionalEngine::FunctionalEngine(const wl::Program& program, const ChipParams& chip, const Mapping& mapping)
    : m_program(program), m_chip(chip), m_mapping(mapping), m_array(chip.array, chip.variation) {}

ChipInstance FunctionalEngine::programChip(std::uint64_t seed) const {
  ChipInstance inst;
  inst.seed = seed;
  inst.layers.resize(m_mapping.layers.size());
  for (size_t l = 0; l < m_mapping.layers.size(); ++l) {
    const LayerMapping& lm = m_mapping.layers[l];
    const wl::Step& step = m_program.steps[lm.step];
    AnalogLayerState& st = inst.layers[l];
    const float maxAbs = step.weight.size() ? step.weight.cwiseAbs().maxCoeff() : 0.0f;
    st.weightScale = maxAbs > 0 ? maxAbs : 1.0f;
    st.rowsPerBlock = m_chip.array.xbar.rows;
    st.gEff.resize(step.weight.rows(), step.weight.cols());
    for (size_t b = 0; b < lm.blocks.size(); ++b) {
      const ArrayBlock& blk = lm.blocks[b];
      // One independent stream per physical array: the chip is the same whatever order blocks are made in.
      Rng rng(streamKey(seed, {kVariationStream, static_cast<std::uint64_t>(blk.arrayIndex)}));
      const ColMatrix wNorm = step.weight.block(blk.rowStart, blk.colStart, blk.rows, blk.cols) / st.weightScale;
      st.gEff.block(blk.rowStart, blk.colStart, blk.rows, blk.cols) = m_array.crossbar().program(wNorm, rng);
    }
  }
  return inst;
}

void FunctionalEngine::calibrate(ChipInstance& chip, const RowMatrix& images) const {
  run(images, &chip, Mode::Calibrate, &chip);
  chip.calibrated = true;
}

RowMatrix FunctionalEngine::forward(const RowMatrix& images, const ChipInstance* chip) const {
  return run(images, chip, chip ? Mode::Run : Mode::Ideal, nullptr);
}

void FunctionalEngine::analogStep(const wl::Step& step, const RowMatrix& x, const AnalogLayerState* layer,
                                  Mode mode, AnalogLayerState* calibrating, RowMatrix& out) const {
  const int images = static_cast<int>(x.rows());
  const Eigen::Index P = step.vectorsPerImage();
  RowMatrix cols;
  if (mode == Mode::Ideal) {
    if (step.isConv) kernels::im2col(x, step.window, cols);
    const RowMatrix& in = step.isConv ? cols : x;
    RowMatrix y = in * step.weight;
    y.rowwise() += step.bias.transpose();
    if (step.isConv) {
      kernels::rowsToNchw(y, images, out);
    } else {
      out = std::move(y);
    }
    return;
  }

  // Digital side: normalise each image's layer input by its max |x| (kept to rescale the result).
  Eigen::VectorXf imageScale = x.cwiseAbs().rowwise().maxCoeff();
  imageScale = imageScale.unaryExpr([](float s) { return s > 0.0f ? s : 1.0f; });
  RowMatrix xNorm = imageScale.cwiseInverse().asDiagonal() * x;
  if (calibrating) calibrating->signedInput = x.size() && x.minCoeff() < 0.0f;
  const bool signedInput = calibrating ? calibrating->signedInput : layer->signedInput;
  m_array.dac().convert(xNorm, signedInput);
  if (step.isConv) kernels::im2col(xNorm, step.window, cols);
  const RowMatrix& in = step.isConv ? cols : xNorm;

  const int R = layer->rowsPerBlock;
  const Eigen::Index K = step.weight.rows();
  auto accumulate = [&](float fullScale, float* maxAbs) {
    RowMatrix acc = RowMatrix::Zero(in.rows(), step.weight.cols());
    RowMatrix part;
    for (Eigen::Index r0 = 0; r0 < K; r0 += R) {
      const Eigen::Index rows = std::min<Eigen::Index>(R, K - r0);
      m_array.mvm(in.middleCols(r0, rows), layer->gEff.middleRows(r0, rows), signedInput, fullScale, part, maxAbs);
      acc += part;
    }
    return acc;
  };
  float fullScale = layer->adcFullScale;
  if (calibrating) {
    if (m_chip.array.adc.range == AdcRange::Calibrated) {
      float maxAbs = 0.0f;
      accumulate(0.0f, &maxAbs);
      fullScale = maxAbs > 0.0f ? maxAbs : 1.0f;
    } else {
      fullScale = static_cast<float>(R);  // the largest sum an array can produce: rows × 1 × 1
    }
    calibrating->adcFullScale = fullScale;
  }
  RowMatrix y = accumulate(fullScale, nullptr);
  // Digital side: undo the normalisations (per-vector image scale × layer weight scale), add the bias.
  Eigen::VectorXf rowScale(y.rows());
  for (int n = 0; n < images; ++n) rowScale.segment(n * P, P).setConstant(imageScale[n] * layer->weightScale);
  y = rowScale.asDiagonal() * y;
  y.rowwise() += step.bias.transpose();
  if (step.isConv) {
    kernels::rowsToNchw(y, images, out);
  } else {
    out = std::move(y);
  }
}

RowMatrix FunctionalEngine::run(const RowMatrix& images, const ChipInstance* chip, Mode mode,
                                ChipInstance* calibrating) const {
  std::vector<RowMatrix> buf(m_program.buffers.size());
  buf[m_program.input] = images;
  for (size_t s = 0; s < m_program.steps.size(); ++s) {
    const wl::Step& step = m_program.steps[s];
    const RowMatrix& x = buf[step.inputs.at(0)];
    RowMatrix out;
    switch (step.kind) {
      case wl::StepKind::AnalogGemm: {
        const int l = m_mapping.layerOfStep[s];
        AnalogLayerState* cal = calibrating ? &calibrating->layers[l] : nullptr;
        const AnalogLayerState* layer = chip ? &chip->layers[l] : nullptr;
        analogStep(step, x, layer, mode, cal, out);
        break;
      }
      case wl::StepKind::Relu:
        out = x;
        kernels::relu(out);
        break;
      case wl::StepKind::MaxPool: kernels::maxPool(x, step.window, out); break;
      case wl::StepKind::GlobalAvgPool:
        kernels::globalAvgPool(x, static_cast<int>(step.inShape.at(0)), out);
        break;
      case wl::StepKind::Add: out = x + buf[step.inputs.at(1)]; break;
      case wl::StepKind::Reshape: out = x; break;
      case wl::StepKind::Affine: kernels::affine(x, step.scale, step.shift, out); break;
    }
    buf[step.output] = std::move(out);
  }
  return std::move(buf[m_program.output]);
}

void FunctionalEngine::forChunks(std::size_t images, int threads,
                                 const std::function<void(std::size_t, std::size_t)>& fn) const {
  const std::size_t chunks = (images + kChunkImages - 1) / kChunkImages;
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex errorMutex;
  auto worker = [&] {
    for (std::size_t c = next++; c < chunks; c = next++) {
      try {
        const std::size_t begin = c * kChunkImages;
        fn(begin, std::min<std::size_t>(kChunkImages, images - begin));
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(chunks)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

std::uint64_t FunctionalEngine::countCorrect(const RowMatrix& images, const std::vector<int>& labels,
                                             const ChipInstance* chip, int threads,
                                             const std::function<void(std::uint64_t)>& onProgress) const {
  std::atomic<std::uint64_t> correct{0};
  forChunks(static_cast<std::size_t>(images.rows()), threads, [&](std::size_t begin, std::size_t count) {
    const RowMatrix logits = forward(images.middleRows(begin, count), chip);
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
    all.middleRows(begin, count) = forward(images.middleRows(begin, count), chip);
  });
  return all;
}

}  // namespace mxsim
