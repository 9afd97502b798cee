// Private to workloads/onnx: protobuf-level helpers of the importer — reading a ModelProto from disk,
// decoding constant tensors, reading node attributes. Every failure is a one-line ModelError that names the
// file and, where known, the node; the lowering itself lives in onnx_importer.cpp.
#pragma once
#include <onnx/onnx_pb.h>

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "workloads/ir/program.h"

namespace mxsim::wl::onnx_detail {

/// Who an error message blames: the model file and, for node-level problems, the node.
struct Culprit {
  std::string file;
  std::string node;  // display name; empty for graph-level problems
  std::string op;

  /// "<file>" or "<file>: node '<node>' (op <op>)".
  std::string prefix() const;
  [[noreturn]] void fail(const std::string& what) const;
};

/// Parses the whole file (no 64 MiB protobuf default cap). Throws for unreadable or unparseable files.
onnx::ModelProto loadModel(const std::string& path);

/// A decoded constant float tensor, row-major.
struct FloatTensor {
  Shape dims;
  std::vector<float> data;
};

/// A decoded constant of any numeric type, widened to double (exact for float and for integers below 2^53).
/// `batch` marks entries that stand for the (dynamic) batch size: they come from Shape of a computed value
/// and may only be moved around (Gather, Concat, Unsqueeze, ...), never used in arithmetic.
struct NumTensor {
  Shape dims;
  std::vector<double> v;
  bool isFloat = true;
  std::vector<char> batch;  // empty, or one flag per value

  bool hasBatch() const;
  bool isBatch(std::size_t i) const { return !batch.empty() && batch[i]; }
};

/// Largest tensor (elements) the importer accepts; beyond it a model is treated as corrupt or absurd.
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 31;
/// Product of dims, or a failure naming `what` when it is negative or above kMaxElements.
std::int64_t checkedNumel(const Shape& dims, const Culprit& who, const std::string& what);

/// "FLOAT", "INT64", ... for a TensorProto::DataType value.
std::string dataTypeName(std::int32_t type);
/// Dimensions of a tensor, validated to be non-negative.
Shape tensorDims(const onnx::TensorProto& t, const Culprit& who);
/// Tensor payloads may live in the model file (typed fields or raw_data) or, with data_location=EXTERNAL,
/// in a file next to it (ONNX external data: location, offset, length, relative to the model's directory).
/// `modelDir` is that directory.
/// FLOAT tensors.
FloatTensor decodeFloat(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir);
/// Any numeric tensor (FLOAT, DOUBLE, INT8..INT64, UINT8..UINT64, BOOL).
NumTensor decodeNumeric(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir);

/// Copies a tensor whose data is a row-major rows × cols matrix (caller has checked the element count).
Eigen::MatrixXf toMatrix(const FloatTensor& t, std::int64_t rows, std::int64_t cols);
Eigen::VectorXf toVector(const FloatTensor& t);

/// Typed, defaulted access to a node's attributes; a present attribute of the wrong type is an error
/// rather than silently falling back to the default.
class Attributes {
 public:
  Attributes(const onnx::NodeProto& node, Culprit who) : m_node(node), m_who(std::move(who)) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }
  std::int64_t getInt(const std::string& name, std::int64_t def) const;
  float getFloat(const std::string& name, float def) const;
  std::string getString(const std::string& name, const std::string& def) const;
  std::vector<std::int64_t> getInts(const std::string& name, std::vector<std::int64_t> def) const;
  /// nullptr if absent.
  const onnx::TensorProto* getTensor(const std::string& name) const;

 private:
  const onnx::AttributeProto* find(const std::string& name) const;
  const onnx::AttributeProto* findTyped(const std::string& name, onnx::AttributeProto::AttributeType type) const;

  const onnx::NodeProto& m_node;
  Culprit m_who;
};

}  // namespace mxsim::wl::onnx_detail
