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

/// "FLOAT", "INT64", ... for a TensorProto::DataType value.
std::string dataTypeName(std::int32_t type);
/// Dimensions of a tensor, validated to be non-negative.
Shape tensorDims(const onnx::TensorProto& t, const Culprit& who);
/// Throws (naming the tensor) if its payload lives outside the model file.
void rejectExternalData(const onnx::TensorProto& t, const Culprit& who);
/// FLOAT tensors from float_data or little-endian raw_data.
FloatTensor decodeFloat(const onnx::TensorProto& t, const Culprit& who);
/// INT64 tensors from int64_data or little-endian raw_data (Reshape shapes).
std::vector<std::int64_t> decodeInt64(const onnx::TensorProto& t, const Culprit& who);

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
