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
  if (std::filesystem::file_size(path, ec) == 0 && !ec) who.fail("not a valid ONNX model (the file is empty)");

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

bool NumTensor::hasBatch() const { return std::any_of(batch.begin(), batch.end(), [](char b) { return b != 0; }); }

std::int64_t checkedNumel(const Shape& dims, const Culprit& who, const std::string& what) {
  std::int64_t n = 1;
  for (auto d : dims) {
    if (d < 0) who.fail(fmt::format("{} has a negative dimension ({})", what, shapeText(dims)));
    if (d > 0 && n > kMaxElements / d)
      who.fail(fmt::format("{} has shape {}: more than 2^31 elements, which is absurd for this simulator (corrupt "
                           "model?)",
                           what, shapeText(dims)));
    n *= d;
  }
  return n;
}

Shape tensorDims(const onnx::TensorProto& t, const Culprit& who) {
  Shape dims(t.dims().begin(), t.dims().end());
  checkedNumel(dims, who, fmt::format("tensor '{}'", t.name()));
  return dims;
}

std::string dataTypeName(std::int32_t type) {
  if (!onnx::TensorProto::DataType_IsValid(type)) return fmt::format("#{}", type);
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
}

namespace {

/// The bytes of an external-data tensor, read from its file (relative to the model's directory). The file must
/// lie inside that directory (no absolute path, no '..' or symbolic link out of it: a model must not make the
/// simulator read /etc/passwd or /dev/zero as weights), be a regular file, and hold offset + length bytes;
/// all of this is checked before anything is allocated.
std::string externalBytes(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir,
                          std::size_t expected) {
  std::string location;
  std::int64_t offset = 0, length = -1;
  for (const auto& e : t.external_data()) {
    try {
      std::size_t pos = 0;
      if (e.key() == "location") location = e.value();
      else if (e.key() == "offset") offset = std::stoll(e.value(), &pos);
      else if (e.key() == "length") length = std::stoll(e.value(), &pos);
      if (pos != 0 && pos != e.value().size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      who.fail(fmt::format("tensor '{}': external data {} '{}' is not a number", t.name(), e.key(), e.value()));
    }
  }
  if (location.empty()) who.fail(fmt::format("tensor '{}': external data without a 'location'", t.name()));
  namespace fs = std::filesystem;
  const fs::path rel(location);
  if (rel.is_absolute())
    who.fail(fmt::format("tensor '{}': external data location '{}' is an absolute path; it must be a file inside "
                         "the model's directory",
                         t.name(), location));
  const fs::path file = fs::path(modelDir) / rel;
  std::error_code ec;
  if (!fs::exists(file, ec))
    who.fail(fmt::format("tensor '{}': external data file '{}' not found (looked for {})", t.name(), location,
                         file.string()));
  std::error_code ecDir, ecFile;
  const fs::path dir = fs::weakly_canonical(fs::path(modelDir), ecDir);
  const fs::path real = fs::weakly_canonical(file, ecFile);
  const auto [dirEnd, realIt] = std::mismatch(dir.begin(), dir.end(), real.begin(), real.end());
  if (ecDir || ecFile || dirEnd != dir.end() || realIt == real.end())
    who.fail(fmt::format("tensor '{}': external data location '{}' resolves to {}, outside the model's directory {}",
                         t.name(), location, real.string(), dir.string()));
  if (!fs::is_regular_file(real, ec))
    who.fail(fmt::format("tensor '{}': external data location '{}' is not a regular file", t.name(), location));
  const auto fileBytes = fs::file_size(real, ec);
  if (ec) who.fail(fmt::format("tensor '{}': external data file '{}': cannot read its size", t.name(), location));
  if (length < 0) length = static_cast<std::int64_t>(expected);
  if (offset < 0 || static_cast<std::uint64_t>(length) != expected)
    who.fail(fmt::format("tensor '{}': external data length {} at offset {} does not hold the {} bytes its shape "
                         "needs",
                         t.name(), length, offset, expected));
  if (static_cast<std::uint64_t>(offset) > fileBytes || expected > fileBytes - static_cast<std::uint64_t>(offset))
    who.fail(fmt::format("tensor '{}': external data file '{}' is shorter ({} bytes) than offset {} + length {}",
                         t.name(), location, fileBytes, offset, expected));
  std::ifstream in(real, std::ios::binary);
  if (!in) who.fail(fmt::format("tensor '{}': cannot open external data file '{}'", t.name(), location));
  std::string bytes(expected, '\0');
  in.seekg(offset);
  in.read(bytes.data(), static_cast<std::streamsize>(expected));
  if (static_cast<std::size_t>(in.gcount()) != expected)
    who.fail(fmt::format("tensor '{}': external data file '{}' is shorter than offset {} + length {}", t.name(),
                         location, offset, expected));
  return bytes;
}

std::size_t elementBytes(std::int32_t type) {
  switch (type) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: case onnx::TensorProto::UINT64: return 8;
    case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16: return 2;
    case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: return 1;
    default: return 0;
  }
}

/// Little-endian raw bytes (in the file or external) → values of type Raw, widened to Out.
template <class Raw, class Out>
void fromBytes(const std::string& bytes, std::vector<Out>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    Raw r;
    std::memcpy(&r, bytes.data() + i * sizeof(Raw), sizeof(Raw));
    out[i] = static_cast<Out>(r);
  }
}

template <class Out>
void fromRaw(std::int32_t type, const std::string& bytes, std::vector<Out>& out) {
  switch (type) {
    case onnx::TensorProto::FLOAT: fromBytes<float>(bytes, out); break;
    case onnx::TensorProto::DOUBLE: fromBytes<double>(bytes, out); break;
    case onnx::TensorProto::INT64: fromBytes<std::int64_t>(bytes, out); break;
    case onnx::TensorProto::UINT64: fromBytes<std::uint64_t>(bytes, out); break;
    case onnx::TensorProto::INT32: fromBytes<std::int32_t>(bytes, out); break;
    case onnx::TensorProto::UINT32: fromBytes<std::uint32_t>(bytes, out); break;
    case onnx::TensorProto::INT16: fromBytes<std::int16_t>(bytes, out); break;
    case onnx::TensorProto::UINT16: fromBytes<std::uint16_t>(bytes, out); break;
    case onnx::TensorProto::INT8: fromBytes<std::int8_t>(bytes, out); break;
    case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: fromBytes<std::uint8_t>(bytes, out); break;
    default: break;
  }
}

/// The number of values in the typed repeated field ONNX stores a type's values in when raw_data is not used.
std::size_t typedCount(const onnx::TensorProto& t) {
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: return static_cast<std::size_t>(t.float_data_size());
    case onnx::TensorProto::DOUBLE: return static_cast<std::size_t>(t.double_data_size());
    case onnx::TensorProto::INT64: return static_cast<std::size_t>(t.int64_data_size());
    case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64: return static_cast<std::size_t>(t.uint64_data_size());
    default: return static_cast<std::size_t>(t.int32_data_size());
  }
}

/// The typed repeated field ONNX stores a type's values in when raw_data is not used.
template <class Out>
std::size_t fromTyped(const onnx::TensorProto& t, std::vector<Out>& out) {
  auto copy = [&](const auto& field) {
    if (static_cast<std::size_t>(field.size()) == out.size())
      std::transform(field.begin(), field.end(), out.begin(), [](auto v) { return static_cast<Out>(v); });
    return static_cast<std::size_t>(field.size());
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: return copy(t.float_data());
    case onnx::TensorProto::DOUBLE: return copy(t.double_data());
    case onnx::TensorProto::INT64: return copy(t.int64_data());
    case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64: return copy(t.uint64_data());
    default: return copy(t.int32_data());  // INT32, INT16, INT8, UINT16, UINT8, BOOL
  }
}

/// Shared decoder: checks the type and the payload size, then takes raw_data, external data or the typed field.
template <class Out>
std::vector<Out> decodeValues(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir,
                              const Shape& dims) {
  const std::size_t width = elementBytes(t.data_type());
  if (width == 0)
    who.fail(fmt::format("tensor '{}' has data type {}, which is not supported (numeric types only)", t.name(),
                         dataTypeName(t.data_type())));
  const auto n = static_cast<std::size_t>(numel(dims));
  // The declared shape is checked against the payload before the values are allocated: a shape claiming 5·10^8
  // values over 16 bytes of data must fail at once, not after allocating gigabytes.
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    const std::string bytes = externalBytes(t, who, modelDir, n * width);
    std::vector<Out> out(n);
    fromRaw(t.data_type(), bytes, out);
    return out;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != n * width)
      who.fail(fmt::format("tensor '{}' (shape {}) has {} bytes of raw_data, expected {}", t.name(),
                           shapeText(dims), t.raw_data().size(), n * width));
    std::vector<Out> out(n);
    fromRaw(t.data_type(), t.raw_data(), out);
    return out;
  }
  if (typedCount(t) != n)
    who.fail(fmt::format("tensor '{}' (shape {}) has {} values, expected {}", t.name(), shapeText(dims),
                         typedCount(t), n));
  std::vector<Out> out(n);
  fromTyped(t, out);
  return out;
}

}  // namespace

FloatTensor decodeFloat(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir) {
  if (t.data_type() != onnx::TensorProto::FLOAT && t.data_type() != onnx::TensorProto::DOUBLE)
    who.fail(fmt::format("tensor '{}' has data type {}, expected FLOAT", t.name(), dataTypeName(t.data_type())));
  Shape dims = tensorDims(t, who);
  return FloatTensor{dims, decodeValues<float>(t, who, modelDir, dims)};
}

NumTensor decodeNumeric(const onnx::TensorProto& t, const Culprit& who, const std::string& modelDir) {
  NumTensor out;
  out.dims = tensorDims(t, who);
  out.v = decodeValues<double>(t, who, modelDir, out.dims);
  out.isFloat = t.data_type() == onnx::TensorProto::FLOAT || t.data_type() == onnx::TensorProto::DOUBLE;
  return out;
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
