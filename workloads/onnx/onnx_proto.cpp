#include "workloads/onnx/onnx_proto.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/core/error.h"

// raw_data is little-endian by the ONNX spec; decoding it with memcpy is only correct on such hosts.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data decoding assumes a little-endian host");

namespace mxsim::wl::onnx_detail {

std::string Culprit::prefix() const {
  if (node.empty()) return file;
  return fmt::format("{}: node '{}' (op {})", file, node, op);
}

void Culprit::fail(const std::string& what) const { throw ModelError(fmt::format("{}: {}", prefix(), what)); }

onnx::ModelProto loadModel(const std::string& path) {
  const Culprit who{path, "", ""};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) who.fail("cannot open file (is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) who.fail(fmt::format("cannot open file ({})", std::strerror(errno)));

  google::protobuf::io::IstreamInputStream raw(&in);
  google::protobuf::io::CodedInputStream coded(&raw);
  // Protobuf's historical default caps messages at 64 MiB; models with big weights exceed that.
  coded.SetTotalBytesLimit(INT_MAX);
  onnx::ModelProto model;
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    who.fail("not a valid ONNX model (protobuf parse failed)");
  if (in.bad()) who.fail("cannot read file");
  return model;
}

Shape tensorDims(const onnx::TensorProto& t, const Culprit& who) {
  Shape dims(t.dims().begin(), t.dims().end());
  for (auto d : dims)
    if (d < 0) who.fail(fmt::format("tensor '{}' has a negative dimension ({})", t.name(), shapeText(dims)));
  return dims;
}

void rejectExternalData(const onnx::TensorProto& t, const Culprit& who) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    who.fail(fmt::format("tensor '{}': external data not supported (save the model with all tensors embedded)",
                         t.name()));
}

std::string dataTypeName(std::int32_t type) {
  if (!onnx::TensorProto::DataType_IsValid(type)) return fmt::format("#{}", type);
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
}

namespace {

/// Shared by the float and int64 decoders: checks the type, then takes the typed field or raw_data.
template <class T, class Field>
std::vector<T> decodeTyped(const onnx::TensorProto& t, const Culprit& who, onnx::TensorProto::DataType type,
                           const Field& typedField) {
  rejectExternalData(t, who);
  if (t.data_type() != type)
    who.fail(fmt::format("tensor '{}' has data type {}, expected {}", t.name(), dataTypeName(t.data_type()),
                         dataTypeName(type)));
  const Shape dims = tensorDims(t, who);
  const auto n = static_cast<std::size_t>(numel(dims));
  std::vector<T> out(n);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != n * sizeof(T))
      who.fail(fmt::format("tensor '{}' (shape {}) has {} bytes of raw_data, expected {}", t.name(),
                           shapeText(dims), t.raw_data().size(), n * sizeof(T)));
    if (n) std::memcpy(out.data(), t.raw_data().data(), n * sizeof(T));
  } else {
    if (static_cast<std::size_t>(typedField.size()) != n)
      who.fail(fmt::format("tensor '{}' (shape {}) has {} values, expected {}", t.name(), shapeText(dims),
                           typedField.size(), n));
    std::copy(typedField.begin(), typedField.end(), out.begin());
  }
  return out;
}

}  // namespace

FloatTensor decodeFloat(const onnx::TensorProto& t, const Culprit& who) {
  auto data = decodeTyped<float>(t, who, onnx::TensorProto::FLOAT, t.float_data());
  return FloatTensor{tensorDims(t, who), std::move(data)};
}

std::vector<std::int64_t> decodeInt64(const onnx::TensorProto& t, const Culprit& who) {
  return decodeTyped<std::int64_t>(t, who, onnx::TensorProto::INT64, t.int64_data());
}

Eigen::MatrixXf toMatrix(const FloatTensor& t, std::int64_t rows, std::int64_t cols) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(t.data.data(), rows, cols);
}

Eigen::VectorXf toVector(const FloatTensor& t) {
  return Eigen::Map<const Eigen::VectorXf>(t.data.data(), static_cast<Eigen::Index>(t.data.size()));
}

// ---- attributes ----

const onnx::AttributeProto* Attributes::find(const std::string& name) const {
  for (const auto& a : m_node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const onnx::AttributeProto* Attributes::findTyped(const std::string& name,
                                                  onnx::AttributeProto::AttributeType type) const {
  const auto* a = find(name);
  // Very old exporters leave `type` unset; trust the field they filled in that case.
  if (a && a->type() != onnx::AttributeProto::UNDEFINED && a->type() != type)
    m_who.fail(fmt::format("attribute '{}' has type {}, expected {}", name,
                           onnx::AttributeProto::AttributeType_Name(a->type()),
                           onnx::AttributeProto::AttributeType_Name(type)));
  return a;
}

std::int64_t Attributes::getInt(const std::string& name, std::int64_t def) const {
  const auto* a = findTyped(name, onnx::AttributeProto::INT);
  return a ? a->i() : def;
}

float Attributes::getFloat(const std::string& name, float def) const {
  const auto* a = findTyped(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : def;
}

std::string Attributes::getString(const std::string& name, const std::string& def) const {
  const auto* a = findTyped(name, onnx::AttributeProto::STRING);
  return a ? a->s() : def;
}

std::vector<std::int64_t> Attributes::getInts(const std::string& name, std::vector<std::int64_t> def) const {
  const auto* a = findTyped(name, onnx::AttributeProto::INTS);
  return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : def;
}

const onnx::TensorProto* Attributes::getTensor(const std::string& name) const {
  const auto* a = findTyped(name, onnx::AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}

}  // namespace mxsim::wl::onnx_detail
