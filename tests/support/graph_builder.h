// Builds small layer graphs (convolutions, ReLU, max pooling, residual adds, a final dense layer) for the
// dataflow timing tests, with random weights: shapes are what the tests care about.
#pragma once
#include <string>

#include "tests/support/program_fixtures.h"

namespace mxsim::testing {

class GraphBuilder {
 public:
  GraphBuilder(int c, int h, int w) {
    m_p.modelPath = "<graph>";
    m_p.buffers.push_back({c, h, w});
    m_p.input = 0;
  }
  const wl::Shape& shape(int buf) const { return m_p.buffers[static_cast<std::size_t>(buf)]; }
  int input() const { return 0; }

  int conv(int in, int outC, int k, int stride, int pad, std::uint64_t seed = 1) {
    const wl::Shape s = shape(in);
    wl::Step st;
    st.kind = wl::StepKind::AnalogGemm;
    st.op = "Conv";
    st.isConv = true;
    Window& w = st.window;
    w.kernelH = w.kernelW = k;
    w.strideH = w.strideW = stride;
    w.padTop = w.padLeft = w.padBottom = w.padRight = pad;
    w.inC = static_cast<int>(s[0]);
    w.inH = static_cast<int>(s[1]);
    w.inW = static_cast<int>(s[2]);
    w.outH = (w.inH + 2 * pad - k) / stride + 1;
    w.outW = (w.inW + 2 * pad - k) / stride + 1;
    st.weight = randomMatrix(w.inC * k * k, outC, seed + m_p.steps.size());
    st.bias = Eigen::VectorXf::Zero(outC);
    return add(std::move(st), {in}, {outC, w.outH, w.outW});
  }
  int relu(int in) {
    wl::Step st;
    st.kind = wl::StepKind::Activation;
    st.op = "Relu";
    return add(std::move(st), {in}, shape(in));
  }
  int maxPool(int in, int k = 2) {
    const wl::Shape s = shape(in);
    wl::Step st;
    st.kind = wl::StepKind::MaxPool;
    st.op = "MaxPool";
    Window& w = st.window;
    w.kernelH = w.kernelW = k;
    w.strideH = w.strideW = k;
    w.inC = static_cast<int>(s[0]);
    w.inH = static_cast<int>(s[1]);
    w.inW = static_cast<int>(s[2]);
    w.outH = w.inH / k;
    w.outW = w.inW / k;
    return add(std::move(st), {in}, {s[0], w.outH, w.outW});
  }
  int addSkip(int a, int b) {
    wl::Step st;
    st.kind = wl::StepKind::Binary;
    st.op = "Add";
    return add(std::move(st), {a, b}, shape(a));
  }
  int flatten(int in) {
    wl::Step st;
    st.kind = wl::StepKind::Reshape;
    st.op = "Flatten";
    return add(std::move(st), {in}, {wl::numel(shape(in))});
  }
  int dense(int in, int out, std::uint64_t seed = 7) {
    wl::Step st;
    st.kind = wl::StepKind::AnalogGemm;
    st.op = "Gemm";
    st.weight = randomMatrix(static_cast<int>(wl::numel(shape(in))), out, seed + m_p.steps.size());
    st.bias = Eigen::VectorXf::Zero(out);
    return add(std::move(st), {in}, {out});
  }
  wl::Program finish(int out) {
    m_p.output = out;
    return m_p;
  }

 private:
  int add(wl::Step st, std::vector<int> inputs, wl::Shape out) {
    st.name = st.op + std::to_string(m_p.steps.size());
    st.inputs = std::move(inputs);
    st.inShape = shape(st.inputs.front());
    st.outShape = out;
    m_p.buffers.push_back(std::move(out));
    st.output = static_cast<int>(m_p.buffers.size()) - 1;
    m_p.steps.push_back(std::move(st));
    return m_p.steps.back().output;
  }
  wl::Program m_p;
};

}  // namespace mxsim::testing
