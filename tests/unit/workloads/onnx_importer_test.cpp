// ONNX importer: models are built programmatically with the onnx protobuf API, written to a temp file and
// imported, so each test states exactly the graph it exercises.
#include "workloads/onnx/onnx_importer.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <numeric>
#include <string>
#include <vector>

#include "sim/core/error.h"

namespace mxsim::wl {
namespace {

// ---- model building ----

void setInts(onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}

void setInt(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void setFloat(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void setString(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

/// Deterministic, distinct, non-trivial values.
std::vector<float> ramp(std::size_t n, float scale = 0.01f, float offset = -0.3f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = offset + scale * static_cast<float>((i * 7) % 61);
  return v;
}

std::size_t count(const std::vector<std::int64_t>& dims) {
  return static_cast<std::size_t>(std::accumulate(dims.begin(), dims.end(), std::int64_t{1}, std::multiplies<>()));
}

class ModelBuilder {
 public:
  ModelBuilder() {
    m_model.set_ir_version(8);
    auto* opset = m_model.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    m_model.mutable_graph()->set_name("test");
  }

  onnx::GraphProto& graph() { return *m_model.mutable_graph(); }
  onnx::ModelProto& model() { return m_model; }

  /// A float graph input; dims include the batch, -1 makes a dimension symbolic.
  ModelBuilder& input(const std::string& name, std::vector<std::int64_t> dims) {
    valueInfo(graph().add_input(), name, dims);
    return *this;
  }
  ModelBuilder& output(const std::string& name, std::vector<std::int64_t> dims = {}) {
    valueInfo(graph().add_output(), name, dims);
    return *this;
  }

  /// A FLOAT initializer; `raw` stores it as little-endian raw_data instead of float_data.
  ModelBuilder& init(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& values,
                     bool raw = false) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    if (raw)
      t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    else
      for (auto v : values) t->add_float_data(v);
    return *this;
  }
  ModelBuilder& initRamp(const std::string& name, std::vector<std::int64_t> dims, float scale = 0.01f,
                         float offset = -0.3f) {
    return init(name, dims, ramp(count(dims), scale, offset));
  }
  ModelBuilder& initInt64(const std::string& name, const std::vector<std::int64_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (auto v : values) t->add_int64_data(v);
    return *this;
  }

  onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  /// Serializes to ::testing::TempDir()/<file> and returns the path.
  std::string save(const std::string& file) const {
    const std::string path = ::testing::TempDir() + file;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    EXPECT_TRUE(m_model.SerializeToOstream(&out)) << path;
    return path;
  }

 private:
  static void valueInfo(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<std::int64_t>& dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    if (dims.empty()) return;
    auto* shape = tt->mutable_shape();
    for (auto d : dims) {
      auto* dim = shape->add_dim();
      if (d < 0)
        dim->set_dim_param("N");
      else
        dim->set_dim_value(d);
    }
  }

  onnx::ModelProto m_model;
};

/// W[o][c][i][j] of a row-major Cout×Cin×kH×kW tensor.
float at4(const std::vector<float>& w, const std::vector<std::int64_t>& d, int o, int c, int i, int j) {
  return w[static_cast<std::size_t>(((o * d[1] + c) * d[2] + i) * d[3] + j)];
}

const Step& onlyStep(const Program& p, StepKind kind) {
  const Step* found = nullptr;
  for (const auto& s : p.steps)
    if (s.kind == kind) {
      EXPECT_EQ(found, nullptr) << "more than one " << stepKindName(kind) << " step";
      found = &s;
    }
  if (!found) throw std::runtime_error(std::string("no step of kind ") + stepKindName(kind));
  return *found;
}

/// Asserts importOnnx(path) throws ModelError, and that its single-line message names the file and
/// contains every `parts` entry.
void expectModelError(const std::string& path, std::initializer_list<std::string> parts) {
  EXPECT_THROW(importOnnx(path), ModelError);
  try {
    importOnnx(path);
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << "message must start with the file path: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message must be one line: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  }
}

void expectNear(double expected, float actual, double relTol = 1e-6) {
  EXPECT_NEAR(actual, expected, relTol * std::max(1.0, std::abs(expected)));
}

// ---- Conv ----

TEST(OnnxImporter, ConvWithAsymmetricPadsAndStride2) {
  const std::vector<std::int64_t> wDims = {4, 3, 3, 2};
  const auto w = ramp(count(wDims));
  ModelBuilder b;
  b.input("x", {-1, 3, 9, 8}).output("y", {-1, 4, 5, 4});
  b.init("w", wDims, w, /*raw=*/true).init("b", {4}, {0.5f, -1.0f, 2.0f, 0.25f});
  b.input("w", wDims);  // older exporters list initializers as graph inputs too: not a real input
  auto& conv = b.node("Conv", {"x", "w", "b"}, {"y"}, "conv1");
  setInts(conv, "strides", {2, 2});
  setInts(conv, "pads", {1, 0, 2, 1});  // top, left, bottom, right
  setInts(conv, "kernel_shape", {3, 2});
  const auto path = b.save("conv.onnx");

  const Program p = importOnnx(path);
  EXPECT_EQ(p.modelPath, path);
  EXPECT_EQ(p.inputName, "x");
  EXPECT_EQ(p.outputName, "y");
  EXPECT_EQ(p.buffers[static_cast<std::size_t>(p.input)], (Shape{3, 9, 8}));
  ASSERT_EQ(p.steps.size(), 1u);
  const Step& s = p.steps[0];
  EXPECT_EQ(s.kind, StepKind::AnalogGemm);
  EXPECT_TRUE(s.isConv);
  EXPECT_EQ(s.name, "conv1");
  EXPECT_EQ(s.op, "Conv");
  EXPECT_EQ(s.inputs, std::vector<int>{p.input});
  EXPECT_EQ(s.output, p.output);
  // outH = floor((9 + 1 + 2 - 1*(3-1) - 1) / 2) + 1 = 5; outW = floor((8 + 0 + 1 - 1*(2-1) - 1) / 2) + 1 = 4.
  const Window& win = s.window;
  EXPECT_EQ(win.kernelH, 3);
  EXPECT_EQ(win.kernelW, 2);
  EXPECT_EQ(win.strideH, 2);
  EXPECT_EQ(win.strideW, 2);
  EXPECT_EQ(win.padTop, 1);
  EXPECT_EQ(win.padLeft, 0);
  EXPECT_EQ(win.padBottom, 2);
  EXPECT_EQ(win.padRight, 1);
  EXPECT_EQ(win.dilationH, 1);
  EXPECT_EQ(win.dilationW, 1);
  EXPECT_EQ(win.inC, 3);
  EXPECT_EQ(win.inH, 9);
  EXPECT_EQ(win.inW, 8);
  EXPECT_EQ(win.outH, 5);
  EXPECT_EQ(win.outW, 4);
  EXPECT_EQ(s.inShape, (Shape{3, 9, 8}));
  EXPECT_EQ(s.outShape, (Shape{4, 5, 4}));
  EXPECT_EQ(p.buffers[static_cast<std::size_t>(s.output)], (Shape{4, 5, 4}));

  ASSERT_EQ(s.weight.rows(), 3 * 3 * 2);
  ASSERT_EQ(s.weight.cols(), 4);
  for (auto [o, c, i, j] : {std::array<int, 4>{0, 0, 0, 0}, {1, 2, 1, 0}, {3, 1, 2, 1}, {2, 0, 1, 1}, {3, 2, 2, 1}})
    EXPECT_EQ(s.weight((c * 3 + i) * 2 + j, o), at4(w, wDims, o, c, i, j)) << o << c << i << j;
  EXPECT_EQ(s.bias, (Eigen::VectorXf(4) << 0.5f, -1.0f, 2.0f, 0.25f).finished());
  EXPECT_EQ(s.vectorsPerImage(), 20);
  EXPECT_EQ(s.macsPerImage(), 20 * 18 * 4);
}

TEST(OnnxImporter, ConvAutoPadSameAndDilation) {
  for (const std::string mode : {"SAME_UPPER", "SAME_LOWER"}) {
    ModelBuilder b;
    b.input("x", {1, 2, 7, 8}).output("y");
    b.initRamp("w", {5, 2, 3, 3});
    auto& conv = b.node("Conv", {"x", "w"}, {"y"});  // no kernel_shape: inferred from the weights
    setString(conv, "auto_pad", mode);
    setInts(conv, "strides", {2, 2});
    const Program p = importOnnx(b.save("conv_same.onnx"));
    const Window& w = p.steps.at(0).window;
    // out = ceil(in / stride) = 4 x 4; pads H: total (4-1)*2+3-7 = 2; W: total (4-1)*2+3-8 = 1.
    EXPECT_EQ(w.outH, 4);
    EXPECT_EQ(w.outW, 4);
    EXPECT_EQ(w.padTop, 1);
    EXPECT_EQ(w.padBottom, 1);
    EXPECT_EQ(w.padLeft, mode == "SAME_UPPER" ? 0 : 1);
    EXPECT_EQ(w.padRight, mode == "SAME_UPPER" ? 1 : 0);
    EXPECT_EQ(p.steps[0].bias, Eigen::VectorXf::Zero(5));
    EXPECT_EQ(p.steps[0].name, "Conv_0");
  }

  ModelBuilder b;
  b.input("x", {1, 1, 10, 10}).output("y");
  b.initRamp("w", {2, 1, 3, 3});
  setInts(b.node("Conv", {"x", "w"}, {"y"}), "dilations", {2, 3});
  const Program dil = importOnnx(b.save("conv_dil.onnx"));
  const Window& w = dil.steps.at(0).window;
  EXPECT_EQ(w.dilationH, 2);
  EXPECT_EQ(w.dilationW, 3);
  EXPECT_EQ(w.outH, 10 - 2 * 2);  // (10 - 2*(3-1) - 1) + 1
  EXPECT_EQ(w.outW, 10 - 3 * 2);
}

// ---- BatchNormalization ----

struct BnParams {
  std::vector<float> gamma, beta, mean, var;
  float eps;
};

BnParams addBn(ModelBuilder& b, int channels, float eps) {
  BnParams bn{ramp(static_cast<std::size_t>(channels), 0.05f, 0.5f), ramp(static_cast<std::size_t>(channels), 0.1f, -1),
              ramp(static_cast<std::size_t>(channels), 0.02f, -0.2f),
              ramp(static_cast<std::size_t>(channels), 0.3f, 0.1f), eps};
  const std::vector<std::int64_t> dims = {channels};
  b.init("gamma", dims, bn.gamma).init("beta", dims, bn.beta).init("mean", dims, bn.mean).init("var", dims, bn.var);
  return bn;
}

double bnScale(const BnParams& bn, int o) {
  return bn.gamma[o] / std::sqrt(static_cast<double>(bn.var[o]) + static_cast<double>(bn.eps));
}

TEST(OnnxImporter, ConvBatchNormalizationIsFolded) {
  const std::vector<std::int64_t> wDims = {6, 2, 3, 3};
  const auto w = ramp(count(wDims));
  const auto bias = ramp(6, 0.2f, -0.5f);
  ModelBuilder b;
  b.input("x", {-1, 2, 8, 8}).output("r");
  b.init("w", wDims, w).init("b", {6}, bias);
  const BnParams bn = addBn(b, 6, 1e-3f);
  b.node("Conv", {"x", "w", "b"}, {"c"}, "conv");
  setFloat(b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}, "bn"), "epsilon", bn.eps);
  b.node("Relu", {"n"}, {"r"}, "relu");

  const Program p = importOnnx(b.save("conv_bn.onnx"));
  ASSERT_EQ(p.steps.size(), 2u);  // Conv, BN, Relu -> Conv+BN, Relu
  const Step& s = p.steps[0];
  EXPECT_EQ(s.kind, StepKind::AnalogGemm);
  EXPECT_EQ(s.op, "Conv+BatchNormalization");
  EXPECT_EQ(s.name, "conv");
  EXPECT_EQ(p.steps[1].inputs, std::vector<int>{s.output});
  EXPECT_EQ(p.steps[1].kind, StepKind::Activation);
  EXPECT_EQ(p.steps[1].activation, ActivationKind::Relu);
  for (int o = 0; o < 6; ++o) {
    const double sc = bnScale(bn, o);
    expectNear((bias[o] - static_cast<double>(bn.mean[o])) * sc + bn.beta[o], s.bias[o]);
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) expectNear(at4(w, wDims, o, c, i, j) * sc, s.weight((c * 3 + i) * 3 + j, o));
  }
}

TEST(OnnxImporter, GemmBatchNormalizationIsFolded) {
  ModelBuilder b;
  b.input("x", {-1, 4}).output("n");
  b.init("B", {4, 3}, ramp(12));
  const BnParams bn = addBn(b, 3, 1e-5f);
  b.node("Gemm", {"x", "B"}, {"g"}, "fc");
  b.node("BatchNormalization", {"g", "gamma", "beta", "mean", "var"}, {"n"}, "bn");
  const Program p = importOnnx(b.save("gemm_bn.onnx"));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].op, "Gemm+BatchNormalization");
  EXPECT_EQ(p.output, p.steps[0].output);
  for (int o = 0; o < 3; ++o) expectNear((0.0 - bn.mean[o]) * bnScale(bn, o) + bn.beta[o], p.steps[0].bias[o]);
}

void expectAffine(const Step& a, const BnParams& bn, int channels) {
  EXPECT_EQ(a.op, "BatchNormalization");
  ASSERT_EQ(a.scale.size(), channels);
  ASSERT_EQ(a.shift.size(), channels);
  for (int o = 0; o < channels; ++o) {
    expectNear(bnScale(bn, o), a.scale[o]);
    expectNear(bn.beta[o] - bn.mean[o] * bnScale(bn, o), a.shift[o]);
  }
}

TEST(OnnxImporter, BatchNormalizationOnGraphInputBecomesAffine) {
  ModelBuilder b;
  b.input("x", {-1, 3, 4, 4}).output("y");
  const BnParams bn = addBn(b, 3, 1e-5f);  // default epsilon
  b.node("BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, {"y"}, "bn");
  const Program p = importOnnx(b.save("bn_input.onnx"));
  ASSERT_EQ(p.steps.size(), 1u);
  const Step& a = p.steps[0];
  EXPECT_EQ(a.kind, StepKind::Affine);
  EXPECT_EQ(a.inShape, (Shape{3, 4, 4}));
  EXPECT_EQ(a.outShape, (Shape{3, 4, 4}));
  expectAffine(a, bn, 3);
}

TEST(OnnxImporter, BatchNormalizationNotFoldedWhenConvOutputHasOtherReaders) {
  ModelBuilder b;
  b.input("x", {-1, 2, 5, 5}).output("y");
  b.initRamp("w", {2, 2, 3, 3});
  const BnParams bn = addBn(b, 2, 1e-5f);
  setInts(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
  b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}, "bn");
  b.node("Add", {"c", "n"}, {"y"}, "residual");
  const Program p = importOnnx(b.save("bn_shared.onnx"));
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].op, "Conv");
  expectAffine(onlyStep(p, StepKind::Affine), bn, 2);
  const Step& add = onlyStep(p, StepKind::Binary);
  EXPECT_EQ(add.inputs, (std::vector<int>{p.steps[0].output, p.steps[1].output}));
}

// ---- Gemm / MatMul ----

TEST(OnnxImporter, GemmTransBAlphaBeta) {
  const auto B = ramp(3 * 5);  // [N=3, K=5] because transB=1
  const std::vector<float> C = {1.0f, -2.0f, 0.5f};
  ModelBuilder b;
  b.input("x", {-1, 5}).output("y", {-1, 3});
  b.init("B", {3, 5}, B).init("C", {3}, C);
  auto& g = b.node("Gemm", {"x", "B", "C"}, {"y"}, "fc");
  setInt(g, "transB", 1);
  setFloat(g, "alpha", 0.5f);
  setFloat(g, "beta", 2.0f);
  const Program p = importOnnx(b.save("gemm.onnx"));
  const Step& s = onlyStep(p, StepKind::AnalogGemm);
  EXPECT_FALSE(s.isConv);
  EXPECT_EQ(s.op, "Gemm");
  EXPECT_EQ(s.inShape, (Shape{5}));
  EXPECT_EQ(s.outShape, (Shape{3}));
  ASSERT_EQ(s.weight.rows(), 5);
  ASSERT_EQ(s.weight.cols(), 3);
  for (int k = 0; k < 5; ++k)
    for (int n = 0; n < 3; ++n) expectNear(0.5 * B[static_cast<std::size_t>(n * 5 + k)], s.weight(k, n));
  for (int n = 0; n < 3; ++n) expectNear(2.0 * C[static_cast<std::size_t>(n)], s.bias[n]);
  EXPECT_EQ(s.vectorsPerImage(), 1);
}

TEST(OnnxImporter, GemmBiasBroadcastsRowAndScalar) {
  for (const std::vector<std::int64_t>& cDims : {std::vector<std::int64_t>{1, 2}, {}, {1}}) {
    ModelBuilder b;
    b.input("x", {-1, 3}).output("y");
    b.init("B", {3, 2}, ramp(6));
    b.init("C", cDims, cDims.size() == 2 ? std::vector<float>{4.0f, 5.0f} : std::vector<float>{7.0f});
    b.node("Gemm", {"x", "B", "C"}, {"y"});
    const Program p = importOnnx(b.save("gemm_c.onnx"));
    const Step& s = p.steps.at(0);
    EXPECT_EQ(s.bias[0], cDims.size() == 2 ? 4.0f : 7.0f);
    EXPECT_EQ(s.bias[1], cDims.size() == 2 ? 5.0f : 7.0f);
    EXPECT_EQ(s.weight(2, 1), ramp(6)[5]);  // transB=0: weight = B
  }
}

TEST(OnnxImporter, MatMulWithConstantB) {
  const auto B = ramp(4 * 2);
  ModelBuilder b;
  b.input("x", {-1, 4}).output("y");
  b.init("B", {4, 2}, B);
  b.node("MatMul", {"x", "B"}, {"y"}, "mm");
  const Program p = importOnnx(b.save("matmul.onnx"));
  const Step& s = p.steps.at(0);
  EXPECT_EQ(s.kind, StepKind::AnalogGemm);
  EXPECT_EQ(s.op, "MatMul");
  EXPECT_FALSE(s.isConv);
  for (int k = 0; k < 4; ++k)
    for (int n = 0; n < 2; ++n) EXPECT_EQ(s.weight(k, n), B[static_cast<std::size_t>(k * 2 + n)]);
  EXPECT_EQ(s.bias, Eigen::VectorXf::Zero(2));
  EXPECT_EQ(s.outShape, (Shape{2}));
}

// ---- shape ops ----

TEST(OnnxImporter, ReshapeAndFlattenShapes) {
  ModelBuilder b;
  b.input("x", {-1, 2, 3, 4}).output("f", {-1, 24});
  b.initInt64("s1", {0, 0, -1});  // batch copied, 2 copied, 12 inferred
  b.initInt64("s2", {1, 6, -1});  // the exported batch size 1 stands for the batch
  b.node("Reshape", {"x", "s1"}, {"r1"}, "r1");
  b.node("Reshape", {"r1", "s2"}, {"r2"}, "r2");
  // A Constant node provides the third shape: batch as -1.
  auto& k = b.node("Constant", {}, {"s3"}, "shape3");
  auto* t = k.add_attribute();
  t->set_name("value");
  t->set_type(onnx::AttributeProto::TENSOR);
  t->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  t->mutable_t()->add_dims(3);
  for (std::int64_t v : {-1, 4, 6}) t->mutable_t()->add_int64_data(v);
  b.node("Reshape", {"r2", "s3"}, {"r3"}, "r3");
  b.node("Flatten", {"r3"}, {"f"}, "flat");

  const Program p = importOnnx(b.save("reshape.onnx"));
  ASSERT_EQ(p.steps.size(), 4u);
  EXPECT_EQ(p.steps[0].outShape, (Shape{2, 12}));
  EXPECT_EQ(p.steps[1].outShape, (Shape{6, 4}));
  EXPECT_EQ(p.steps[2].outShape, (Shape{4, 6}));
  EXPECT_EQ(p.steps[3].outShape, (Shape{24}));
  for (const auto& s : p.steps) EXPECT_EQ(s.kind, StepKind::Reshape);
  EXPECT_EQ(p.steps[3].op, "Flatten");
  EXPECT_EQ(p.buffers[static_cast<std::size_t>(p.output)], (Shape{24}));
}

TEST(OnnxImporter, MaxPoolCeilModeAndPads) {
  ModelBuilder b;
  b.input("x", {-1, 2, 5, 6}).output("y");
  auto& ceil = b.node("MaxPool", {"x"}, {"p1"}, "ceil");
  setInts(ceil, "kernel_shape", {3, 3});
  setInts(ceil, "strides", {2, 2});
  setInt(ceil, "ceil_mode", 1);
  auto& padded = b.node("MaxPool", {"x"}, {"p2"}, "padded");
  setInts(padded, "kernel_shape", {2, 2});
  setInts(padded, "strides", {2, 2});
  setInts(padded, "pads", {1, 1, 1, 1});
  setInt(padded, "ceil_mode", 1);
  auto& floor = b.node("MaxPool", {"x"}, {"p3"}, "floor");
  setInts(floor, "kernel_shape", {3, 3});
  setInts(floor, "strides", {2, 2});
  setInts(floor, "pads", {1, 0, 1, 0});
  b.node("GlobalAveragePool", {"p1"}, {"y"}, "gap");

  const Program p = importOnnx(b.save("maxpool.onnx"));
  ASSERT_EQ(p.steps.size(), 4u);
  // ceil: H ceil((5-3)/2)+1 = 2, W ceil((6-3)/2)+1 = 3 (floor mode would give 2).
  EXPECT_EQ(p.steps[0].outShape, (Shape{2, 2, 3}));
  EXPECT_EQ(p.steps[0].window.outW, 3);
  // padded + ceil: H ceil((5+2-2)/2)+1 = 4, but the 4th window would start at 6 >= 5+1, so 3 (PyTorch: 3);
  // W ceil((6+2-2)/2)+1 = 4, last window starts at 6 < 6+1, so 4.
  EXPECT_EQ(p.steps[1].outShape, (Shape{2, 3, 4}));
  EXPECT_EQ(p.steps[1].window.padTop, 1);
  // floor: H floor((5+2-3)/2)+1 = 3, W floor((6-3)/2)+1 = 2.
  EXPECT_EQ(p.steps[2].outShape, (Shape{2, 3, 2}));
  EXPECT_EQ(p.steps[2].kind, StepKind::MaxPool);
  EXPECT_EQ(p.steps[3].kind, StepKind::GlobalAvgPool);
  EXPECT_EQ(p.steps[3].outShape, (Shape{2, 1, 1}));
  EXPECT_EQ(p.steps[3].inShape, (Shape{2, 2, 3}));
}

TEST(OnnxImporter, AddAndIdentityAliasing) {
  ModelBuilder b;
  b.input("x", {-1, 3, 4, 4}).output("out");
  b.node("Relu", {"x"}, {"r"});
  b.node("Identity", {"x"}, {"id"});
  b.node("Add", {"r", "id"}, {"sum"}, "add");
  b.node("Dropout", {"sum"}, {"out", "mask"}, "drop");  // unused mask output is fine
  const Program p = importOnnx(b.save("add.onnx"));
  ASSERT_EQ(p.steps.size(), 2u);  // Relu, Add: Identity and Dropout are aliases
  EXPECT_EQ(p.steps[0].name, "Relu_0");
  const Step& add = p.steps[1];
  EXPECT_EQ(add.kind, StepKind::Binary);
  EXPECT_EQ(add.binary, BinaryOp::Add);
  EXPECT_TRUE(add.indexMap.empty() && add.indexMap2.empty());  // same shapes: no broadcasting
  EXPECT_EQ(add.inputs, (std::vector<int>{p.steps[0].output, p.input}));
  EXPECT_EQ(add.outShape, (Shape{3, 4, 4}));
  EXPECT_EQ(p.output, add.output);
  EXPECT_EQ(p.outputName, "out");
  EXPECT_EQ(p.buffers.size(), 3u);
}

TEST(OnnxImporter, StepNamesAreUnique) {
  ModelBuilder b;
  b.input("x", {-1, 8}).output("c");
  b.node("Relu", {"x"}, {"a"}, "act");
  b.node("Relu", {"a"}, {"b"}, "act");
  b.node("Relu", {"b"}, {"c"}, "act");
  const Program p = importOnnx(b.save("names.onnx"));
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].name, "act");
  EXPECT_EQ(p.steps[1].name, "act_2");
  EXPECT_EQ(p.steps[2].name, "act_3");
}

TEST(OnnxImporter, SupportedOpsListIsStable) {
  const auto& ops = supportedOnnxOps();
  EXPECT_EQ(ops.front(), "Conv");
  for (const char* op : {"Gemm", "MatMul", "BatchNormalization", "Relu", "Round", "MaxPool", "GlobalAveragePool",
                         "Add", "Flatten", "Reshape", "Identity", "Dropout", "Constant"})
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
  EXPECT_EQ(&ops, &supportedOnnxOps());
}

// ---- errors ----

ModelBuilder validConvModel() {
  ModelBuilder b;
  b.input("x", {-1, 3, 8, 8}).output("y");
  b.initRamp("w", {4, 3, 3, 3});
  b.node("Conv", {"x", "w"}, {"c"}, "conv1");
  b.node("Relu", {"c"}, {"y"}, "relu1");
  return b;
}

TEST(OnnxImporterErrors, MissingFile) {
  const std::string path = ::testing::TempDir() + "does_not_exist.onnx";
  expectModelError(path, {"cannot open"});
}

TEST(OnnxImporterErrors, TruncatedFile) {
  std::string bytes;
  ASSERT_TRUE(validConvModel().model().SerializeToString(&bytes));
  const std::string path = ::testing::TempDir() + "truncated.onnx";
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<long>(bytes.size() / 2));
  expectModelError(path, {"not a valid ONNX model"});
}

TEST(OnnxImporterErrors, TextFileAndEmptyFile) {
  expectModelError(std::string(MXSIM_TEST_DATA_DIR) + "/bad_models/not_onnx.onnx", {"not a valid ONNX model"});
  const std::string empty = ::testing::TempDir() + "empty.onnx";
  std::ofstream(empty, std::ios::trunc).close();
  expectModelError(empty, {"not a valid ONNX model"});
}

TEST(OnnxImporterErrors, UnsupportedOp) {
  ModelBuilder b = validConvModel();
  b.node("LSTM", {"y"}, {"z"}, "lstm1");
  expectModelError(b.save("lstm.onnx"), {"node 'lstm1' (op LSTM): operator not supported", "supported: Conv, Gemm"});
}

TEST(OnnxImporterErrors, GroupedConvChannels) {
  ModelBuilder b;
  b.input("x", {-1, 4, 8, 8}).output("y");
  b.initRamp("w", {6, 2, 3, 3});
  setInt(b.node("Conv", {"x", "w"}, {"y"}, "g3"), "group", 3);
  expectModelError(b.save("group3.onnx"), {"node 'g3' (op Conv)", "group=3 must divide the input channels (4)"});
}

TEST(OnnxImporterErrors, MissingInitializer) {
  ModelBuilder b;
  b.input("x", {-1, 3, 8, 8}).output("y");
  b.node("Conv", {"x", "w_missing"}, {"y"}, "conv1");
  expectModelError(b.save("missing_init.onnx"),
                   {"node 'conv1' (op Conv)", "input 'w_missing' is neither a graph input, an initializer nor "
                                              "produced by an earlier node"});
}

TEST(OnnxImporterErrors, ChannelMismatch) {
  ModelBuilder b;
  b.input("x", {-1, 3, 8, 8}).output("y");
  b.initRamp("w", {4, 5, 3, 3});
  b.node("Conv", {"x", "w"}, {"y"}, "conv1");
  expectModelError(b.save("channels.onnx"), {"node 'conv1' (op Conv)", "3 channels", "4x5x3x3"});
}

TEST(OnnxImporterErrors, ReshapeNumelMismatch) {
  ModelBuilder b;
  b.input("x", {-1, 2, 3, 4}).output("y");
  b.initInt64("shape", {0, 7});
  b.node("Reshape", {"x", "shape"}, {"y"}, "bad_reshape");
  expectModelError(b.save("reshape_bad.onnx"), {"node 'bad_reshape' (op Reshape)", "2x3x4", "[0, 7]"});
}

TEST(OnnxImporterErrors, WeightsMustBeConstant) {
  ModelBuilder b;
  b.input("x", {-1, 3, 8, 8}).output("y");
  b.node("Relu", {"x"}, {"w"});
  b.node("Conv", {"x", "w"}, {"y"}, "conv1");
  expectModelError(b.save("weights_var.onnx"), {"node 'conv1' (op Conv)", "must be a constant (an initializer)"});
}

TEST(OnnxImporterErrors, GemmKMismatchAndTransA) {
  ModelBuilder b;
  b.input("x", {-1, 6}).output("y");
  b.initRamp("B", {5, 2});
  b.node("Gemm", {"x", "B"}, {"y"}, "fc");
  expectModelError(b.save("gemm_k.onnx"), {"node 'fc' (op Gemm)", "6 features", "K=5"});

  ModelBuilder t;
  t.input("x", {-1, 5}).output("y");
  t.initRamp("B", {5, 2});
  setInt(t.node("Gemm", {"x", "B"}, {"y"}, "fc"), "transA", 1);
  expectModelError(t.save("gemm_ta.onnx"), {"node 'fc' (op Gemm)", "transA=1 is not supported", "batch"});
}

TEST(OnnxImporterErrors, BroadcastingThatWouldMixImages) {
  ModelBuilder b;
  b.input("x", {-1, 3, 4, 4}).output("y");
  b.node("Flatten", {"x"}, {"f"});
  b.node("Add", {"x", "f"}, {"y"}, "ranks");
  expectModelError(b.save("add_ranks.onnx"), {"node 'ranks' (op Add)", "different rank", "batch dimension"});

  ModelBuilder c;
  c.input("x", {-1, 3, 4, 4}).output("y");
  c.initRamp("k", {2, 3, 1, 1});
  c.node("Mul", {"x", "k"}, {"y"}, "perimage");
  expectModelError(c.save("mul_batch.onnx"), {"node 'perimage' (op Mul)", "2 entries along the batch dimension"});

  ModelBuilder d;
  d.input("x", {-1, 3, 4, 4}).output("y");
  d.initRamp("k", {4, 5});
  d.node("Add", {"x", "k"}, {"y"}, "mismatch");
  expectModelError(d.save("add_mismatch.onnx"), {"node 'mismatch' (op Add)", "3x4x4 and 4x5", "cannot be broadcast"});
}

TEST(OnnxImporterErrors, ExternalData) {
  ModelBuilder b = validConvModel();
  b.graph().mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = b.graph().mutable_initializer(0)->add_external_data();
  loc->set_key("location");
  loc->set_value("no_such_weights.bin");
  expectModelError(b.save("external.onnx"), {"tensor 'w'", "external data file 'no_such_weights.bin' not found"});
}

TEST(OnnxImporterErrors, NodesOutOfOrder) {
  ModelBuilder b;
  b.input("x", {-1, 8}).output("b");
  b.node("Relu", {"a"}, {"b"}, "second");
  b.node("Relu", {"x"}, {"a"}, "first");
  expectModelError(b.save("order.onnx"), {"node 'second' (op Relu)", "later node 'first'", "topologically sorted"});
}

TEST(OnnxImporterErrors, GraphInputs) {
  ModelBuilder two;
  two.input("x", {-1, 8}).input("z", {-1, 8}).output("y");
  two.node("Add", {"x", "z"}, {"y"});
  expectModelError(two.save("two_inputs.onnx"), {"2 inputs (x, z)"});

  ModelBuilder sym;
  sym.input("x", {-1, 3, -1, 8}).output("y");
  sym.node("Relu", {"x"}, {"y"});
  expectModelError(sym.save("sym_input.onnx"), {"input 'x'", "dynamic dimensions [batch, 3, 'N', 8]", "--input-shape"});
  // --input-shape fills the symbolic dimensions, and must agree with the fixed ones.
  EXPECT_EQ(importOnnx(sym.save("sym_input.onnx"), ImportOptions{Shape{3, 5, 8}}).buffers[0], (Shape{3, 5, 8}));
  EXPECT_THROW(importOnnx(sym.save("sym_input.onnx"), ImportOptions{Shape{3, 5, 9}}), ModelError);

  ModelBuilder scalar;
  scalar.input("x", {}).output("y");
  scalar.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();  // rank 0
  scalar.node("Relu", {"x"}, {"y"});
  expectModelError(scalar.save("scalar.onnx"), {"input 'x' is a scalar"});

  ModelBuilder nodes;
  nodes.input("x", {-1, 3}).output("x");
  expectModelError(nodes.save("no_nodes.onnx"), {"no nodes"});
}

TEST(OnnxImporterErrors, DeclaredOutputShapeMismatch) {
  ModelBuilder b;
  b.input("x", {-1, 8}).output("y", {-1, 9});
  b.node("Relu", {"x"}, {"y"});
  expectModelError(b.save("out_shape.onnx"), {"graph output 'y' is declared as ['N', 9]", "computes [batch, 8]"});
}

// ---- grouped conv, broadcasting, shape chains, external data ----

TEST(OnnxImporter, GroupedConvIsBlockDiagonal) {
  ModelBuilder b;
  b.input("x", {-1, 4, 6, 6}).output("y");
  const std::vector<std::int64_t> wDims{6, 2, 3, 3};  // group 2: 2 input and 3 output channels per group
  const auto w = ramp(count(wDims));
  b.init("w", wDims, w);
  setInt(b.node("Conv", {"x", "w"}, {"y"}, "g2"), "group", 2);
  const Program p = importOnnx(b.save("g2.onnx"));
  const Step& s = onlyStep(p, StepKind::AnalogGemm);
  EXPECT_EQ(s.groups, 2);
  ASSERT_EQ(s.weight.rows(), 4 * 9);
  ASSERT_EQ(s.weight.cols(), 6);
  for (int o = 0; o < 6; ++o) {
    const int g = o / 3;
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < 9; ++k) {
        const float expected = c / 2 == g ? at4(w, wDims, o, c % 2, k / 3, k % 3) : 0.0f;
        EXPECT_EQ(s.weight(c * 9 + k, o), expected) << o << " " << c << " " << k;
      }
  }
  EXPECT_EQ(s.params(), 6 * 2 * 9 + 6);                // real weights + bias, not the structural zeros
  EXPECT_EQ(s.macsPerImage(), 16 * 6 * 2 * 9);          // 4x4 outputs x Cout x Cin/group x 3x3
}

TEST(OnnxImporter, BroadcastMapsAgainstComputedAndConstantOperands) {
  ModelBuilder b;
  b.input("x", {-1, 2, 3}).output("y");
  b.node("ReduceDummy", {}, {});  // removed below: keeps node indices readable
  b.graph().mutable_node()->RemoveLast();
  b.node("Flatten", {"x"}, {"f"});
  b.initInt64("shape", {0, 2, 1});
  b.node("Gather", {"x", "idx"}, {"g"}, "pick");  // x[:, :, 0:1] via Gather on axis 2
  setInt(*b.graph().mutable_node(1), "axis", 2);
  b.initInt64("idx", {0});
  b.node("Reshape", {"g", "shape"}, {"col"});
  b.node("Sub", {"x", "col"}, {"d"}, "sub");            // [2,3] - [2,1]: broadcast the computed column
  b.init("k", {3}, {1.0f, 2.0f, 4.0f});
  b.node("Div", {"k", "d"}, {"y"}, "div");              // constant first: k / d
  const Program p = importOnnx(b.save("bcast.onnx"));
  const Step& sub = p.steps[p.steps.size() - 2];
  EXPECT_EQ(sub.kind, StepKind::Binary);
  EXPECT_EQ(sub.outShape, (Shape{2, 3}));
  EXPECT_TRUE(sub.indexMap.empty());
  EXPECT_EQ(sub.indexMap2, (std::vector<std::int32_t>{0, 0, 0, 1, 1, 1}));
  const Step& div = p.steps.back();
  EXPECT_EQ(div.constantIndex, 0);
  EXPECT_EQ(div.binary, BinaryOp::Div);
  ASSERT_EQ(div.constant.size(), 6);
  EXPECT_EQ(div.constant[4], 2.0f);  // k broadcast along the rows: k[1]
}

TEST(OnnxImporter, ShapeChainFoldsToAView) {
  // What torch.onnx emits for x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat -> Reshape.
  ModelBuilder b;
  b.input("x", {-1, 2, 3, 4}).output("y");
  b.node("Shape", {"x"}, {"s"});
  b.initInt64("zero", {0});
  b.graph().mutable_initializer()->rbegin()->clear_dims();  // scalar index
  b.node("Gather", {"s", "zero"}, {"n"});
  b.initInt64("axes", {0});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  b.initInt64("minus1", {-1});
  setInt(b.node("Concat", {"n1", "minus1"}, {"spec"}), "axis", 0);
  b.node("Reshape", {"x", "spec"}, {"y"}, "view");
  const Program p = importOnnx(b.save("shape_chain.onnx"));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].kind, StepKind::Reshape);
  EXPECT_EQ(p.steps[0].outShape, (Shape{24}));

  // Arithmetic on the batch size cannot be folded: say so.
  ModelBuilder m = b;
  m.graph().mutable_node(4)->set_input(0, "n2");
  m.initInt64("two", {2});
  auto* mul = m.graph().add_node();
  mul->set_op_type("Mul");
  mul->add_input("n1");
  mul->add_input("two");
  mul->add_output("n2");
  // Move the Mul before the Concat so the graph stays topologically sorted.
  for (int i = m.graph().node_size() - 1; i > 3; --i) m.graph().mutable_node()->SwapElements(i, i - 1);
  expectModelError(m.save("shape_mul.onnx"), {"arithmetic on the batch size"});
}

TEST(OnnxImporter, ExternalDataIsReadRelativeToTheModel) {
  ModelBuilder b = validConvModel();
  auto* t = b.graph().mutable_initializer(0);
  std::vector<float> values(t->float_data().begin(), t->float_data().end());
  const std::string bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  const std::string payload = "HEADER" + bytes;
  std::ofstream(::testing::TempDir() + "conv_weights.bin", std::ios::binary) << payload;
  t->clear_float_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [k, v] : {std::pair<const char*, std::string>{"location", "conv_weights.bin"}, {"offset", "6"},
                      {"length", std::to_string(bytes.size())}}) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  const Program ext = importOnnx(b.save("conv_external.onnx"));
  const Program embedded = importOnnx(validConvModel().save("conv_embedded.onnx"));
  EXPECT_EQ(ext.steps[0].weight, embedded.steps[0].weight);

  t->mutable_external_data(2)->set_value(std::to_string(bytes.size() + 4));
  expectModelError(b.save("conv_external_len.onnx"), {"tensor 'w'", "does not hold the"});
}

TEST(OnnxImporter, DenoiserBlocksAreMarkedByModulePath) {
  ModelBuilder b;
  b.input("x", {-1, 4, 6, 6}).output("y");
  b.initRamp("w", {4, 4, 3, 3}).initRamp("r", {2, 4, 1, 1}).initRamp("m", {4, 2, 1, 1});
  setInts(b.node("Conv", {"x", "w"}, {"c"}, "/backbone/conv1/Conv"), "pads", {1, 1, 1, 1});
  b.node("Conv", {"c", "r"}, {"h"}, "/mxsim_denoiser_3/reduce/Conv");
  b.node("Relu", {"h"}, {"hr"}, "/mxsim_denoiser_3/Relu");
  b.node("Conv", {"hr", "m"}, {"mu"}, "/mxsim_denoiser_3/mu/Conv");
  b.node("Sub", {"c", "mu"}, {"d"}, "/mxsim_denoiser_3/Sub");
  b.node("Relu", {"d"}, {"y"}, "/not_mxsim_denoiser_4/Relu");  // the tag must start a path segment
  const Program p = importOnnx(b.save("denoiser.onnx"));
  ASSERT_EQ(p.steps.size(), 6u);
  const std::vector<int> blocks = {-1, 3, 3, 3, 3, -1};
  const std::vector<Unit> units = {Unit::Analog, Unit::Denoiser, Unit::Denoiser, Unit::Denoiser, Unit::Denoiser,
                                   Unit::Digital};
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    EXPECT_EQ(p.steps[i].denoiserBlock, blocks[i]) << p.steps[i].name;
    EXPECT_EQ(p.steps[i].unit(), units[i]) << p.steps[i].name;
  }
}

TEST(OnnxImporterErrors, BatchDimensionIsNeverMixed) {
  ModelBuilder t;
  t.input("x", {-1, 2, 3}).output("y");
  setInts(t.node("Transpose", {"x"}, {"y"}, "tp"), "perm", {1, 0, 2});
  expectModelError(t.save("tp.onnx"), {"node 'tp' (op Transpose)", "moves the batch dimension"});

  ModelBuilder r;
  r.input("x", {2, 3, 4}).output("y");
  r.initInt64("shape", {4, 2, 3});
  r.node("Reshape", {"x", "shape"}, {"y"}, "rs");
  expectModelError(r.save("rs.onnx"), {"node 'rs' (op Reshape)", "changes the batch dimension"});

  ModelBuilder s;
  s.input("x", {-1, 2, 3}).output("y");
  setInt(s.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 0);
  expectModelError(s.save("sm.onnx"), {"node 'sm' (op Softmax)", "axis 0 is the batch dimension"});
}

TEST(OnnxImporterErrors, AbsurdSizes) {
  ModelBuilder b;
  b.input("x", {-1, 1, 1000000, 1000000}).output("y");
  b.node("Relu", {"x"}, {"y"});
  expectModelError(b.save("absurd_input.onnx"), {"input 'x' (per image)", "more than 2^31 elements"});

  ModelBuilder w = validConvModel();
  w.graph().mutable_initializer(0)->set_dims(0, 1LL << 40);
  expectModelError(w.save("absurd_weight.onnx"), {"tensor 'w'", "more than 2^31 elements"});
}

// ---- Round and fake-quantized activations ----

TEST(OnnxImporter, RoundIsAnActivationRoundingHalvesToEven) {
  ModelBuilder b;
  b.input("x", {-1, 7}).output("y");
  b.node("Round", {"x"}, {"y"}, "round");
  const Program p = importOnnx(b.save("round.onnx"));
  const Step& r = onlyStep(p, StepKind::Activation);
  EXPECT_EQ(r.activation, ActivationKind::Round);
  EXPECT_STREQ(activationName(r.activation), "round");
  EXPECT_EQ(r.unit(), Unit::Digital);
  EXPECT_EQ(r.outShape, (Shape{7}));
  EXPECT_EQ(r.digitalWork().adds, 0u);
  EXPECT_EQ(r.digitalWork().ops, 7u);  // one op per element
  // The function the step names (the digital kernel applies it; tests/unit/models checks the kernel):
  // ONNX Round, ties to even.
  EXPECT_EQ(roundHalfEven(0.5f), 0.0f);
  EXPECT_EQ(roundHalfEven(-0.5f), 0.0f);
  EXPECT_TRUE(std::signbit(roundHalfEven(-0.5f)));
  EXPECT_EQ(roundHalfEven(1.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(-2.5f), -2.0f);
  EXPECT_EQ(roundHalfEven(2.6f), 3.0f);
  EXPECT_EQ(roundHalfEven(-1.4f), -1.0f);
}

TEST(OnnxImporter, FakeQuantizedActivationChainImports) {
  // What the training tools export for a constant-scale b-bit activation quantizer:
  // Relu → Div(s) → Round → Clip(0, 2^b − 1) → Mul(s), here s = 0.25 (exact in binary, so the ties below are
  // exact), b = 4. The Div scale is a rank-0 scalar, the Mul scale a [1] tensor: both broadcast to every
  // element of the per-image [2, 4] activation.
  ModelBuilder b;
  b.input("x", {-1, 2, 4}).output("y");
  b.init("s", {}, {0.25f});
  b.init("s1", {1}, {0.25f});
  b.init("lo", {}, {0.0f});
  b.init("hi", {}, {15.0f});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Div", {"r", "s"}, {"d"}, "div");
  b.node("Round", {"d"}, {"q"}, "round");
  b.node("Clip", {"q", "lo", "hi"}, {"c"}, "clip");
  b.node("Mul", {"c", "s1"}, {"y"}, "mul");
  const Program p = importOnnx(b.save("fake_quant.onnx"));
  ASSERT_EQ(p.steps.size(), 5u);
  const StepKind kinds[] = {StepKind::Activation, StepKind::Binary, StepKind::Activation, StepKind::Activation,
                            StepKind::Binary};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(p.steps[i].kind, kinds[i]) << p.steps[i].name;
    EXPECT_EQ(p.steps[i].outShape, (Shape{2, 4})) << p.steps[i].name;
    EXPECT_EQ(p.steps[i].unit(), Unit::Digital) << p.steps[i].name;
    if (i > 0) {
      EXPECT_EQ(p.steps[i].inputs, (std::vector<int>{p.steps[i - 1].output})) << p.steps[i].name;
    }
  }
  EXPECT_EQ(p.steps[0].inputs, (std::vector<int>{p.input}));
  EXPECT_EQ(p.output, p.steps[4].output);
  EXPECT_EQ(p.steps[0].activation, ActivationKind::Relu);
  EXPECT_EQ(p.steps[2].activation, ActivationKind::Round);
  EXPECT_EQ(p.steps[3].activation, ActivationKind::Clip);
  EXPECT_EQ(p.steps[3].alpha, 0.0f);
  EXPECT_EQ(p.steps[3].beta, 15.0f);
  for (std::size_t i : {1u, 4u}) {
    const Step& s = p.steps[i];
    EXPECT_EQ(s.binary, i == 1 ? BinaryOp::Div : BinaryOp::Mul);
    EXPECT_EQ(s.constantIndex, 1) << "x op s, not s op x";
    EXPECT_TRUE(s.indexMap.empty());
    EXPECT_EQ(s.constant, Eigen::VectorXf::Constant(8, 0.25f)) << s.name << ": the scalar fills every element";
  }
  // The chain on one image by the steps' ONNX semantics, against the values worked out by hand:
  //   x      −1    0.1   0.125  0.375  0.625  1     3     5
  //   /s      0    0.4   0.5    1.5    2.5    4     12    20   (after Relu)
  //   round   0    0     0      2      2      4     12    20   (ties to even)
  //   clip    0    0     0      2      2      4     12    15
  //   ·s      0    0     0      0.5    0.5    1     3     3.75
  std::vector<float> v = {-1.0f, 0.1f, 0.125f, 0.375f, 0.625f, 1.0f, 3.0f, 5.0f};
  const std::vector<float> expected = {0.0f, 0.0f, 0.0f, 0.5f, 0.5f, 1.0f, 3.0f, 3.75f};
  for (const Step& s : p.steps) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      float& e = v[i];
      if (s.kind == StepKind::Binary) {
        const float c = s.constant[static_cast<Eigen::Index>(i)];
        e = s.binary == BinaryOp::Div ? e / c : e * c;
      } else if (s.activation == ActivationKind::Relu) {
        e = std::max(e, 0.0f);
      } else if (s.activation == ActivationKind::Round) {
        e = roundHalfEven(e);
      } else {
        e = std::min(std::max(e, s.alpha), s.beta);
      }
    }
  }
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], expected[i]) << "element " << i;
}

// ---- the real model ----

TEST(OnnxImporter, FashionMnistCnn) {
  const std::string path = std::string(MXSIM_SOURCE_DIR) + "/workloads/zoo/fmnist_cnn.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  const Program p = importOnnx(path);
  EXPECT_EQ(p.buffers[static_cast<std::size_t>(p.input)], (Shape{1, 28, 28}));
  EXPECT_EQ(p.buffers[static_cast<std::size_t>(p.output)], (Shape{10}));
  int convs = 0;
  for (const auto& s : p.steps) {
    if (s.op.rfind("Conv", 0) == 0) {
      ++convs;
      EXPECT_EQ(s.kind, StepKind::AnalogGemm) << s.name;
      EXPECT_TRUE(s.isConv) << s.name;
    }
  }
  EXPECT_GT(convs, 0);
  EXPECT_GT(p.totalMacsPerImage(), 0);
}

}  // namespace
}  // namespace mxsim::wl
