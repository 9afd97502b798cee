// Small hand-built Programs and a naive double-precision reference executor for tests: the reference
// shares no code with the engine (direct convolution loops, no im2col, no Eigen products).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "sim/core/rng.h"
#include "workloads/ir/program.h"

namespace mxsim::testing {

inline Eigen::MatrixXf randomMatrix(int r, int c, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Rng rng(streamKey(seed, {static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)}));
  Eigen::MatrixXf m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = lo + (hi - lo) * static_cast<float>(rng.uniform());
  return m;
}

/// conv(inC→outC, k×k, stride, pad) → relu → maxpool 2×2/2 → flatten → gemm(→classes)
inline wl::Program smallCnn(int inC = 2, int H = 8, int outC = 3, int k = 3, int stride = 1, int pad = 1,
                            int classes = 4, std::uint64_t seed = 5) {
  wl::Program p;
  p.modelPath = "<test>";
  int buf = 0;
  p.buffers.push_back({inC, H, H});
  p.input = buf;
  wl::Step conv;
  conv.kind = wl::StepKind::AnalogGemm;
  conv.name = "conv";
  conv.op = "Conv";
  conv.isConv = true;
  Window& w = conv.window;
  w.kernelH = w.kernelW = k;
  w.strideH = w.strideW = stride;
  w.padTop = w.padLeft = w.padBottom = w.padRight = pad;
  w.inC = inC;
  w.inH = w.inW = H;
  w.outH = w.outW = (H + 2 * pad - k) / stride + 1;
  conv.weight = randomMatrix(inC * k * k, outC, seed);
  conv.bias = randomMatrix(outC, 1, seed + 1, -0.1f, 0.1f).col(0);
  conv.inputs = {0};
  conv.inShape = {inC, H, H};
  conv.outShape = {outC, w.outH, w.outW};
  p.buffers.push_back(conv.outShape);
  conv.output = ++buf;
  p.steps.push_back(conv);

  wl::Step relu;
  relu.kind = wl::StepKind::Activation;  // activation defaults to Relu
  relu.name = "relu";
  relu.op = "Relu";
  relu.inputs = {buf};
  relu.inShape = relu.outShape = conv.outShape;
  p.buffers.push_back(relu.outShape);
  relu.output = ++buf;
  p.steps.push_back(relu);

  wl::Step pool;
  pool.kind = wl::StepKind::MaxPool;
  pool.name = "pool";
  pool.op = "MaxPool";
  pool.window.kernelH = pool.window.kernelW = 2;
  pool.window.strideH = pool.window.strideW = 2;
  pool.window.inC = outC;
  pool.window.inH = pool.window.inW = w.outH;
  pool.window.outH = pool.window.outW = w.outH / 2;
  pool.inputs = {buf};
  pool.inShape = conv.outShape;
  pool.outShape = {outC, w.outH / 2, w.outH / 2};
  p.buffers.push_back(pool.outShape);
  pool.output = ++buf;
  p.steps.push_back(pool);

  wl::Step flat;
  flat.kind = wl::StepKind::Reshape;
  flat.name = "flatten";
  flat.op = "Flatten";
  flat.inputs = {buf};
  flat.inShape = pool.outShape;
  flat.outShape = {wl::numel(pool.outShape)};
  p.buffers.push_back(flat.outShape);
  flat.output = ++buf;
  p.steps.push_back(flat);

  wl::Step fc;
  fc.kind = wl::StepKind::AnalogGemm;
  fc.name = "fc";
  fc.op = "Gemm";
  fc.weight = randomMatrix(static_cast<int>(flat.outShape[0]), classes, seed + 2);
  fc.bias = randomMatrix(classes, 1, seed + 3, -0.1f, 0.1f).col(0);
  fc.inputs = {buf};
  fc.inShape = flat.outShape;
  fc.outShape = {classes};
  p.buffers.push_back(fc.outShape);
  fc.output = ++buf;
  p.steps.push_back(fc);
  p.output = buf;
  return p;
}

/// A chain of fully connected layers widths[0] → widths[1] → … (one vector per image each), no activations:
/// layer i is a widths[i] × widths[i+1] analog GEMM named "fc<i>".
inline wl::Program denseChain(const std::vector<int>& widths, std::uint64_t seed = 11) {
  wl::Program p;
  p.modelPath = "<test>";
  p.buffers.push_back({widths.front()});
  p.input = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    wl::Step fc;
    fc.kind = wl::StepKind::AnalogGemm;
    fc.name = "fc" + std::to_string(i);
    fc.op = "Gemm";
    fc.weight = randomMatrix(widths[i], widths[i + 1], seed + 2 * i);
    fc.bias = randomMatrix(widths[i + 1], 1, seed + 2 * i + 1, -0.1f, 0.1f).col(0);
    fc.inputs = {static_cast<int>(i)};
    fc.inShape = {widths[i]};
    fc.outShape = {widths[i + 1]};
    p.buffers.push_back(fc.outShape);
    fc.output = static_cast<int>(i + 1);
    p.steps.push_back(fc);
  }
  p.output = static_cast<int>(widths.size() - 1);
  return p;
}

/// A single grouped 3×3 convolution (pad 1) with `groups` groups: block-diagonal K × Cout weights, as the
/// importer lowers it (group g: rows g·(C/groups)·9.., columns g·(outC/groups)..).
inline wl::Program groupedConv(int C = 6, int H = 5, int outC = 6, int groups = 3, std::uint64_t seed = 9) {
  wl::Program p;
  p.modelPath = "<test>";
  p.buffers.push_back({C, H, H});
  wl::Step conv;
  conv.kind = wl::StepKind::AnalogGemm;
  conv.name = "gconv";
  conv.op = "Conv";
  conv.isConv = true;
  conv.groups = groups;
  Window& w = conv.window;
  w.kernelH = w.kernelW = 3;
  w.padTop = w.padLeft = w.padBottom = w.padRight = 1;
  w.inC = C;
  w.inH = w.inW = w.outH = w.outW = H;
  const int kg = C / groups * 9, cg = outC / groups;
  conv.weight = Eigen::MatrixXf::Zero(C * 9, outC);
  for (int g = 0; g < groups; ++g)
    conv.weight.block(g * kg, g * cg, kg, cg) = randomMatrix(kg, cg, seed + static_cast<std::uint64_t>(g));
  conv.bias = randomMatrix(outC, 1, seed + 100, -0.1f, 0.1f).col(0);
  conv.inputs = {0};
  conv.inShape = {C, H, H};
  conv.outShape = {outC, H, H};
  p.buffers.push_back(conv.outShape);
  conv.output = 1;
  p.steps.push_back(conv);
  p.output = 1;
  return p;
}

/// Naive grouped convolution of groupedConv() for one image: each output channel reads only its group's
/// input channels (double precision, direct loops over the dense per-group kernel).
inline std::vector<double> referenceGroupedConv(const wl::Program& p, const float* image) {
  const wl::Step& conv = p.steps[0];
  const Window& w = conv.window;
  const int outC = static_cast<int>(conv.weight.cols()), groups = conv.groups;
  const int cinG = w.inC / groups, coutG = outC / groups;
  std::vector<double> y(static_cast<size_t>(outC) * w.outH * w.outW);
  for (int o = 0; o < outC; ++o) {
    const int g = o / coutG;
    for (int oh = 0; oh < w.outH; ++oh)
      for (int ow = 0; ow < w.outW; ++ow) {
        double acc = conv.bias[o];
        for (int c = g * cinG; c < (g + 1) * cinG; ++c)
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
              const int h = oh - w.padTop + i, x = ow - w.padLeft + j;
              if (h < 0 || h >= w.inH || x < 0 || x >= w.inW) continue;
              acc += static_cast<double>(image[(c * w.inH + h) * w.inW + x]) * conv.weight((c * 3 + i) * 3 + j, o);
            }
        y[(o * w.outH + oh) * w.outW + ow] = acc;
      }
  }
  return y;
}

/// Naive reference of smallCnn's graph for one image (double precision, direct loops).
inline std::vector<double> referenceForward(const wl::Program& p, const float* image) {
  const wl::Step& conv = p.steps[0];
  const Window& w = conv.window;
  const int outC = static_cast<int>(conv.weight.cols());
  std::vector<double> y(static_cast<size_t>(outC) * w.outH * w.outW);
  for (int o = 0; o < outC; ++o)
    for (int oh = 0; oh < w.outH; ++oh)
      for (int ow = 0; ow < w.outW; ++ow) {
        double acc = conv.bias[o];
        for (int c = 0; c < w.inC; ++c)
          for (int i = 0; i < w.kernelH; ++i)
            for (int j = 0; j < w.kernelW; ++j) {
              const int h = oh * w.strideH - w.padTop + i, x = ow * w.strideW - w.padLeft + j;
              if (h < 0 || h >= w.inH || x < 0 || x >= w.inW) continue;
              acc += static_cast<double>(image[(c * w.inH + h) * w.inW + x]) *
                     conv.weight((c * w.kernelH + i) * w.kernelW + j, o);
            }
        y[(o * w.outH + oh) * w.outW + ow] = std::max(acc, 0.0);
      }
  const int ph = w.outH / 2;
  std::vector<double> pooled(static_cast<size_t>(outC) * ph * ph);
  for (int o = 0; o < outC; ++o)
    for (int a = 0; a < ph; ++a)
      for (int b = 0; b < ph; ++b) {
        double m = -1e300;
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) m = std::max(m, y[(o * w.outH + 2 * a + i) * w.outW + 2 * b + j]);
        pooled[(o * ph + a) * ph + b] = m;
      }
  const wl::Step& fc = p.steps[4];
  std::vector<double> logits(fc.weight.cols());
  for (Eigen::Index c = 0; c < fc.weight.cols(); ++c) {
    double acc = fc.bias[c];
    for (Eigen::Index k = 0; k < fc.weight.rows(); ++k) acc += pooled[k] * fc.weight(k, c);
    logits[c] = acc;
  }
  return logits;
}

}  // namespace mxsim::testing
