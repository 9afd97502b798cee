// Lowers an ONNX graph to a Program: one pass over the (topologically sorted) nodes, one handler per op.
// Every value is either a constant known at import time (initializers, Constant nodes, and whatever the
// importer folds: the Shape→Gather→Concat chains exporters emit) or a computed per-image tensor with a
// buffer. Dimension 0 of the graph input is the batch: images are independent, so any node that would mix
// data across dimension 0 is rejected with a message that says so. Identity-like nodes alias buffers.
#include "workloads/onnx/onnx_importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <deque>
#include <filesystem>
#include <functional>
#include <numeric>
#include <optional>
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
  const std::string& op() const { return proto.op_type(); }
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

/// Row-major strides of a shape.
std::vector<std::int64_t> stridesOf(const Shape& s) {
  std::vector<std::int64_t> st(s.size(), 1);
  for (std::size_t k = s.size(); k-- > 1;) st[k - 1] = st[k] * s[k];
  return st;
}

/// For every element of `out` (row-major), the linear index `source(multi-index)` of where it comes from.
std::vector<std::int32_t> buildIndexMap(const Shape& out,
                                        const std::function<std::int64_t(const std::vector<std::int64_t>&)>& source) {
  const auto n = numel(out);
  std::vector<std::int32_t> map(static_cast<std::size_t>(n));
  std::vector<std::int64_t> idx(out.size(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    map[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(source(idx));
    for (std::size_t k = out.size(); k-- > 0;) {  // odometer increment
      if (++idx[k] < out[k]) break;
      idx[k] = 0;
    }
  }
  return map;
}

/// Map from the elements of `out` to those of `operand` under numpy broadcasting (operand right-aligned).
std::vector<std::int32_t> broadcastMap(const Shape& operand, const Shape& out) {
  const auto st = stridesOf(operand);
  const std::size_t lead = out.size() - operand.size();
  return buildIndexMap(out, [&](const std::vector<std::int64_t>& idx) {
    std::int64_t lin = 0;
    for (std::size_t k = 0; k < operand.size(); ++k)
      if (operand[k] != 1) lin += idx[lead + k] * st[k];
    return lin;
  });
}

bool isIdentityMap(const std::vector<std::int32_t>& map) {
  for (std::size_t i = 0; i < map.size(); ++i)
    if (map[i] != static_cast<std::int32_t>(i)) return false;
  return true;
}

/// A constant known at import time: an initializer or Constant attribute (decoded on first use), or a folded
/// result.
struct Const {
  const onnx::TensorProto* proto = nullptr;
  std::shared_ptr<NumTensor> value;
};

double applyBinary(BinaryOp op, double a, double b, bool integer) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return integer ? std::trunc(a / b) : a / b;
  }
  return 0.0;
}

class Lowering {
 public:
  Lowering(std::string path, const onnx::ModelProto& model, const ImportOptions& options);
  Program run();

  // Op handlers, public so that the op table below can name them.
  void conv(const Node& n);
  void gemm(const Node& n);
  void matMul(const Node& n);
  void batchNorm(const Node& n);
  void activationOp(const Node& n);
  void softmax(const Node& n);
  void pool(const Node& n);
  void globalAvgPool(const Node& n);
  void binary(const Node& n);
  void flatten(const Node& n);
  void reshape(const Node& n);
  void squeeze(const Node& n);
  void unsqueeze(const Node& n);
  void concat(const Node& n);
  void transpose(const Node& n);
  void gather(const Node& n);
  void slice(const Node& n);
  void shape(const Node& n);
  void cast(const Node& n);
  void identity(const Node& n);
  void constant(const Node& n);

 private:
  const onnx::GraphProto& graph() const { return m_model.graph(); }

  void readOpset();
  void collectConstants();
  void countUses();
  void bindGraphInput();
  Shape graphInputShape(const onnx::ValueInfoProto& vi);
  void bindGraphOutput();
  void checkDeclaredOutputShape(const onnx::ValueInfoProto& vi, const Shape& computed) const;
  void checkSupported(int index) const;
  void lowerNode(int index);
  void checkOutputs(const Node& n) const;

  // Reading a node's inputs.
  void requireInputs(const Node& n, int min, int max) const;
  [[noreturn]] void failUnknownInput(const Node& n, const std::string& value) const;
  bool isConst(const Node& n, int i) const { return n.has(i) && m_constants.count(n.in(i)); }
  int activation(const Node& n, int i) const;
  const Shape& shapeOf(int buffer) const { return m_prog.buffers[static_cast<std::size_t>(buffer)]; }
  void requireRank(const Node& n, int i, std::size_t rank, const char* layout) const;
  const NumTensor& constValue(const Node& n, int i, const char* role) const;
  FloatTensor constFloat(const Node& n, int i, const char* role) const;
  std::vector<std::int64_t> constInts(const Node& n, int i, const char* role) const;
  Eigen::VectorXf constVector(const Node& n, int i, const char* role, std::int64_t len, bool broadcast) const;
  std::vector<std::int64_t> intsFromInputOrAttr(const Node& n, int input, const char* attr, bool* present) const;
  std::int64_t perImageAxis(const Node& n, std::int64_t axis, std::size_t fullRank, const char* what) const;

  // Writing outputs.
  int newBuffer(const Node& n, Shape shape);
  Step& emit(const Node& n, StepKind kind, std::vector<int> inputs, Shape outShape);
  void view(const Node& n, int x, Shape outShape);
  void gatherStep(const Node& n, int x, Shape outShape, std::vector<std::int32_t> map);
  void rearrange(const Node& n, bool folded, const Shape& out, const std::vector<std::int32_t>& map);
  void reshaped(const Node& n, bool folded, Shape out);
  /// Dims of input 0: the whole tensor of a constant (folded), the per-image shape of a computed value.
  Shape dimsOf(const Node& n, bool folded) const {
    return folded ? constValue(n, 0, "data").dims : shapeOf(activation(n, 0));
  }
  void setConst(const Node& n, NumTensor t);
  std::string uniqueStepName(const std::string& base);

  // Pieces shared between op handlers.
  Window window(const Node& n, const Shape& in, std::int64_t kH, std::int64_t kW, bool ceilMode) const;
  std::vector<int> intList(const Node& n, const char* name, std::vector<std::int64_t> def, std::size_t count,
                           std::int64_t min) const;
  void dense(const Node& n, Eigen::MatrixXf weight, Eigen::VectorXf bias, const std::string& weightText);
  Step* batchNormFoldTarget(const std::string& x);
  Shape broadcastShapes(const Node& n, const Shape& a, const Shape& b) const;

  std::string m_path, m_dir;
  const onnx::ModelProto& m_model;
  ImportOptions m_options;
  Culprit m_graphWho;
  Program m_prog;
  std::int64_t m_opset = 13;  // default-domain opset the model imports
  std::optional<std::int64_t> m_fixedBatch;  // the graph input's dim 0 when it is a number
  mutable std::unordered_map<std::string, Const> m_constants;
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
      {"Relu", &Lowering::activationOp},
      {"Clip", &Lowering::activationOp},
      {"LeakyRelu", &Lowering::activationOp},
      {"Sigmoid", &Lowering::activationOp},
      {"HardSigmoid", &Lowering::activationOp},
      {"HardSwish", &Lowering::activationOp},
      {"Round", &Lowering::activationOp},
      {"Softmax", &Lowering::softmax},
      {"MaxPool", &Lowering::pool},
      {"AveragePool", &Lowering::pool},
      {"GlobalAveragePool", &Lowering::globalAvgPool},
      {"Add", &Lowering::binary},
      {"Sub", &Lowering::binary},
      {"Mul", &Lowering::binary},
      {"Div", &Lowering::binary},
      {"Flatten", &Lowering::flatten},
      {"Reshape", &Lowering::reshape},
      {"Squeeze", &Lowering::squeeze},
      {"Unsqueeze", &Lowering::unsqueeze},
      {"Concat", &Lowering::concat},
      {"Transpose", &Lowering::transpose},
      {"Gather", &Lowering::gather},
      {"Slice", &Lowering::slice},
      {"Shape", &Lowering::shape},
      {"Cast", &Lowering::cast},
      {"Identity", &Lowering::identity},
      {"Dropout", &Lowering::identity},  // inference: Dropout passes its input through
      {"Constant", &Lowering::constant},
  };
  return table;
}

const OpEntry* findOp(const onnx::NodeProto& p);

// ---- graph level ----

Lowering::Lowering(std::string path, const onnx::ModelProto& model, const ImportOptions& options)
    : m_path(std::move(path)), m_model(model), m_options(options), m_graphWho{m_path, "", ""} {
  m_dir = std::filesystem::path(m_path).parent_path().string();
  if (m_dir.empty()) m_dir = ".";
}

Program Lowering::run() {
  // A text or empty file often parses as a ModelProto of unknown fields; it is then graph-less.
  if (!m_model.has_graph()) m_graphWho.fail("not a valid ONNX model (no graph)");
  if (graph().node_size() == 0) m_graphWho.fail("graph has no nodes");
  m_prog.modelPath = m_path;
  readOpset();
  // An unsupported operator is the most useful thing to report, so look for one before anything else.
  for (int i = 0; i < graph().node_size(); ++i) checkSupported(i);
  collectConstants();
  countUses();
  bindGraphInput();
  m_outputName = graph().output_size() == 1 ? graph().output(0).name() : "";
  for (int i = 0; i < graph().node_size(); ++i) lowerNode(i);
  bindGraphOutput();
  return std::move(m_prog);
}

void Lowering::readOpset() {
  // IR 3 introduced opset_import; IR 10 (ONNX 1.15/1.16) only adds element types the decoder rejects by name.
  constexpr std::int64_t kMinIrVersion = 3, kMaxIrVersion = 10;
  if (m_model.ir_version() < kMinIrVersion || m_model.ir_version() > kMaxIrVersion)
    m_graphWho.fail(fmt::format("ONNX IR version {} is not supported (allowed {} … {}; corrupt or future model?)",
                                m_model.ir_version(), kMinIrVersion, kMaxIrVersion));
  for (const auto& o : m_model.opset_import())
    if (isDefaultDomain(o.domain())) m_opset = o.version();
  // Opset 18 changed signatures the importer reads (Split's num_outputs, Pad's axes, Resize's attributes);
  // 17 is the newest opset whose operator definitions it implements and the ONNX 1.12 conformance test checks.
  constexpr std::int64_t kMinOpset = 1, kMaxOpset = 17;
  if (m_opset < kMinOpset || m_opset > kMaxOpset)
    m_graphWho.fail(fmt::format("default-domain opset {} is not supported (allowed {} … {}); re-export the model "
                                "with an opset in that range",
                                m_opset, kMinOpset, kMaxOpset));
}

void Lowering::collectConstants() {
  if (graph().sparse_initializer_size() > 0) m_graphWho.fail("sparse initializers not supported");
  for (const auto& t : graph().initializer()) {
    tensorDims(t, m_graphWho);  // shape sanity before anything reads it
    m_constants[t.name()] = Const{&t, nullptr};
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
    m_graphWho.fail(fmt::format("graph has {} inputs ({}); exactly one is supported (make the others initializers)",
                                real.size(), fmt::join(names, ", ")));
  }
  m_prog.inputName = real[0]->name();
  const Shape shape = graphInputShape(*real[0]);
  m_prog.input = static_cast<int>(m_prog.buffers.size());
  m_prog.buffers.push_back(shape);
  m_values[m_prog.inputName] = m_prog.input;
}

Shape Lowering::graphInputShape(const onnx::ValueInfoProto& vi) {
  const auto fail = [&](const std::string& what) { m_graphWho.fail(fmt::format("input '{}' {}", vi.name(), what)); };
  if (!vi.type().has_tensor_type()) fail("is not a tensor");
  const auto& tt = vi.type().tensor_type();
  if (tt.elem_type() != onnx::TensorProto::FLOAT)
    fail(fmt::format("has element type {}; only FLOAT is supported", dataTypeName(tt.elem_type())));
  if (!tt.has_shape()) {
    if (!m_options.inputShape) fail("has no shape; pass --input-shape (per image, e.g. 3x224x224)");
    return *m_options.inputShape;
  }
  const int rank = tt.shape().dim_size();
  if (rank < 1) fail("is a scalar; the first dimension must be the batch");
  const auto& d0 = tt.shape().dim(0);
  if (d0.has_dim_value() && d0.dim_value() > 0) m_fixedBatch = d0.dim_value();
  // Dimension 0 is the batch: symbolic or any value, it is dynamic in the Program.
  Shape declared;
  std::vector<std::string> texts;
  bool symbolic = false;
  for (int k = 1; k < rank; ++k) {
    const auto& d = tt.shape().dim(k);
    texts.push_back(dimText(d));
    const bool known = d.has_dim_value() && d.dim_value() > 0;
    symbolic |= !known;
    declared.push_back(known ? d.dim_value() : -1);
  }
  if (m_options.inputShape) {
    const Shape& given = *m_options.inputShape;
    bool ok = given.size() == declared.size();
    for (std::size_t k = 0; ok && k < given.size(); ++k) ok = declared[k] < 0 || declared[k] == given[k];
    if (!ok)
      fail(fmt::format("is declared as [batch, {}]; {} {} does not fit it", fmt::join(texts, ", "),
                       m_options.inputShapeSource, shapeText(given)));
    declared = given;
  } else if (symbolic) {
    fail(fmt::format("has dynamic dimensions [batch, {}]; only the batch may be dynamic: pass --input-shape with the "
                     "per-image shape (e.g. --input-shape 3x224x224)",
                     fmt::join(texts, ", ")));
  }
  checkedNumel(declared, m_graphWho, fmt::format("input '{}' (per image)", vi.name()));
  return declared;
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
    if (m_constants.count(vi.name()))
      m_graphWho.fail(fmt::format("graph output '{}' is a constant (it does not depend on the input)", vi.name()));
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

const OpEntry* findOp(const onnx::NodeProto& p) {
  if (!isDefaultDomain(p.domain())) return nullptr;
  const auto& table = opTable();
  const auto it = std::find_if(table.begin(), table.end(), [&](const OpEntry& e) { return p.op_type() == e.op; });
  return it == table.end() ? nullptr : &*it;
}

void Lowering::checkSupported(int index) const {
  const auto& p = graph().node(index);
  if (findOp(p)) return;
  const Culprit who{m_path, displayName(p, index), opText(p)};
  const std::string hint = p.op_type() == "ConvTranspose" && isDefaultDomain(p.domain())
                               ? "; ConvTranspose is out of scope (no transposed convolution on the arrays)"
                               : "";
  who.fail(fmt::format("operator not supported{} (supported: {})", hint, fmt::join(supportedOnnxOps(), ", ")));
}

void Lowering::lowerNode(int index) {
  const auto& p = graph().node(index);
  const Node n(p, Culprit{m_path, displayName(p, index), opText(p)});
  checkOutputs(n);
  (this->*(findOp(p)->handler))(n);
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
  for (int i = 0; i < count; ++i)
    if (n.has(i) && !m_values.count(n.in(i)) && !m_constants.count(n.in(i))) failUnknownInput(n, n.in(i));
}

void Lowering::failUnknownInput(const Node& n, const std::string& value) const {
  const auto later = m_producingNode.find(value);
  if (later != m_producingNode.end())
    n.fail(fmt::format("input '{}' is produced by a later node '{}' (nodes must be topologically sorted)", value,
                       displayName(graph().node(later->second), later->second)));
  n.fail(fmt::format("input '{}' is neither a graph input, an initializer nor produced by an earlier node "
                     "(missing initializer?)",
                     value));
}

/// Buffer id of a computed (non-constant) input.
int Lowering::activation(const Node& n, int i) const {
  const auto& v = n.in(i);
  const auto it = m_values.find(v);
  if (it != m_values.end()) return it->second;
  if (m_constants.count(v))
    n.fail(fmt::format("input '{}' is a constant; {} needs it to be a computed value", v, n.op()));
  failUnknownInput(n, v);
}

void Lowering::requireRank(const Node& n, int i, std::size_t rank, const char* layout) const {
  const Shape& s = shapeOf(activation(n, i));
  if (s.size() != rank)
    n.fail(fmt::format("input '{}' has per-image shape {} (rank {}); expected {}", n.in(i), shapeText(s), s.size(),
                       layout));
}

const NumTensor& Lowering::constValue(const Node& n, int i, const char* role) const {
  const auto& v = n.in(i);
  const auto it = m_constants.find(v);
  if (it == m_constants.end()) {
    if (m_values.count(v)) n.fail(fmt::format("{} '{}' must be a constant (an initializer), not computed", role, v));
    failUnknownInput(n, v);
  }
  Const& c = it->second;
  if (!c.value) c.value = std::make_shared<NumTensor>(decodeNumeric(*c.proto, n.who, m_dir));
  return *c.value;
}

FloatTensor Lowering::constFloat(const Node& n, int i, const char* role) const {
  FloatTensor out;
  const auto it = m_constants.find(n.in(i));
  if (it != m_constants.end() && it->second.proto && !it->second.value) {
    out = decodeFloat(*it->second.proto, n.who, m_dir);  // large weights: straight to float
  } else {
    const NumTensor& t = constValue(n, i, role);
    if (!t.isFloat) n.fail(fmt::format("{} '{}' must be a float tensor", role, n.in(i)));
    out = FloatTensor{t.dims, std::vector<float>(t.v.begin(), t.v.end())};
  }
  // A NaN or infinite weight poisons every output it touches, and the chip's calibration with it (one NaN
  // weight made a chip report 83 % against an ideal 8 %): a corrupt or diverged model, never a real one.
  const auto bad = std::find_if(out.data.begin(), out.data.end(), [](float v) { return !std::isfinite(v); });
  if (bad != out.data.end())
    n.fail(fmt::format("{} '{}' holds {} at flat index {} of shape {}; weights must be finite (a diverged or corrupt "
                       "model?)",
                       role, n.in(i), std::isnan(*bad) ? "NaN" : "an infinite value", bad - out.data.begin(),
                       shapeText(out.dims)));
  return out;
}

std::vector<std::int64_t> Lowering::constInts(const Node& n, int i, const char* role) const {
  const NumTensor& t = constValue(n, i, role);
  if (t.isFloat) n.fail(fmt::format("{} '{}' must be an integer tensor", role, n.in(i)));
  if (t.hasBatch())
    n.fail(fmt::format("{} '{}' depends on the batch size, which is dynamic in mxsim", role, n.in(i)));
  std::vector<std::int64_t> out;
  for (double d : t.v) out.push_back(d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : static_cast<std::int64_t>(d));
  return out;
}

/// A constant vector of `len` values; with `broadcast` also [1, len] and single values.
Eigen::VectorXf Lowering::constVector(const Node& n, int i, const char* role, std::int64_t len,
                                      bool broadcast) const {
  const FloatTensor t = constFloat(n, i, role);
  if (t.dims == Shape{len} || (broadcast && t.dims == Shape{1, len})) return toVector(t);
  if (broadcast && t.data.size() == 1 && t.dims.size() <= 2)
    return Eigen::VectorXf::Constant(static_cast<Eigen::Index>(len), t.data[0]);
  n.fail(fmt::format("{} '{}' has shape {}, expected {}{}", role, n.in(i), shapeText(t.dims), len,
                     broadcast ? fmt::format(", 1x{} or a scalar", len) : ""));
}

/// Integer list given as a constant input (newer opsets) or an attribute (older ones).
std::vector<std::int64_t> Lowering::intsFromInputOrAttr(const Node& n, int input, const char* attr,
                                                        bool* present) const {
  if (n.has(input)) {
    *present = true;
    return constInts(n, input, attr);
  }
  *present = n.attrs.has(attr);
  return n.attrs.getInts(attr, {});
}

/// Axis of a full-rank (with batch) tensor → per-image axis; axis 0 is the batch and is refused.
std::int64_t Lowering::perImageAxis(const Node& n, std::int64_t axis, std::size_t fullRank, const char* what) const {
  const auto r = static_cast<std::int64_t>(fullRank);
  const std::int64_t a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) n.fail(fmt::format("{} {} out of range for rank {}", what, axis, r));
  if (a == 0)
    n.fail(fmt::format("{} {} is the batch dimension: mxsim runs images independently and cannot {} across it", what,
                       axis, n.op() == "Softmax" ? "normalise" : "operate"));
  return a - 1;
}

// ---- writing outputs ----

int Lowering::newBuffer(const Node& n, Shape shape) {
  checkedNumel(shape, n.who, fmt::format("output '{}'", n.out()));
  m_prog.buffers.push_back(std::move(shape));
  return static_cast<int>(m_prog.buffers.size()) - 1;
}

/// The denoiser block a node belongs to: its name has a path segment `mxsim_denoiser_<id>` (what
/// torch.onnx.export makes of a submodule attribute with that name; docs/workloads.md), else -1.
int denoiserBlockOf(const std::string& nodeName) {
  static const std::string kTag = "mxsim_denoiser_";
  for (std::size_t at = nodeName.find(kTag); at != std::string::npos; at = nodeName.find(kTag, at + 1)) {
    if (at > 0 && nodeName[at - 1] != '/' && nodeName[at - 1] != '.') continue;
    std::size_t end = at + kTag.size();
    int id = 0;
    bool digits = false;
    while (end < nodeName.size() && std::isdigit(static_cast<unsigned char>(nodeName[end])) && id < 1000000)
      id = id * 10 + (nodeName[end++] - '0'), digits = true;
    if (digits && (end == nodeName.size() || nodeName[end] == '/' || nodeName[end] == '.')) return id;
  }
  return -1;
}

Step& Lowering::emit(const Node& n, StepKind kind, std::vector<int> inputs, Shape outShape) {
  Step s;
  s.kind = kind;
  s.denoiserBlock = denoiserBlockOf(n.proto.name());
  s.name = uniqueStepName(n.who.node);
  s.op = n.proto.op_type();
  s.inShape = shapeOf(inputs.at(0));
  s.inputs = std::move(inputs);
  s.outShape = outShape;
  s.output = newBuffer(n, std::move(outShape));
  m_values[n.out()] = s.output;
  m_producer[n.out()] = m_prog.steps.size();
  m_prog.steps.push_back(std::move(s));
  return m_prog.steps.back();
}

/// Same data, new shape (Flatten, Reshape, Squeeze, Unsqueeze, layout-only Transpose).
void Lowering::view(const Node& n, int x, Shape outShape) {
  if (numel(outShape) != numel(shapeOf(x)))
    n.fail(fmt::format("cannot view shape {} as {}", shapeText(shapeOf(x)), shapeText(outShape)));
  emit(n, StepKind::Reshape, {x}, std::move(outShape));
}

/// Output of Transpose/Gather/Slice as `out[i] = in[map[i]]`: folded when the input is a constant (batch
/// markers travel with their values), else a gather step on the computed input.
void Lowering::rearrange(const Node& n, bool folded, const Shape& out, const std::vector<std::int32_t>& map) {
  if (!folded) {
    gatherStep(n, activation(n, 0), out, map);
    return;
  }
  const NumTensor& t = constValue(n, 0, "data");
  NumTensor r{out, {}, t.isFloat, {}};
  for (auto i : map) {
    r.v.push_back(t.v[static_cast<std::size_t>(i)]);
    if (t.hasBatch()) r.batch.push_back(t.isBatch(static_cast<std::size_t>(i)));
  }
  setConst(n, std::move(r));
}

/// Same values, new dims (Flatten, Reshape, Squeeze, Unsqueeze): a folded constant or a view step.
void Lowering::reshaped(const Node& n, bool folded, Shape out) {
  if (!folded) {
    view(n, activation(n, 0), std::move(out));
    return;
  }
  NumTensor t = constValue(n, 0, "data");
  t.dims = std::move(out);
  setConst(n, std::move(t));
}

/// A data rearrangement (Transpose, Gather, Slice): a view when the map is the identity.
void Lowering::gatherStep(const Node& n, int x, Shape outShape, std::vector<std::int32_t> map) {
  if (static_cast<std::int64_t>(map.size()) == numel(shapeOf(x)) && isIdentityMap(map)) {
    view(n, x, std::move(outShape));
    return;
  }
  Step& s = emit(n, StepKind::Gather, {x}, std::move(outShape));
  s.indexMap = std::move(map);
}

void Lowering::setConst(const Node& n, NumTensor t) {
  checkedNumel(t.dims, n.who, fmt::format("output '{}'", n.out()));
  m_constants[n.out()] = Const{nullptr, std::make_shared<NumTensor>(std::move(t))};
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

/// Geometry shared by Conv and the pools: strides, dilations, explicit or automatic pads, output size.
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

/// Gemm and MatMul: every K-vector along the input's last axis times a constant K × N matrix.
void Lowering::dense(const Node& n, Eigen::MatrixXf weight, Eigen::VectorXf bias, const std::string& weightText) {
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (in.empty())
    n.fail(fmt::format("input '{}' is one value per image; a matrix product needs [N, ..., K] (its rows would mix "
                       "images)",
                       n.in(0)));
  const auto k = in.back();
  if (k != weight.rows())
    n.fail(fmt::format("input '{}' (per-image shape {}) has {} features but {} expects K={}", n.in(0),
                       shapeText(in), k, weightText, weight.rows()));
  Shape out = in;
  out.back() = weight.cols();
  Step& s = emit(n, StepKind::AnalogGemm, {x}, out);
  s.isConv = false;
  s.weight = std::move(weight);
  s.bias = std::move(bias);
}

/// The analog step a BatchNormalization on `x` can be folded into: `x` must come straight from it and feed
/// nothing else (folding rescales the step's output for every reader), and must not be the graph output.
/// Only a per-channel scale is foldable: conv outputs (channel = column) or [N, F] gemm outputs.
Step* Lowering::batchNormFoldTarget(const std::string& x) {
  const auto it = m_producer.find(x);
  if (it == m_producer.end() || x == m_outputName || m_uses[x] != 1) return nullptr;
  Step& s = m_prog.steps[it->second];
  if (s.kind != StepKind::AnalogGemm) return nullptr;
  return s.isConv || s.outShape.size() == 1 ? &s : nullptr;
}

/// numpy broadcasting of two per-image shapes (right-aligned).
Shape Lowering::broadcastShapes(const Node& n, const Shape& a, const Shape& b) const {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::int64_t da = k < out.size() - a.size() ? 1 : a[k - (out.size() - a.size())];
    const std::int64_t db = k < out.size() - b.size() ? 1 : b[k - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      n.fail(fmt::format("shapes {} and {} (per image) cannot be broadcast together", shapeText(a), shapeText(b)));
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// ---- op handlers ----

void Lowering::conv(const Node& n) {
  requireInputs(n, 2, 3);
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (in.size() != 3)
    n.fail(fmt::format("input '{}' has per-image shape {}; only 2-D convolution (an [N,C,H,W] input) is supported",
                       n.in(0), shapeText(in)));
  const auto group = n.attrs.getInt("group", 1);
  const FloatTensor w = constFloat(n, 1, "weights");
  if (w.dims.size() != 4)
    n.fail(fmt::format("weights '{}' have shape {}; expected Cout×Cin/group×kH×kW", n.in(1), shapeText(w.dims)));
  const auto cout = w.dims[0], cinG = w.dims[1], kH = w.dims[2], kW = w.dims[3];
  if (group < 1 || in[0] % group != 0 || cout % group != 0)
    n.fail(fmt::format("group={} must divide the input channels ({}) and the output channels ({})", group, in[0],
                       cout));
  if (cinG * group != in[0])
    n.fail(fmt::format("input '{}' has {} channels (shape {}) but weights '{}' (shape {}, group={}) expect {}",
                       n.in(0), in[0], shapeText(in), n.in(1), shapeText(w.dims), group, cinG * group));
  const auto kernel = n.attrs.getInts("kernel_shape", {kH, kW});
  if (kernel != std::vector<std::int64_t>{kH, kW})
    n.fail(fmt::format("kernel_shape [{}] does not match weights shape {}", fmt::join(kernel, ", "),
                       shapeText(w.dims)));
  const Window win = window(n, in, kH, kW, /*ceilMode=*/false);
  Eigen::VectorXf bias = n.has(2) ? constVector(n, 2, "bias", cout, false) : Eigen::VectorXf::Zero(cout);

  Step& s = emit(n, StepKind::AnalogGemm, {x}, {cout, win.outH, win.outW});
  s.isConv = true;
  s.window = win;
  s.groups = static_cast<int>(group);
  // W viewed as Cout × (Cin/g·kH·kW) row-major has column index (c·kH + i)·kW + j within a group: transpose it.
  // A grouped conv becomes block-diagonal: group g reads im2col rows g·Kg.. and writes columns g·Cg...
  const Eigen::MatrixXf wt = toMatrix(w, cout, cinG * kH * kW).transpose();
  if (group == 1) {
    s.weight = wt;
  } else {
    const Eigen::Index kg = cinG * kH * kW, cg = cout / group;
    s.weight = Eigen::MatrixXf::Zero(kg * group, cout);
    for (Eigen::Index g = 0; g < group; ++g) s.weight.block(g * kg, g * cg, kg, cg) = wt.middleCols(g * cg, cg);
  }
  s.bias = std::move(bias);
}

void Lowering::gemm(const Node& n) {
  requireInputs(n, 2, 3);
  if (n.attrs.getInt("transA", 0) != 0)
    n.fail("transA=1 is not supported: A's first dimension is the batch (images are independent)");
  const int x = activation(n, 0);
  if (shapeOf(x).size() != 1)
    n.fail(fmt::format("input A '{}' must be 2-D [N, K]; it is [N, {}]", n.in(0), fmt::join(shapeOf(x), ", ")));
  const bool transB = n.attrs.getInt("transB", 0) != 0;
  const float alpha = n.attrs.getFloat("alpha", 1.0f);
  const float beta = n.attrs.getFloat("beta", 1.0f);
  const FloatTensor b = constFloat(n, 1, "weights B");
  if (b.dims.size() != 2) n.fail(fmt::format("weights '{}' have shape {}; expected 2-D", n.in(1), shapeText(b.dims)));
  const Eigen::MatrixXf m = toMatrix(b, b.dims[0], b.dims[1]);
  Eigen::MatrixXf weight = alpha * (transB ? Eigen::MatrixXf(m.transpose()) : m);
  Eigen::VectorXf bias = Eigen::VectorXf::Zero(weight.cols());
  if (n.has(2)) {
    const FloatTensor c = constFloat(n, 2, "bias C");
    // C broadcasts to [N, Cout]; a C with a row per image would tie the result to the batch size.
    const bool perColumn = c.dims.empty() || c.dims.back() == 1 || c.dims.back() == weight.cols();
    if (c.dims.size() > 2 || !perColumn || (c.dims.size() == 2 && c.dims[0] != 1))
      n.fail(fmt::format("bias C '{}' has shape {}; expected [{}], [1, {}], [1] or a scalar (a C with one row per "
                         "image depends on the batch)",
                         n.in(2), shapeText(c.dims), weight.cols(), weight.cols()));
    bias = c.data.size() == 1 ? Eigen::VectorXf::Constant(weight.cols(), c.data[0]) : toVector(c);
    bias *= beta;
  }
  dense(n, std::move(weight), std::move(bias),
        fmt::format("B '{}' (shape {}, transB={})", n.in(1), shapeText(b.dims), transB ? 1 : 0));
}

void Lowering::matMul(const Node& n) {
  requireInputs(n, 2, 2);
  activation(n, 0);
  if (!isConst(n, 1))
    n.fail(fmt::format("input B '{}' is computed; only a constant B (weights) maps onto the arrays", n.in(1)));
  const FloatTensor b = constFloat(n, 1, "weights B");
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
    return Eigen::VectorXd(constVector(n, i, role, channels, false).cast<double>());
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

void Lowering::activationOp(const Node& n) {
  const std::string& op = n.op();
  requireInputs(n, 1, op == "Clip" ? 3 : 1);
  const int x = activation(n, 0);
  ActivationKind kind = ActivationKind::Relu;
  float alpha = 0.0f, beta = 0.0f;
  if (op == "Clip") {
    kind = ActivationKind::Clip;
    alpha = -std::numeric_limits<float>::infinity();
    beta = std::numeric_limits<float>::infinity();
    if (m_opset < 11) {
      alpha = n.attrs.getFloat("min", alpha);
      beta = n.attrs.getFloat("max", beta);
    }
    for (int i : {1, 2}) {
      if (!n.has(i)) continue;
      const NumTensor& t = constValue(n, i, i == 1 ? "min" : "max");
      if (t.v.size() != 1) n.fail(fmt::format("{} '{}' must be a scalar", i == 1 ? "min" : "max", n.in(i)));
      (i == 1 ? alpha : beta) = static_cast<float>(t.v[0]);
    }
  } else if (op == "LeakyRelu") {
    kind = ActivationKind::LeakyRelu;
    alpha = n.attrs.getFloat("alpha", 0.01f);
  } else if (op == "Sigmoid") {
    kind = ActivationKind::Sigmoid;
  } else if (op == "HardSigmoid") {
    kind = ActivationKind::HardSigmoid;
    alpha = n.attrs.getFloat("alpha", 0.2f);
    beta = n.attrs.getFloat("beta", 0.5f);
  } else if (op == "HardSwish") {
    kind = ActivationKind::HardSwish;
  } else if (op == "Round") {
    kind = ActivationKind::Round;
  }
  Step& s = emit(n, StepKind::Activation, {x}, shapeOf(x));
  s.activation = kind;
  s.alpha = alpha;
  s.beta = beta;
}

void Lowering::softmax(const Node& n) {
  requireInputs(n, 1, 1);
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  const std::size_t full = in.size() + 1;
  // Opset 13 normalises along one axis (default -1); earlier opsets flatten [axis:] (default axis 1).
  const auto axis = perImageAxis(n, n.attrs.getInt("axis", m_opset >= 13 ? -1 : 1), full, "axis");
  Step& s = emit(n, StepKind::Softmax, {x}, in);
  s.outer = numel(Shape(in.begin(), in.begin() + axis));
  if (m_opset >= 13) {
    s.axisLen = in[static_cast<std::size_t>(axis)];
    s.inner = numel(Shape(in.begin() + axis + 1, in.end()));
  } else {
    s.axisLen = numel(Shape(in.begin() + axis, in.end()));
    s.inner = 1;
  }
}

void Lowering::pool(const Node& n) {
  requireInputs(n, 1, 1);
  const bool isMax = n.op() == "MaxPool";
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (in.size() != 3)
    n.fail(fmt::format("input '{}' has per-image shape {}; only 2-D pooling (an [N,C,H,W] input) is supported",
                       n.in(0), shapeText(in)));
  if (isMax && n.attrs.getInt("storage_order", 0) != 0) n.fail("storage_order=1 not supported");
  const auto ceilMode = n.attrs.getInt("ceil_mode", 0);
  if (ceilMode != 0 && ceilMode != 1) n.fail(fmt::format("ceil_mode={} not valid (0 or 1)", ceilMode));
  if (!isMax && n.attrs.has("dilations")) n.fail("AveragePool dilations not supported");
  if (!n.attrs.has("kernel_shape")) n.fail("attribute 'kernel_shape' is required");
  const auto kernel = intList(n, "kernel_shape", {}, 2, 1);
  const Window win = window(n, in, kernel[0], kernel[1], ceilMode == 1);
  Step& s = emit(n, isMax ? StepKind::MaxPool : StepKind::AvgPool, {x}, {in[0], win.outH, win.outW});
  s.window = win;
  s.countIncludePad = !isMax && n.attrs.getInt("count_include_pad", 0) != 0;
}

void Lowering::globalAvgPool(const Node& n) {
  requireInputs(n, 1, 1);
  requireRank(n, 0, 3, "C×H×W (an [N,C,H,W] input; 2-D only)");
  const int x = activation(n, 0);
  emit(n, StepKind::GlobalAvgPool, {x}, {shapeOf(x)[0], 1, 1});
}

void Lowering::binary(const Node& n) {
  requireInputs(n, 2, 2);
  const std::string& op = n.op();
  const BinaryOp bop = op == "Add" ? BinaryOp::Add : op == "Sub" ? BinaryOp::Sub : op == "Mul" ? BinaryOp::Mul
                                                                                                : BinaryOp::Div;
  const bool c0 = isConst(n, 0), c1 = isConst(n, 1);
  if (c0 && c1) {  // fold: numpy broadcasting over full shapes
    const NumTensor& a = constValue(n, 0, "A");
    const NumTensor& b = constValue(n, 1, "B");
    if (a.hasBatch() || b.hasBatch())
      n.fail("arithmetic on the batch size is not supported (the batch is dynamic in mxsim)");
    NumTensor out;
    out.isFloat = a.isFloat || b.isFloat;
    out.dims = broadcastShapes(n, a.dims, b.dims);
    const auto ma = broadcastMap(a.dims, out.dims), mb = broadcastMap(b.dims, out.dims);
    out.v.resize(ma.size());
    for (std::size_t i = 0; i < ma.size(); ++i) {
      if (bop == BinaryOp::Div && !out.isFloat && b.v[mb[i]] == 0) n.fail("integer division by zero");
      out.v[i] = applyBinary(bop, a.v[ma[i]], b.v[mb[i]], !out.isFloat);
    }
    setConst(n, std::move(out));
    return;
  }
  if (!c0 && !c1) {
    const int a = activation(n, 0), b = activation(n, 1);
    // Both carry the batch in dimension 0, so their per-image ranks must agree for it to line up.
    if (shapeOf(a).size() != shapeOf(b).size())
      n.fail(fmt::format("inputs have per-image shapes {} and {} of different rank: broadcasting would align "
                         "one input's batch dimension with a data dimension",
                         shapeText(shapeOf(a)), shapeText(shapeOf(b))));
    const Shape out = broadcastShapes(n, shapeOf(a), shapeOf(b));
    Step& s = emit(n, StepKind::Binary, {a, b}, out);
    s.binary = bop;
    s.indexMap = shapeOf(a) == out ? std::vector<std::int32_t>{} : broadcastMap(shapeOf(a), out);
    s.indexMap2 = shapeOf(b) == out ? std::vector<std::int32_t>{} : broadcastMap(shapeOf(b), out);
    return;
  }
  const int ci = c0 ? 0 : 1;
  const int x = activation(n, 1 - ci);
  const Shape xs = shapeOf(x);
  const FloatTensor c = constFloat(n, ci, "constant operand");
  // The constant's own dimension aligned with the batch (if it reaches that far) must be 1.
  Shape cs = c.dims;
  if (cs.size() > xs.size() + 1)
    n.fail(fmt::format("constant '{}' (shape {}) has a higher rank than the computed input [N, {}]: the batch "
                       "dimension would move",
                       n.in(ci), shapeText(c.dims), fmt::join(xs, ", ")));
  if (cs.size() == xs.size() + 1) {
    if (cs[0] != 1)
      n.fail(fmt::format("constant '{}' (shape {}) has {} entries along the batch dimension; it must be 1",
                         n.in(ci), shapeText(c.dims), cs[0]));
    cs.erase(cs.begin());
  }
  const Shape out = broadcastShapes(n, xs, cs);
  Step& s = emit(n, StepKind::Binary, {x}, out);
  s.binary = bop;
  s.constantIndex = ci;
  s.indexMap = xs == out ? std::vector<std::int32_t>{} : broadcastMap(xs, out);
  const auto cmap = broadcastMap(cs, out);
  s.constant.resize(static_cast<Eigen::Index>(cmap.size()));
  for (std::size_t i = 0; i < cmap.size(); ++i) s.constant[static_cast<Eigen::Index>(i)] = c.data[cmap[i]];
}

void Lowering::flatten(const Node& n) {
  requireInputs(n, 1, 1);
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const auto rank = static_cast<std::int64_t>(in.size()) + (folded ? 0 : 1);
  auto axis = n.attrs.getInt("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) n.fail(fmt::format("axis {} out of range for rank {}", n.attrs.getInt("axis", 1), rank));
  if (folded) {
    reshaped(n, true, {numel(Shape(in.begin(), in.begin() + axis)), numel(Shape(in.begin() + axis, in.end()))});
    return;
  }
  // [N, d1.., dk..] → [N·d1.., dk..] keeps images apart only when the dims before the axis are all 1.
  const Shape lead(in.begin(), in.begin() + std::max<std::int64_t>(axis - 1, 0));
  if (axis == 0 || numel(lead) != 1)
    n.fail(fmt::format("axis={} would merge the batch dimension with data dimensions (per-image shape {}); only "
                       "axis=1 is supported",
                       n.attrs.getInt("axis", 1), shapeText(in)));
  reshaped(n, false, {numel(in)});
}

void Lowering::reshape(const Node& n) {
  requireInputs(n, 1, 2);
  bool present = false;
  const NumTensor* specT = nullptr;
  std::vector<std::int64_t> spec;
  if (n.has(1)) {
    specT = &constValue(n, 1, "shape");
    if (specT->isFloat) n.fail(fmt::format("shape '{}' must be an integer tensor", n.in(1)));
    for (double d : specT->v) spec.push_back(static_cast<std::int64_t>(d));
    if (specT->dims.size() != 1) n.fail(fmt::format("shape '{}' must be 1-D", n.in(1)));
  } else {
    spec = n.attrs.getInts("shape", {});  // opset < 5
    present = n.attrs.has("shape");
    if (!present) n.fail("no target shape (input #1 or attribute 'shape')");
  }
  const bool allowZero = n.attrs.getInt("allowzero", 0) != 0;
  const auto specText = fmt::format("[{}]", fmt::join(spec, ", "));
  if (std::count(spec.begin(), spec.end(), -1) > 1) n.fail(fmt::format("shape {} has more than one -1", specText));
  const auto isBatch = [&](std::size_t k) { return specT && specT->isBatch(k); };

  if (isConst(n, 0)) {  // fold (shape chains, constant weights being reshaped)
    const Shape& dims = constValue(n, 0, "data").dims;
    Shape out;
    std::int64_t inferAt = -1;
    for (std::size_t k = 0; k < spec.size(); ++k) {
      if (isBatch(k)) n.fail("reshaping a constant to the batch size is not supported");
      std::int64_t d = spec[k];
      if (d == 0 && !allowZero) d = k < dims.size() ? dims[k] : 0;
      if (d == -1) inferAt = static_cast<std::int64_t>(k), d = 1;
      out.push_back(d);
    }
    if (inferAt >= 0 && numel(out) > 0) out[static_cast<std::size_t>(inferAt)] = numel(dims) / numel(out);
    if (numel(out) != numel(dims))
      n.fail(fmt::format("cannot reshape constant of shape {} to {}", shapeText(dims), specText));
    reshaped(n, true, out);
    return;
  }
  const int x = activation(n, 0);
  const Shape in = shapeOf(x);
  if (spec.empty()) n.fail(fmt::format("shape {} drops the batch dimension", specText));
  // spec[0] is the batch: the batch marker of a folded Shape, 0 (copy), -1 when the rest covers an image,
  // or the export batch size. Anything else would move data between images.
  bool batchOk = isBatch(0) || (spec[0] == 0 && !allowZero);
  Shape rest;
  std::int64_t inferAt = -1;
  for (std::size_t k = 1; k < spec.size(); ++k) {
    if (isBatch(k)) n.fail(fmt::format("shape {} puts the batch size in dimension {}", specText, k));
    std::int64_t d = spec[k];
    if (d == 0 && !allowZero) {
      if (k - 1 >= in.size())
        n.fail(fmt::format("shape {}: entry {} copies an input dimension the input {} does not have", specText, k,
                           shapeText(in)));
      d = in[k - 1];
    } else if (d == -1) {
      inferAt = static_cast<std::int64_t>(rest.size());
      d = 1;
    } else if (d < 0) {
      n.fail(fmt::format("shape {} has invalid entry {}", specText, d));
    }
    rest.push_back(d);
  }
  if (!batchOk && spec[0] == -1) batchOk = inferAt < 0 && numel(rest) == numel(in);
  if (!batchOk && spec[0] > 0) batchOk = !m_fixedBatch || *m_fixedBatch == spec[0];
  if (!batchOk)
    n.fail(fmt::format("shape {} changes the batch dimension (model input batch {}): mxsim keeps images independent",
                       specText, m_fixedBatch ? std::to_string(*m_fixedBatch) : "dynamic"));
  const auto known = numel(rest);
  if (inferAt >= 0 && known > 0 && numel(in) % known == 0) rest[static_cast<std::size_t>(inferAt)] = numel(in) / known;
  if (numel(rest) != numel(in))
    n.fail(fmt::format("cannot reshape input '{}' of shape {} ({} values per image) to shape {} ({} values)",
                       n.in(0), shapeText(in), numel(in), specText, numel(rest)));
  view(n, x, rest);
}

void Lowering::squeeze(const Node& n) {
  requireInputs(n, 1, 2);
  bool present = false;
  const auto axes = intsFromInputOrAttr(n, 1, "axes", &present);
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const std::size_t full = in.size() + (folded ? 0 : 1);
  const std::size_t off = folded ? 0 : 1;
  std::set<std::size_t> drop;
  if (present) {
    for (auto a : axes) {
      const auto k = a < 0 ? a + static_cast<std::int64_t>(full) : a;
      if (k < 0 || k >= static_cast<std::int64_t>(full)) n.fail(fmt::format("axis {} out of range", a));
      if (!folded && k == 0) n.fail("axis 0 is the batch dimension and cannot be squeezed");
      if (in[static_cast<std::size_t>(k) - off] != 1)
        n.fail(fmt::format("axis {} has size {}, not 1", a, in[static_cast<std::size_t>(k) - off]));
      drop.insert(static_cast<std::size_t>(k) - off);
    }
  } else {
    for (std::size_t k = 0; k < in.size(); ++k)
      if (in[k] == 1) drop.insert(k);  // never the batch (it is dynamic)
  }
  Shape out;
  for (std::size_t k = 0; k < in.size(); ++k)
    if (!drop.count(k)) out.push_back(in[k]);
  reshaped(n, folded, out);
}

void Lowering::unsqueeze(const Node& n) {
  requireInputs(n, 1, 2);
  bool present = false;
  const auto axes = intsFromInputOrAttr(n, 1, "axes", &present);
  if (!present) n.fail("axes are required");
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const std::size_t off = folded ? 0 : 1;
  const auto outRank = static_cast<std::int64_t>(in.size() + off + axes.size());
  std::set<std::int64_t> at;
  for (auto a : axes) {
    const auto k = a < 0 ? a + outRank : a;
    if (k < 0 || k >= outRank || !at.insert(k).second) n.fail(fmt::format("axis {} invalid or repeated", a));
    if (!folded && k == 0) n.fail("axis 0 would insert a dimension before the batch dimension");
  }
  Shape out;
  std::size_t next = 0;
  for (std::int64_t k = static_cast<std::int64_t>(off); k < outRank; ++k) out.push_back(at.count(k) ? 1 : in[next++]);
  reshaped(n, folded, out);
}

void Lowering::concat(const Node& n) {
  requireInputs(n, 1, INT_MAX);
  if (!n.attrs.has("axis")) n.fail("attribute 'axis' is required");
  const auto axisAttr = n.attrs.getInt("axis", 0);
  bool allConst = true;
  for (int i = 0; i < n.proto.input_size(); ++i) allConst &= isConst(n, i);
  if (allConst) {
    const NumTensor& first = constValue(n, 0, "input");
    const auto r = static_cast<std::int64_t>(first.dims.size());
    const auto axis = axisAttr < 0 ? axisAttr + r : axisAttr;
    if (axis < 0 || axis >= r) n.fail(fmt::format("axis {} out of range for rank {}", axisAttr, r));
    NumTensor out;
    out.dims = first.dims;
    out.dims[static_cast<std::size_t>(axis)] = 0;
    out.isFloat = first.isFloat;
    const auto outer = numel(Shape(first.dims.begin(), first.dims.begin() + axis));
    std::vector<const NumTensor*> parts;
    for (int i = 0; i < n.proto.input_size(); ++i) {
      const NumTensor& t = constValue(n, i, "input");
      if (t.dims.size() != first.dims.size()) n.fail("inputs have different ranks");
      for (std::size_t k = 0; k < t.dims.size(); ++k)
        if (static_cast<std::int64_t>(k) != axis && t.dims[k] != first.dims[k])
          n.fail(fmt::format("input shapes {} and {} differ outside axis {}", shapeText(first.dims),
                             shapeText(t.dims), axisAttr));
      out.dims[static_cast<std::size_t>(axis)] += t.dims[static_cast<std::size_t>(axis)];
      parts.push_back(&t);
    }
    const bool batch = std::any_of(parts.begin(), parts.end(), [](const NumTensor* t) { return t->hasBatch(); });
    for (std::int64_t o = 0; o < outer; ++o) {
      for (const NumTensor* t : parts) {
        const auto block = numel(t->dims) / std::max<std::int64_t>(outer, 1);
        for (std::int64_t j = 0; j < block; ++j) {
          out.v.push_back(t->v[static_cast<std::size_t>(o * block + j)]);
          if (batch) out.batch.push_back(t->isBatch(static_cast<std::size_t>(o * block + j)));
        }
      }
    }
    setConst(n, std::move(out));
    return;
  }
  std::vector<int> xs;
  for (int i = 0; i < n.proto.input_size(); ++i) {
    if (isConst(n, i))
      n.fail(fmt::format("input '{}' is a constant: a Concat of computed and constant tensors would need the "
                         "constant to have one slice per image along the batch dimension (not supported)",
                         n.in(i)));
    xs.push_back(activation(n, i));
  }
  const Shape first = shapeOf(xs[0]);
  const auto axis = perImageAxis(n, axisAttr, first.size() + 1, "axis");
  Shape out = first;
  out[static_cast<std::size_t>(axis)] = 0;
  std::vector<std::int64_t> blocks;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = shapeOf(xs[i]);
    bool ok = s.size() == first.size();
    for (std::size_t k = 0; ok && k < s.size(); ++k) ok = static_cast<std::int64_t>(k) == axis || s[k] == first[k];
    if (!ok)
      n.fail(fmt::format("input '{}' has per-image shape {}; it must match {} outside axis {}", n.in(static_cast<int>(i)),
                         shapeText(s), shapeText(first), axisAttr));
    out[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
    blocks.push_back(numel(Shape(s.begin() + axis, s.end())));
  }
  Step& st = emit(n, StepKind::Concat, xs, out);
  st.outer = numel(Shape(first.begin(), first.begin() + axis));
  st.concatBlock = std::move(blocks);
}

void Lowering::transpose(const Node& n) {
  requireInputs(n, 1, 1);
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const std::size_t full = in.size() + (folded ? 0 : 1);
  std::vector<std::int64_t> def(full);
  for (std::size_t k = 0; k < full; ++k) def[k] = static_cast<std::int64_t>(full - 1 - k);
  const auto perm = n.attrs.getInts("perm", def);
  std::vector<std::int64_t> sorted(perm);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t k = 0; k < sorted.size(); ++k)
    if (sorted.size() != full || sorted[k] != static_cast<std::int64_t>(k))
      n.fail(fmt::format("perm [{}] is not a permutation of {} axes", fmt::join(perm, ", "), full));
  if (!folded && perm[0] != 0)
    n.fail(fmt::format("perm [{}] moves the batch dimension (axis 0); mxsim keeps images independent",
                       fmt::join(perm, ", ")));
  // Permutation of the dimensions `in` has (a computed value's per-image dims exclude the batch).
  std::vector<std::int64_t> p;
  for (std::size_t k = folded ? 0 : 1; k < full; ++k) p.push_back(perm[k] - (folded ? 0 : 1));
  Shape out;
  for (auto d : p) out.push_back(in[static_cast<std::size_t>(d)]);
  const auto st = stridesOf(in);
  rearrange(n, folded, out, buildIndexMap(out, [&](const std::vector<std::int64_t>& idx) {
              std::int64_t lin = 0;
              for (std::size_t k = 0; k < idx.size(); ++k) lin += idx[k] * st[static_cast<std::size_t>(p[k])];
              return lin;
            }));
}

void Lowering::gather(const Node& n) {
  requireInputs(n, 2, 2);
  const NumTensor& idxT = constValue(n, 1, "indices");
  if (idxT.isFloat) n.fail(fmt::format("indices '{}' must be integers", n.in(1)));
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const std::size_t full = in.size() + (folded ? 0 : 1);
  const auto axisAttr = n.attrs.getInt("axis", 0);
  std::int64_t axis = 0;
  if (folded) {
    axis = axisAttr < 0 ? axisAttr + static_cast<std::int64_t>(full) : axisAttr;
    if (axis < 0 || axis >= static_cast<std::int64_t>(full)) n.fail(fmt::format("axis {} out of range", axisAttr));
  } else {
    axis = perImageAxis(n, axisAttr, full, "axis");
  }
  const auto dimLen = in[static_cast<std::size_t>(axis)];
  std::vector<std::int64_t> idx;
  for (double d : idxT.v) {
    auto i = static_cast<std::int64_t>(d);
    if (i < -dimLen || i >= dimLen) n.fail(fmt::format("index {} out of range for a dimension of {}", i, dimLen));
    idx.push_back(i < 0 ? i + dimLen : i);
  }
  Shape out(in.begin(), in.begin() + axis);
  out.insert(out.end(), idxT.dims.begin(), idxT.dims.end());
  out.insert(out.end(), in.begin() + axis + 1, in.end());
  const auto st = stridesOf(in);
  const auto q = static_cast<std::size_t>(idxT.dims.size());
  const auto map = buildIndexMap(out, [&](const std::vector<std::int64_t>& o) {
    std::int64_t lin = 0;
    for (std::int64_t k = 0; k < axis; ++k) lin += o[static_cast<std::size_t>(k)] * st[static_cast<std::size_t>(k)];
    std::int64_t flat = 0;  // position in the indices tensor
    for (std::size_t k = 0; k < q; ++k) flat = flat * idxT.dims[k] + o[static_cast<std::size_t>(axis) + k];
    lin += idx[static_cast<std::size_t>(flat)] * st[static_cast<std::size_t>(axis)];
    for (std::size_t k = static_cast<std::size_t>(axis) + 1; k < in.size(); ++k) lin += o[k - 1 + q] * st[k];
    return lin;
  });
  rearrange(n, folded, out, map);
}

void Lowering::slice(const Node& n) {
  requireInputs(n, 1, 5);
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (m_opset < 10) {
    starts = n.attrs.getInts("starts", {});
    ends = n.attrs.getInts("ends", {});
    axes = n.attrs.getInts("axes", {});
  } else {
    if (!n.has(1) || !n.has(2)) n.fail("starts and ends are required");
    starts = constInts(n, 1, "starts");
    ends = constInts(n, 2, "ends");
    if (n.has(3)) axes = constInts(n, 3, "axes");
    if (n.has(4)) steps = constInts(n, 4, "steps");
  }
  const bool folded = isConst(n, 0);
  const Shape in = dimsOf(n, folded);
  const std::size_t off = folded ? 0 : 1, full = in.size() + off;
  if (axes.empty())
    for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    n.fail("starts, ends, axes and steps must have the same length");
  // Per full-rank axis: first index and step; the output extent.
  std::vector<std::int64_t> first(full, 0), step(full, 1);
  Shape fullIn(full, -1), fullOut(full, -1);
  for (std::size_t k = off; k < full; ++k) fullIn[k] = fullOut[k] = in[k - off];
  for (std::size_t j = 0; j < starts.size(); ++j) {
    auto a = axes[j] < 0 ? axes[j] + static_cast<std::int64_t>(full) : axes[j];
    if (a < 0 || a >= static_cast<std::int64_t>(full)) n.fail(fmt::format("axis {} out of range", axes[j]));
    const auto k = static_cast<std::size_t>(a);
    if (steps[j] == 0) n.fail("step 0 is not valid");
    if (!folded && k == 0) {
      // The whole batch axis is fine; anything narrower drops or reorders images.
      if (starts[j] == 0 && steps[j] == 1 && ends[j] >= (m_fixedBatch ? *m_fixedBatch : INT64_MAX / 2)) continue;
      n.fail("slicing the batch dimension (axis 0) is not supported: mxsim keeps images independent");
    }
    const std::int64_t d = fullIn[k];
    // ONNX clamping: [0, d] for positive steps; start in [0, d-1] and end in [-1, d-1] for negative ones.
    auto clampIdx = [&](std::int64_t v, bool isEnd) {
      if (v < 0) v += d;
      if (steps[j] > 0) return std::clamp<std::int64_t>(v, 0, d);
      return std::clamp<std::int64_t>(v, isEnd ? -1 : 0, d - 1);
    };
    const std::int64_t s = clampIdx(starts[j], false), e = clampIdx(ends[j], true);
    const std::int64_t len = steps[j] > 0 ? std::max<std::int64_t>(0, (e - s + steps[j] - 1) / steps[j])
                                          : std::max<std::int64_t>(0, (s - e + (-steps[j]) - 1) / (-steps[j]));
    first[k] = s;
    step[k] = steps[j];
    fullOut[k] = len;
  }
  const Shape out(fullOut.begin() + static_cast<std::ptrdiff_t>(off), fullOut.end());
  const auto st = stridesOf(in);
  const auto map = buildIndexMap(out, [&](const std::vector<std::int64_t>& o) {
    std::int64_t lin = 0;
    for (std::size_t k = 0; k < o.size(); ++k) lin += (first[k + off] + o[k] * step[k + off]) * st[k];
    return lin;
  });
  rearrange(n, folded, out, map);
}

/// Shape of a computed value is a constant whose first entry is the (dynamic) batch size.
void Lowering::shape(const Node& n) {
  requireInputs(n, 1, 1);
  NumTensor full;
  full.isFloat = false;
  if (isConst(n, 0)) {
    for (auto d : constValue(n, 0, "data").dims) full.v.push_back(static_cast<double>(d));
  } else {
    full.v.push_back(m_fixedBatch ? static_cast<double>(*m_fixedBatch) : 0.0);
    full.batch.push_back(1);
    for (auto d : shapeOf(activation(n, 0))) {
      full.v.push_back(static_cast<double>(d));
      full.batch.push_back(0);
    }
  }
  const auto r = static_cast<std::int64_t>(full.v.size());
  auto clampAxis = [&](std::int64_t a) { return std::clamp<std::int64_t>(a < 0 ? a + r : a, 0, r); };
  const auto start = clampAxis(n.attrs.getInt("start", 0)), end = clampAxis(n.attrs.getInt("end", r));
  NumTensor out;
  out.isFloat = false;
  for (auto k = start; k < end; ++k) {
    out.v.push_back(full.v[static_cast<std::size_t>(k)]);
    if (!full.batch.empty()) out.batch.push_back(full.batch[static_cast<std::size_t>(k)]);
  }
  out.dims = {static_cast<std::int64_t>(out.v.size())};
  setConst(n, std::move(out));
}

void Lowering::cast(const Node& n) {
  requireInputs(n, 1, 1);
  const auto to = n.attrs.getInt("to", onnx::TensorProto::FLOAT);
  const bool toFloat = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE;
  if (isConst(n, 0)) {
    NumTensor t = constValue(n, 0, "input");
    if (toFloat) {
      for (double& v : t.v) v = static_cast<float>(v);
    } else {
      for (double& v : t.v) v = std::trunc(v);
    }
    t.isFloat = toFloat;
    setConst(n, std::move(t));
    return;
  }
  if (to != onnx::TensorProto::FLOAT)
    n.fail(fmt::format("cast of a computed value to {} not supported (activations are FLOAT)", dataTypeName(
                                                                                                   static_cast<std::int32_t>(to))));
  m_values[n.out()] = activation(n, 0);
}

/// Identity and inference-time Dropout: the output names the same data, so no step is needed.
void Lowering::identity(const Node& n) {
  const bool dropout = n.op() == "Dropout";
  requireInputs(n, 1, dropout ? 3 : 1);
  if (dropout && n.has(2)) {
    const NumTensor& mode = constValue(n, 2, "training_mode");
    if (!mode.v.empty() && mode.v[0] != 0) n.fail("training_mode=true not supported (export in eval mode)");
  }
  const auto& v = n.in(0);
  if (const auto c = m_constants.find(v); c != m_constants.end()) {
    m_constants[n.out()] = c->second;
    return;
  }
  m_values[n.out()] = activation(n, 0);
}

void Lowering::constant(const Node& n) {
  requireInputs(n, 0, 0);
  if (const auto* t = n.attrs.getTensor("value")) {
    // Keep a copy named after the output so later messages about this tensor can name it.
    auto& copy = m_constantNodeValues.emplace_back(*t);
    copy.set_name(n.out());
    tensorDims(copy, n.who);
    m_constants[n.out()] = Const{&copy, nullptr};
    return;
  }
  NumTensor v;
  if (n.attrs.has("value_float")) {
    v.v = {n.attrs.getFloat("value_float", 0)};
  } else if (n.attrs.has("value_int")) {
    v.v = {static_cast<double>(n.attrs.getInt("value_int", 0))};
    v.isFloat = false;
  } else if (n.attrs.has("value_ints")) {
    for (auto i : n.attrs.getInts("value_ints", {})) v.v.push_back(static_cast<double>(i));
    v.dims = {static_cast<std::int64_t>(v.v.size())};
    v.isFloat = false;
  } else if (const auto* a = [&]() -> const onnx::AttributeProto* {
               for (const auto& x : n.proto.attribute())
                 if (x.name() == "value_floats") return &x;
               return nullptr;
             }()) {
    for (float f : a->floats()) v.v.push_back(f);
    v.dims = {static_cast<std::int64_t>(v.v.size())};
  } else {
    n.fail("needs a 'value', 'value_float(s)' or 'value_int(s)' attribute (sparse and string values not supported)");
  }
  setConst(n, std::move(v));
}

}  // namespace

Program importOnnx(const std::string& path, const ImportOptions& options) {
  const onnx::ModelProto model = loadModel(path);
  return Lowering(path, model, options).run();
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
