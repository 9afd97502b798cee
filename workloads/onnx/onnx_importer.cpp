// Lowers an ONNX graph to a Program: one pass over the (topologically sorted) nodes, one handler per op.
// Constants (initializers, Constant nodes) never become buffers; every other value gets a buffer with a
// per-image shape, except Identity/Dropout outputs, which alias their input's buffer.
#include "workloads/onnx/onnx_importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <set>
#include <unordered_map>

#include "workloads/onnx/onnx_proto.h"

namespace mxsim::wl {
namespace {

using namespace onnx_detail;

/// The node being lowered, with its error context and attribute reader.
struct Node {
  Node(const onnx::NodeProto& p, Culprit c) : proto(p), who(std::move(c)), attrs(p, who) {}

  const onnx::NodeProto& proto;
  Culprit who;
  Attributes attrs;

  /// Optional inputs may be missing or given as "".
  bool has(int i) const { return i < proto.input_size() && !proto.input(i).empty(); }
  const std::string& in(int i) const {
    static const std::string none;
    return i < proto.input_size() ? proto.input(i) : none;
  }
  const std::string& out() const { return proto.output(0); }
  [[noreturn]] void fail(const std::string& what) const { who.fail(what); }
};

std::string displayName(const onnx::NodeProto& p, int index) {
  return p.name().empty() ? fmt::format("{}_{}", p.op_type(), index) : p.name();
}

bool isDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string opText(const onnx::NodeProto& p) {
  return isDefaultDomain(p.domain()) ? p.op_type() : p.domain() + "." + p.op_type();
}

std::string dimText(const onnx::TensorShapeProto::Dimension& d) {
  if (d.has_dim_value()) return std::to_string(d.dim_value());
  if (d.has_dim_param()) return fmt::format("'{}'", d.dim_param());
  return "unknown";
}

/// Output extent of a window op along one axis, per the ONNX Conv/MaxPool spec. With ceil_mode the last
/// window must still start inside the input or the leading padding (the PyTorch/onnxruntime rule).
std::int64_t windowOutput(std::int64_t in, std::int64_t padBegin, std::int64_t padEnd, std::int64_t kernel,
                          std::int64_t stride, std::int64_t dilation, bool ceilMode) {
  const std::int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  std::int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin) --out;
  return out;
}

/// auto_pad=SAME_*: pad so that out = ceil(in / stride); the odd pixel goes at the end (UPPER) or start.
std::pair<std::int64_t, std::int64_t> samePads(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                               std::int64_t dilation, bool upper) {
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - in);
  const std::int64_t begin = upper ? total / 2 : (total + 1) / 2;
  return {begin, total - begin};
}

enum class Broadcast { None, RowOrScalar };

class Lowering {
 public:
  Lowering(std::string path, const onnx::ModelProto& model);
  Program run();

  // Op handlers, public so that the op table below can name them.
  void conv(const Node& n);
  void gemm(const Node& n);
  void matMul(const Node& n);
  void batchNorm(const Node& n);
  void relu(const Node& n);
  void maxPool(const Node& n);
  void globalAvgPool(const Node& n);
  void add(const Node& n);
  void flatten(const Node& n);
  void reshape(const Node& n);
  void identity(const Node& n);
  void constant(const Node& n);

 private:
  const onnx::GraphProto& graph() const { return m_model.graph(); }

  // Graph level.
  void collectConstants();
  void countUses();
  void bindGraphInput();
  Shape graphInputShape(const onnx::ValueInfoProto& vi) const;
  void bindGraphOutput();
  void checkDeclaredOutputShape(const onnx::ValueInfoProto& vi, const Shape& computed) const;
  void lowerNode(int index);
  void checkOutputs(const Node& n) const;

  // Reading a node's inputs.
  void requireInputs(const Node& n, int min, int max) const;
  [[noreturn]] void failUnknownInput(const Node& n, const std::string& value) const;
  int activation(const Node& n, int i) const;
  const Shape& shapeOf(int buffer) const { return m_prog.buffers[static_cast<std::size_t>(buffer)]; }
  void requireRank(const Node& n, int i, std::size_t rank, const char* layout) const;
  const onnx::TensorProto& constantInput(const Node& n, int i, const char* role) const;
  FloatTensor constFloat(const Node& n, int i, const char* role) const;
  Eigen::VectorXf constVector(const Node& n, int i, const char* role, std::int64_t len, Broadcast b) const;

  // Writing outputs.
  int newBuffer(Shape shape);
  Step& emit(const Node& n, StepKind kind, std::vector<int> inputs, Shape outShape);
  std::string uniqueStepName(const std::string& base);

  // Pieces shared between op handlers.
  Window window(const Node& n, const Shape& in, std::int64_t kH, std::int64_t kW, bool ceilMode) const;
  std::vector<int> intList(const Node& n, const char* name, std::vector<std::int64_t> def, std::size_t count,
                           std::int64_t min) const;
  void dense(const Node& n, Eigen::MatrixXf weight, Eigen::VectorXf bias, const std::string& weightText);
  Step* batchNormFoldTarget(const std::string& x);

  std::string m_path;
  const onnx::ModelProto& m_model;
  Culprit m_graphWho;
  Program m_prog;
  std::unordered_map<std::string, const onnx::TensorProto*> m_constants;
  std::deque<onnx::TensorProto> m_constantNodeValues;  // Constant-node tensors, renamed to their output
  std::unordered_map<std::string, int> m_values;          // computed value -> buffer id
  std::unordered_map<std::string, std::size_t> m_producer;  // value -> step that wrote it (not via alias)
  std::unordered_map<std::string, int> m_uses;            // value -> number of node inputs reading it
  std::unordered_map<std::string, int> m_producingNode;   // value -> index of the node that outputs it
  std::set<std::string> m_stepNames;
  std::string m_outputName;
};

using Handler = void (Lowering::*)(const Node&);
struct OpEntry {
  const char* op;
  Handler handler;
};

/// Single source of truth for dispatch and for supportedOnnxOps().
const std::vector<OpEntry>& opTable() {
  static const std::vector<OpEntry> table = {
      {"Conv", &Lowering::conv},
      {"Gemm", &Lowering::gemm},
      {"MatMul", &Lowering::matMul},
      {"BatchNormalization", &Lowering::batchNorm},
      {"Relu", &Lowering::relu},
      {"MaxPool", &Lowering::maxPool},
      {"GlobalAveragePool", &Lowering::globalAvgPool},
      {"Add", &Lowering::add},
      {"Flatten", &Lowering::flatten},
      {"Reshape", &Lowering::reshape},
      {"Identity", &Lowering::identity},
      {"Dropout", &Lowering::identity},  // inference: Dropout passes its input through
      {"Constant", &Lowering::constant},
  };
  return table;
}

// ---- graph level ----

Lowering::Lowering(std::string path, const onnx::ModelProto& model)
    : m_path(std::move(path)), m_model(model), m_graphWho{m_path, "", ""} {}

Program Lowering::run() {
  // A text or empty file often parses as a ModelProto of unknown fields; it is then graph-less.
  if (!m_model.has_graph()) m_graphWho.fail("not a valid ONNX model (no graph)");
  if (graph().node_size() == 0) m_graphWho.fail("graph has no nodes");
  m_prog.modelPath = m_path;
  collectConstants();
  countUses();
  bindGraphInput();
  m_outputName = graph().output_size() == 1 ? graph().output(0).name() : "";
  for (int i = 0; i < graph().node_size(); ++i) lowerNode(i);
  bindGraphOutput();
  if (m_prog.steps.empty()) m_graphWho.fail("graph has no compute nodes (only constants and aliases)");
  return std::move(m_prog);
}

void Lowering::collectConstants() {
  if (graph().sparse_initializer_size() > 0) m_graphWho.fail("sparse initializers not supported");
  for (const auto& t : graph().initializer()) {
    rejectExternalData(t, m_graphWho);
    m_constants[t.name()] = &t;
  }
}

void Lowering::countUses() {
  for (int i = 0; i < graph().node_size(); ++i) {
    const auto& p = graph().node(i);
    for (const auto& v : p.input())
      if (!v.empty()) ++m_uses[v];
    for (const auto& v : p.output())
      if (!v.empty()) m_producingNode.emplace(v, i);
  }
}

void Lowering::bindGraphInput() {
  std::vector<const onnx::ValueInfoProto*> real;  // graph inputs that are not initializers
  for (const auto& vi : graph().input())
    if (!m_constants.count(vi.name())) real.push_back(&vi);
  if (real.empty()) m_graphWho.fail("graph has no input (every graph input is an initializer)");
  if (real.size() > 1) {
    std::vector<std::string> names;
    for (const auto* vi : real) names.push_back(vi->name());
    m_graphWho.fail(fmt::format("graph has {} inputs ({}); exactly one is supported", real.size(),
                                fmt::join(names, ", ")));
  }
  m_prog.inputName = real[0]->name();
  m_prog.input = newBuffer(graphInputShape(*real[0]));
  m_values[m_prog.inputName] = m_prog.input;
}

Shape Lowering::graphInputShape(const onnx::ValueInfoProto& vi) const {
  const auto fail = [&](const std::string& what) { m_graphWho.fail(fmt::format("input '{}' {}", vi.name(), what)); };
  if (!vi.type().has_tensor_type()) fail("is not a tensor");
  const auto& tt = vi.type().tensor_type();
  if (tt.elem_type() != onnx::TensorProto::FLOAT)
    fail(fmt::format("has element type {}; only FLOAT is supported", dataTypeName(tt.elem_type())));
  if (!tt.has_shape()) fail("has no shape; expected [N,C,H,W] or [N,F]");
  const int rank = tt.shape().dim_size();
  if (rank != 4 && rank != 2) fail(fmt::format("has rank {}; expected 4 [N,C,H,W] or 2 [N,F]", rank));
  Shape shape;
  // Dimension 0 is the batch: symbolic or any value, it is dynamic in the Program.
  for (int k = 1; k < rank; ++k) {
    const auto& d = tt.shape().dim(k);
    if (!d.has_dim_value() || d.dim_value() <= 0)
      fail(fmt::format("dimension {} is {}; all dimensions but the batch must be fixed positive numbers", k,
                       dimText(d)));
    shape.push_back(d.dim_value());
  }
  return shape;
}

void Lowering::bindGraphOutput() {
  if (graph().output_size() != 1) {
    std::vector<std::string> names;
    for (const auto& vi : graph().output()) names.push_back(vi.name());
    m_graphWho.fail(fmt::format("graph has {} outputs ({}); exactly one is supported", names.size(),
                                fmt::join(names, ", ")));
  }
  const auto& vi = graph().output(0);
  const auto it = m_values.find(vi.name());
  if (it == m_values.end()) {
    if (m_constants.count(vi.name())) m_graphWho.fail(fmt::format("graph output '{}' is a constant", vi.name()));
    m_graphWho.fail(fmt::format("graph output '{}' is not produced by any node", vi.name()));
  }
  m_prog.outputName = vi.name();
  m_prog.output = it->second;
  checkDeclaredOutputShape(vi, shapeOf(it->second));
}

/// A declared output shape that disagrees with what the nodes compute means a model we misread; say so
/// here rather than produce wrong-sized results later. Symbolic and unknown dims are not checked.
void Lowering::checkDeclaredOutputShape(const onnx::ValueInfoProto& vi, const Shape& computed) const {
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
  const auto& dims = vi.type().tensor_type().shape().dim();
  if (dims.empty()) return;
  bool ok = static_cast<std::size_t>(dims.size()) == computed.size() + 1;
  for (std::size_t k = 0; ok && k < computed.size(); ++k) {
    const auto& d = dims[static_cast<int>(k + 1)];
    ok = !d.has_dim_value() || d.dim_value() == computed[k];
  }
  if (!ok) {
    std::vector<std::string> declared, actual = {"batch"};
    for (const auto& d : dims) declared.push_back(dimText(d));
    for (auto d : computed) actual.push_back(std::to_string(d));
    m_graphWho.fail(fmt::format("graph output '{}' is declared as [{}] but the model computes [{}]", vi.name(),
                                fmt::join(declared, ", "), fmt::join(actual, ", ")));
  }
}

void Lowering::lowerNode(int index) {
  const auto& p = graph().node(index);
  const Node n(p, Culprit{m_path, displayName(p, index), opText(p)});
  const auto& table = opTable();
  const auto entry = std::find_if(table.begin(), table.end(), [&](const OpEntry& e) { return p.op_type() == e.op; });
  if (entry == table.end() || !isDefaultDomain(p.domain()))
    n.fail(fmt::format("operator not supported (supported: {})", fmt::join(supportedOnnxOps(), ", ")));
  checkOutputs(n);
  (this->*(entry->handler))(n);
}

/// Handlers compute output 0 only. Extra outputs (Dropout mask, MaxPool indices, BN training statistics)
/// are fine as long as nothing reads them.
void Lowering::checkOutputs(const Node& n) const {
  if (n.proto.output_size() < 1 || n.out().empty()) n.fail("node has no output");
  for (int i = 0; i < n.proto.output_size(); ++i) {
    const auto& v = n.proto.output(i);
    if (v.empty()) continue;
    if (m_values.count(v) || m_constants.count(v))
      n.fail(fmt::format("output '{}' is already defined by an earlier node, initializer or graph input", v));
    const auto uses = m_uses.find(v);
    if (i > 0 && ((uses != m_uses.end() && uses->second > 0) || v == m_outputName))
      n.fail(fmt::format("output #{} ('{}') is used, but only the first output of {} is supported", i, v,
                         n.proto.op_type()));
  }
}

// ---- reading inputs ----

void Lowering::requireInputs(const Node& n, int min, int max) const {
  const int count = n.proto.input_size();
  if (count < min || count > max)
    n.fail(min == max ? fmt::format("expects {} inputs, got {}", min, count)
                      : fmt::format("expects {} to {} inputs, got {}", min, max, count));
  for (int i = 0; i < min; ++i)
    if (!n.has(i)) n.fail(fmt::format("required input #{} is empty", i));
}

void Lowering::failUnknownInput(const Node& n, const std::string& value) const {
  const auto later = m_producingNode.find(value);
  if (later != m_producingNode.end())
    n.fail(fmt::format("input '{}' is produced by a later node '{}' (nodes must be topologically sorted)", value,
                       displayName(graph().node(later->second), later->second)));
  n.fail(fmt::format("input '{}' is neither a graph input, an initializer nor produced by an earlier node", value));
}

/// Buffer id of a computed (non-constant) input.
int Lowering::activation(const Node& n, int i) const {
  const auto& v = n.in(i);
  const auto it = m_values.find(v);
  if (it != m_values.end()) return it->second;
  if (m_constants.count(v))
    n.fail(fmt::format("input '{}' is a constant; this importer needs it to be a computed value", v));
  failUnknownInput(n, v);
}

void Lowering::requireRank(const Node& n, int i, std::size_t rank, const char* layout) const {
  const Shape& s = shapeOf(activation(n, i));
  if (s.size() != rank)
    n.fail(fmt::format("input '{}' has per-image shape {} (rank {}); expected {}", n.in(i), shapeText(s), s.size(),
                       layout));
}

const onnx::TensorProto& Lowering::constantInput(const Node& n, int i, const char* role) const {
  const auto& v = n.in(i);
  const auto it = m_constants.find(v);
  if (it != m_constants.end()) return *it->second;
  if (m_values.count(v)) n.fail(fmt::format("{} '{}' must be a constant initializer", role, v));
  failUnknownInput(n, v);
}

FloatTensor Lowering::constFloat(const Node& n, int i, const char* role) const {
  return decodeFloat(constantInput(n, i, role), n.who);
}

/// A constant vector of `len` values; with RowOrScalar also [1, len] and single values (broadcast).
Eigen::VectorXf Lowering::constVector(const Node& n, int i, const char* role, std::int64_t len,
                                      Broadcast b) const {
  const FloatTensor t = constFloat(n, i, role);
  const bool broadcast = b == Broadcast::RowOrScalar;
  if (t.dims == Shape{len} || (broadcast && t.dims == Shape{1, len})) return toVector(t);
  if (broadcast && t.data.size() == 1 && t.dims.size() <= 2)
    return Eigen::VectorXf::Constant(static_cast<Eigen::Index>(len), t.data[0]);
  n.fail(fmt::format("{} '{}' has shape {}, expected {}{}", role, n.in(i), shapeText(t.dims), len,
                     broadcast ? fmt::format(", 1x{} or a scalar", len) : ""));
}

// ---- writing outputs ----

int Lowering::newBuffer(Shape shape) {
  m_prog.buffers.push_back(std::move(shape));
  return static_cast<int>(m_prog.buffers.size()) - 1;
}

Step& Lowering::emit(const Node& n, StepKind kind, std::vector<int> inputs, Shape outShape) {
  Step s;
  s.kind = kind;
  s.name = uniqueStepName(n.who.node);
  s.op = n.proto.op_type();
  s.inShape = shapeOf(inputs.at(0));
  s.inputs = std::move(inputs);
  s.outShape = outShape;
  s.output = newBuffer(std::move(outShape));
  m_values[n.out()] = s.output;
  m_producer[n.out()] = m_prog.steps.size();
  m_prog.steps.push_back(std::move(s));
  return m_prog.steps.back();
}

std::string Lowering::uniqueStepName(const std::string& base) {
  std::string name = base;
  for (int k = 2; m_stepNames.count(name); ++k) name = fmt::format("{}_{}", base, k);
  m_stepNames.insert(name);
  return name;
}

// ---- shared op pieces ----

/// An INTS attribute of exactly `count` values >= min (default `def`), narrowed for Window's int fields.
std::vector<int> Lowering::intList(const Node& n, const char* name, std::vector<std::int64_t> def,
                                   std::size_t count, std::int64_t min) const {
  const auto values = n.attrs.getInts(name, std::move(def));
  if (values.size() != count)
    n.fail(fmt::format("attribute '{}' has {} values, expected {} (2-D only)", name, values.size(), count));
  std::vector<int> out;
  for (auto v : values) {
    if (v < min || v > INT_MAX / 4) n.fail(fmt::format("attribute '{}' value {} out of range", name, v));
    out.push_back(static_cast<int>(v));
  }
  return out;
}

/// Geometry shared by Conv and MaxPool: strides, dilations, explicit or automatic pads, output size.
Window Lowering::window(const Node& n, const Shape& in, std::int64_t kH, std::int64_t kW, bool ceilMode) const {
  if (kH < 1 || kW < 1 || kH > INT_MAX / 4 || kW > INT_MAX / 4)
    n.fail(fmt::format("kernel {}x{} is not valid", kH, kW));
  const auto strides = intList(n, "strides", {1, 1}, 2, 1);
  const auto dilations = intList(n, "dilations", {1, 1}, 2, 1);
  auto pads = intList(n, "pads", {0, 0, 0, 0}, 4, 0);  // top, left, bottom, right
  const std::string autoPad = n.attrs.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET") {
    if (std::any_of(pads.begin(), pads.end(), [](int p) { return p != 0; }))
      n.fail(fmt::format("explicit pads cannot be combined with auto_pad={}", autoPad));
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      const bool upper = autoPad == "SAME_UPPER";
      const auto [top, bottom] = samePads(in[1], kH, strides[0], dilations[0], upper);
      const auto [left, right] = samePads(in[2], kW, strides[1], dilations[1], upper);
      pads = {static_cast<int>(top), static_cast<int>(left), static_cast<int>(bottom), static_cast<int>(right)};
    } else if (autoPad != "VALID") {
      n.fail(fmt::format("auto_pad='{}' not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER)", autoPad));
    }
  }
  Window w;
  w.kernelH = static_cast<int>(kH);
  w.kernelW = static_cast<int>(kW);
  w.strideH = strides[0];
  w.strideW = strides[1];
  w.padTop = pads[0];
  w.padLeft = pads[1];
  w.padBottom = pads[2];
  w.padRight = pads[3];
  w.dilationH = dilations[0];
  w.dilationW = dilations[1];
  w.inC = static_cast<int>(in[0]);
  w.inH = static_cast<int>(in[1]);
  w.inW = static_cast<int>(in[2]);
  w.outH = static_cast<int>(windowOutput(in[1], w.padTop, w.padBottom, kH, w.strideH, w.dilationH, ceilMode));
  w.outW = static_cast<int>(windowOutput(in[2], w.padLeft, w.padRight, kW, w.strideW, w.dilationW, ceilMode));
  if (w.outH < 1 || w.outW < 1)
    n.fail(fmt::format("kernel {}x{} (dilation {}x{}) does not fit input {} with pads [{}]", kH, kW, w.dilationH,
                       w.dilationW, shapeText(in), fmt::join(pads, ", ")));
  return w;
}

/// Gemm and MatMul: one K-vector per image times a constant K × N matrix.
void Lowering::dense(const Node& n, Eigen::MatrixXf weight, Eigen::VectorXf bias, const std::string& weightText) {
  requireRank(n, 0, 1, "[K] (i.e. an [N, K] input; add a Flatten before it)");
  const int x = activation(n, 0);
  const auto k = shapeOf(x)[0];
  if (k != weight.rows())
    n.fail(fmt::format("input '{}' has {} features but {} expects K={}", n.in(0), k, weightText, weight.rows()));
  Step& s = emit(n, StepKind::AnalogGemm, {x}, {static_cast<std::int64_t>(weight.cols())});
  s.isConv = false;
  s.weight = std::move(weight);
  s.bias = std::move(bias);
}

/// The analog step a BatchNormalization on `x` can be folded into: `x` must come straight from it and feed
/// nothing else (folding rescales the step's output for every reader), and must not be the graph output.
Step* Lowering::batchNormFoldTarget(const std::string& x) {
  const auto it = m_producer.find(x);
  if (it == m_producer.end() || x == m_outputName || m_uses[x] != 1) return nullptr;
  Step& s = m_prog.steps[it->second];
  return s.kind == StepKind::AnalogGemm ? &s : nullptr;
}

// ---- op handlers ----

void Lowering::conv(const Node& n) {
  requireInputs(n, 2, 3);
  requireRank(n, 0, 3, "C×H×W (an [N,C,H,W] input)");
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  const auto group = n.attrs.getInt("group", 1);
  if (group != 1) n.fail(fmt::format("group={} convolution not supported yet", group));
  const FloatTensor w = constFloat(n, 1, "weights");
  if (w.dims.size() != 4)
    n.fail(fmt::format("weights '{}' have shape {}; expected Cout×Cin×kH×kW", n.in(1), shapeText(w.dims)));
  const auto cout = w.dims[0], cin = w.dims[1], kH = w.dims[2], kW = w.dims[3];
  if (cin != in[0])
    n.fail(fmt::format("input '{}' has {} channels (shape {}) but weights '{}' (shape {}) expect {}", n.in(0), in[0],
                       shapeText(in), n.in(1), shapeText(w.dims), cin));
  const auto kernel = n.attrs.getInts("kernel_shape", {kH, kW});
  if (kernel != std::vector<std::int64_t>{kH, kW})
    n.fail(fmt::format("kernel_shape [{}] does not match weights shape {}", fmt::join(kernel, ", "),
                       shapeText(w.dims)));
  const Window win = window(n, in, kH, kW, /*ceilMode=*/false);
  Eigen::VectorXf bias =
      n.has(2) ? constVector(n, 2, "bias", cout, Broadcast::None) : Eigen::VectorXf::Zero(cout);

  Step& s = emit(n, StepKind::AnalogGemm, {x}, {cout, win.outH, win.outW});
  s.isConv = true;
  s.window = win;
  // W viewed as Cout × (Cin·kH·kW) row-major already has column index (c·kH + i)·kW + j: transpose it.
  s.weight = toMatrix(w, cout, cin * kH * kW).transpose();
  s.bias = std::move(bias);
}

void Lowering::gemm(const Node& n) {
  requireInputs(n, 2, 3);
  if (n.attrs.getInt("transA", 0) != 0) n.fail("transA=1 not supported (the first input must be [N, K])");
  const bool transB = n.attrs.getInt("transB", 0) != 0;
  const float alpha = n.attrs.getFloat("alpha", 1.0f);
  const float beta = n.attrs.getFloat("beta", 1.0f);
  const FloatTensor b = constFloat(n, 1, "weights");
  if (b.dims.size() != 2) n.fail(fmt::format("weights '{}' have shape {}; expected 2-D", n.in(1), shapeText(b.dims)));
  const Eigen::MatrixXf m = toMatrix(b, b.dims[0], b.dims[1]);
  Eigen::MatrixXf weight = alpha * (transB ? Eigen::MatrixXf(m.transpose()) : m);
  Eigen::VectorXf bias = n.has(2) ? Eigen::VectorXf(beta * constVector(n, 2, "bias C", weight.cols(),
                                                                       Broadcast::RowOrScalar))
                                  : Eigen::VectorXf::Zero(weight.cols());
  dense(n, std::move(weight), std::move(bias),
        fmt::format("B '{}' (shape {}, transB={})", n.in(1), shapeText(b.dims), transB ? 1 : 0));
}

void Lowering::matMul(const Node& n) {
  requireInputs(n, 2, 2);
  const FloatTensor b = constFloat(n, 1, "weights");
  if (b.dims.size() != 2)
    n.fail(fmt::format("weights '{}' have shape {}; expected a 2-D [K, N] matrix", n.in(1), shapeText(b.dims)));
  dense(n, toMatrix(b, b.dims[0], b.dims[1]), Eigen::VectorXf::Zero(b.dims[1]),
        fmt::format("B '{}' (shape {})", n.in(1), shapeText(b.dims)));
}

void Lowering::batchNorm(const Node& n) {
  requireInputs(n, 5, 5);
  if (n.attrs.getInt("training_mode", 0) != 0) n.fail("training_mode=1 not supported (export in eval mode)");
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (in.empty()) n.fail(fmt::format("input '{}' has no channel dimension", n.in(0)));
  const auto channels = in[0];
  const double eps = n.attrs.getFloat("epsilon", 1e-5f);
  const auto param = [&](int i, const char* role) {
    return Eigen::VectorXd(constVector(n, i, role, channels, Broadcast::None).cast<double>());
  };
  const Eigen::VectorXd gamma = param(1, "scale"), beta = param(2, "B"), mean = param(3, "mean"),
                        var = param(4, "var");
  if ((var.array() + eps <= 0).any()) n.fail("var + epsilon must be positive");
  // y = (x - mean) * s + beta with s = gamma / sqrt(var + eps); a preceding bias b becomes (b - mean)*s + beta.
  const Eigen::VectorXd s = gamma.array() / (var.array() + eps).sqrt();
  const auto shiftFor = [&](const Eigen::VectorXd& bias) {
    return Eigen::VectorXf(((bias - mean).array() * s.array() + beta.array()).cast<float>());
  };

  if (Step* target = batchNormFoldTarget(n.in(0))) {
    const Eigen::MatrixXd w = target->weight.cast<double>() * s.asDiagonal();
    target->weight = w.cast<float>();
    target->bias = shiftFor(target->bias.cast<double>());
    target->op += "+BatchNormalization";
    m_values[n.out()] = target->output;
    m_producer[n.out()] = static_cast<std::size_t>(target - m_prog.steps.data());
    return;
  }
  Step& a = emit(n, StepKind::Affine, {x}, in);
  a.scale = s.cast<float>();
  a.shift = shiftFor(Eigen::VectorXd::Zero(channels));
}

void Lowering::relu(const Node& n) {
  requireInputs(n, 1, 1);
  const int x = activation(n, 0);
  emit(n, StepKind::Relu, {x}, shapeOf(x));
}

void Lowering::maxPool(const Node& n) {
  requireInputs(n, 1, 1);
  requireRank(n, 0, 3, "C×H×W (an [N,C,H,W] input)");
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (n.attrs.getInt("storage_order", 0) != 0) n.fail("storage_order=1 not supported");
  const auto ceilMode = n.attrs.getInt("ceil_mode", 0);
  if (ceilMode != 0 && ceilMode != 1) n.fail(fmt::format("ceil_mode={} not valid (0 or 1)", ceilMode));
  if (!n.attrs.has("kernel_shape")) n.fail("attribute 'kernel_shape' is required");
  const auto kernel = intList(n, "kernel_shape", {}, 2, 1);
  const Window win = window(n, in, kernel[0], kernel[1], ceilMode == 1);
  Step& s = emit(n, StepKind::MaxPool, {x}, {in[0], win.outH, win.outW});
  s.window = win;
}

void Lowering::globalAvgPool(const Node& n) {
  requireInputs(n, 1, 1);
  requireRank(n, 0, 3, "C×H×W (an [N,C,H,W] input)");
  const int x = activation(n, 0);
  emit(n, StepKind::GlobalAvgPool, {x}, {shapeOf(x)[0], 1, 1});
}

void Lowering::add(const Node& n) {
  requireInputs(n, 2, 2);
  for (int i = 0; i < 2; ++i)
    if (m_constants.count(n.in(i)))
      n.fail(fmt::format("Add broadcasting not supported yet (input '{}' is a constant; only two computed values "
                         "of the same shape can be added)",
                         n.in(i)));
  const int a = activation(n, 0), b = activation(n, 1);
  if (shapeOf(a) != shapeOf(b))
    n.fail(fmt::format("Add broadcasting not supported yet (input '{}' has shape {}, input '{}' has shape {})",
                       n.in(0), shapeText(shapeOf(a)), n.in(1), shapeText(shapeOf(b))));
  emit(n, StepKind::Add, {a, b}, shapeOf(a));
}

void Lowering::flatten(const Node& n) {
  requireInputs(n, 1, 1);
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  const auto rank = static_cast<std::int64_t>(in.size()) + 1;  // with the batch dimension
  auto axis = n.attrs.getInt("axis", 1);
  if (axis < 0) axis += rank;
  if (axis != 1) n.fail(fmt::format("axis={} not supported (only 1: flatten each image)", n.attrs.getInt("axis", 1)));
  emit(n, StepKind::Reshape, {x}, {numel(in)});
}

void Lowering::reshape(const Node& n) {
  requireInputs(n, 2, 2);
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  const auto& shapeTensor = constantInput(n, 1, "shape");
  const auto spec = decodeInt64(shapeTensor, n.who);
  const bool allowZero = n.attrs.getInt("allowzero", 0) != 0;
  const auto specText = fmt::format("[{}]", fmt::join(spec, ", "));
  if (tensorDims(shapeTensor, n.who).size() != 1 || spec.empty())
    n.fail(fmt::format("shape {} must be a 1-D list starting with the batch dimension", specText));
  if (std::count(spec.begin(), spec.end(), -1) > 1) n.fail(fmt::format("shape {} has more than one -1", specText));

  // spec[0] stands for the batch whatever its value (0 copies it, -1 infers it, N is the export batch size).
  Shape out;
  int inferAt = -1;
  for (std::size_t k = 1; k < spec.size(); ++k) {
    std::int64_t d = spec[k];
    if (d == 0 && !allowZero) {
      if (k - 1 >= in.size())
        n.fail(fmt::format("shape {}: entry {} copies an input dimension the input {} does not have", specText, k,
                           shapeText(in)));
      d = in[k - 1];
    } else if (d == -1) {
      inferAt = static_cast<int>(out.size());
      d = 1;
    } else if (d < 0) {
      n.fail(fmt::format("shape {} has invalid entry {}", specText, d));
    }
    out.push_back(d);
  }
  const auto known = numel(out);
  if (inferAt >= 0 && known > 0 && numel(in) % known == 0) out[static_cast<std::size_t>(inferAt)] = numel(in) / known;
  if (numel(out) != numel(in))
    n.fail(fmt::format("cannot reshape input '{}' of shape {} ({} values per image) to shape {} ({} values)",
                       n.in(0), shapeText(in), numel(in), specText, numel(out)));
  emit(n, StepKind::Reshape, {x}, out);
}

/// Identity and inference-time Dropout: the output names the same data, so no step is needed.
void Lowering::identity(const Node& n) {
  requireInputs(n, 1, n.proto.op_type() == "Dropout" ? 3 : 1);
  const auto& v = n.in(0);
  if (const auto c = m_constants.find(v); c != m_constants.end()) {
    m_constants[n.out()] = c->second;
    return;
  }
  m_values[n.out()] = activation(n, 0);
}

void Lowering::constant(const Node& n) {
  requireInputs(n, 0, 0);
  const auto* t = n.attrs.getTensor("value");
  if (!t) n.fail("only the 'value' attribute is supported");
  // Keep a copy named after the output so later messages about this tensor can name it.
  auto& copy = m_constantNodeValues.emplace_back(*t);
  copy.set_name(n.out());
  rejectExternalData(copy, n.who);
  m_constants[n.out()] = &copy;
}

}  // namespace

Program importOnnx(const std::string& path) {
  const onnx::ModelProto model = loadModel(path);
  return Lowering(path, model).run();
}

const std::vector<std::string>& supportedOnnxOps() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (const auto& e : opTable()) v.emplace_back(e.op);
    return v;
  }();
  return ops;
}

}  // namespace mxsim::wl
