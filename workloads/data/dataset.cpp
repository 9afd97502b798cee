#include "workloads/data/dataset.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/core/error.h"
#include "sim/core/rng.h"

namespace mxsim::wl {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kIdxTypeUint8 = 0x08;
// Largest payload readIdx accepts: anything above 2^31 elements is a corrupt header, not a dataset.
constexpr std::uint64_t kMaxIdxElements = std::uint64_t{1} << 31;
// gzread takes an unsigned and returns an int, so the payload is read in chunks well below INT_MAX.
constexpr std::size_t kReadChunk = std::size_t{1} << 26;
// First buffer size for an IDX payload; it doubles as data arrives (readIdxPrefix).
constexpr std::size_t kFirstRead = std::size_t{1} << 20;

/// Owns a gzFile; gzopen/gzread read plain files as-is, so one code path serves .gz and uncompressed IDX.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : m_file(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (m_file) gzclose(m_file);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  explicit operator bool() const { return m_file != nullptr; }
  gzFile get() const { return m_file; }

 private:
  gzFile m_file;
};

/// True when `path` lies inside the default Fashion-MNIST directory (then a missing file most likely
/// means the Debian package is not installed, which the error message should say).
bool underFashionMnistDir(const std::string& path) {
  const std::string dir = kFashionMnistDir;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

/// zlib's error text for `f` without the "<path>: " prefix gzerror puts on it; empty when there is none.
std::string gzErrorText(gzFile f, const std::string& path) {
  int errnum = Z_OK;
  const char* msg = gzerror(f, &errnum);
  if (errnum == Z_OK || msg == nullptr) return "";
  if (errnum == Z_ERRNO) return std::strerror(errno);
  std::string text = msg;
  if (text.compare(0, path.size() + 2, path + ": ") == 0) text.erase(0, path.size() + 2);
  return text;
}

/// Read up to `n` bytes; returns the count actually read (short only at end of file). Throws on a read
/// or decompression error.
std::size_t readBytes(gzFile f, const std::string& path, std::uint8_t* dst, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const auto want = static_cast<unsigned>(std::min(n - got, kReadChunk));
    const int r = gzread(f, dst + got, want);
    if (r < 0) throw DataError(fmt::format("{}: read error: {}", path, gzErrorText(f, path)));
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

/// Human-readable name of an IDX element-type byte, for the "unsupported type" error.
const char* idxTypeName(std::uint8_t t) {
  switch (t) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

/// readIdx, reading only the first `maxFirst` entries along dimension 0 (all when maxFirst is 0). `dims`
/// still reports the full size from the header; the payload is checked for truncation (and trailing
/// bytes) only when it is read whole. Lets loadFashionMnist(maxImages) skip decompressing the rest.
IdxArray readIdxPrefix(const std::string& path, std::size_t maxFirst) {
  errno = 0;  // so the message below only quotes errno when gzopen's open() set it
  GzFile f(path);
  if (!f) {
    if (underFashionMnistDir(path))
      throw DataError(fmt::format("{}: cannot open (is the package dataset-fashion-mnist installed?)", path));
    throw DataError(fmt::format("{}: cannot open{}", path, errno ? std::string(": ") + std::strerror(errno) : ""));
  }
  gzbuffer(f.get(), 1u << 20);  // fewer, larger reads from disk than zlib's 8 KiB default

  std::array<std::uint8_t, 4> magic{};
  if (readBytes(f.get(), path, magic.data(), magic.size()) != magic.size() || magic[0] != 0 || magic[1] != 0)
    throw DataError(fmt::format("{}: bad magic: not an IDX file (expected 00 00 <type> <ndims>)", path));
  if (magic[2] != kIdxTypeUint8)
    throw DataError(fmt::format("{}: unsupported IDX element type 0x{:02X} ({}); only 0x08 (uint8) is supported",
                                path, magic[2], idxTypeName(magic[2])));
  const int ndims = magic[3];
  if (ndims == 0) throw DataError(fmt::format("{}: IDX header has 0 dimensions; expected at least 1", path));

  IdxArray out;
  std::vector<std::uint8_t> dimBytes(4 * static_cast<std::size_t>(ndims));
  if (readBytes(f.get(), path, dimBytes.data(), dimBytes.size()) != dimBytes.size())
    throw DataError(fmt::format("{}: truncated IDX header: expected {} dimension sizes", path, ndims));
  std::uint64_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    const std::uint8_t* b = &dimBytes[4 * static_cast<std::size_t>(i)];
    const std::uint32_t d = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                            (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    out.dims.push_back(d);
    // Each d < 2^32 and total <= 2^31 before the multiply, so the product cannot overflow 64 bits.
    total *= d;
    if (total > kMaxIdxElements)
      throw DataError(fmt::format("{}: IDX dims [{}] already hold {} elements, more than 2^31; the header is corrupt",
                                  path, fmt::join(out.dims, ", "), total));
  }

  std::uint64_t want = total;
  const bool partial = maxFirst != 0 && static_cast<std::uint64_t>(out.dims[0]) > maxFirst;
  if (partial) want = total / static_cast<std::uint64_t>(out.dims[0]) * maxFirst;

  // The buffer grows with the bytes actually read (doubling from 1 MiB), never to what the header claims up
  // front: a 20-byte file whose dims claim 1.2 GB allocated all of it before "truncated" (found by fuzzing,
  // issue 18). Memory stays within twice the payload the file really holds.
  std::size_t got = 0;
  while (got < want) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(want - got, std::max(got, kFirstRead)));
    out.data.resize(got + step);
    const std::size_t r = readBytes(f.get(), path, out.data.data() + got, step);
    got += r;
    if (r < step) break;
  }
  out.data.resize(got);
  if (got != want) {
    // A cut-off .gz stream also sets a zlib error ("unexpected end of file"): worth quoting.
    const std::string zmsg = gzErrorText(f.get(), path);
    throw DataError(fmt::format("{}: truncated: expected {} bytes, got {}{}", path, want, got,
                                zmsg.empty() ? "" : " (" + zmsg + ")"));
  }
  if (!partial) {
    // A longer payload means the dims do not describe the file: report it rather than ignore the rest.
    std::uint8_t extra = 0;
    if (readBytes(f.get(), path, &extra, 1) != 0)
      throw DataError(fmt::format("{}: payload is longer than the {} bytes the dims [{}] describe", path, want,
                                  fmt::join(out.dims, ", ")));
  }
  return out;
}

/// "<dir>/<name>.gz" when present, else "<dir>/<name>"; throws when neither exists.
std::string idxFile(const std::string& dir, const std::string& name) {
  const fs::path gz = fs::path(dir) / (name + ".gz");
  const fs::path plain = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(gz, ec)) return gz.string();
  if (fs::exists(plain, ec)) return plain.string();
  throw DataError(fmt::format("{}: not found (nor uncompressed {}); expected the Fashion-MNIST IDX files "
                              "as shipped by the Debian package dataset-fashion-mnist",
                              gz.string(), plain.string()));
}

}  // namespace

IdxArray readIdx(const std::string& path) { return readIdxPrefix(path, 0); }

Dataset loadFashionMnist(const std::string& dir, Split split, std::size_t maxImages) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw DataError(fmt::format("{}: Fashion-MNIST directory not found; install the Debian package "
                                "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or give the "
                                "directory holding the IDX files",
                                dir));
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const std::string imagePath = idxFile(dir, prefix + "-images-idx3-ubyte");
  const std::string labelPath = idxFile(dir, prefix + "-labels-idx1-ubyte");

  constexpr int kSide = 28;
  constexpr std::size_t kPixels = kSide * kSide;
  const IdxArray img = readIdxPrefix(imagePath, maxImages);
  if (img.dims.size() != 3 || img.dims[1] != kSide || img.dims[2] != kSide)
    throw DataError(fmt::format("{}: image dims are [{}]; expected [N, 28, 28]", imagePath, fmt::join(img.dims, ", ")));
  const IdxArray lab = readIdxPrefix(labelPath, maxImages);
  if (lab.dims.size() != 1)
    throw DataError(fmt::format("{}: label dims are [{}]; expected [N]", labelPath, fmt::join(lab.dims, ", ")));
  if (lab.dims[0] != img.dims[0])
    throw DataError(fmt::format("{}: has {} labels but {} has {} images; expected the same count", labelPath,
                                lab.dims[0], imagePath, img.dims[0]));

  // Both arrays hold the same prefix (maxImages or all), so the data sizes give the image count.
  const std::size_t n = lab.data.size();
  if (n == 0) throw DataError(fmt::format("{}: holds no images", imagePath));
  Dataset ds;
  ds.name = "fashion-mnist";
  ds.imageShape = {1, kSide, kSide};
  ds.images.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(kPixels));
  float* dst = ds.images.data();  // row-major N × 784: same order as the IDX payload
  for (std::size_t i = 0; i < n * kPixels; ++i) dst[i] = static_cast<float>(img.data[i]) / 255.0f;
  ds.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (lab.data[i] > 9)
      throw DataError(fmt::format("{}: label {} at index {} is outside 0..9", labelPath, lab.data[i], i));
    ds.labels[i] = lab.data[i];
  }
  return ds;
}

Dataset randomDataset(const Shape& imageShape, std::size_t n, std::uint64_t seed) {
  for (auto d : imageShape)
    if (d <= 0)
      throw DataError(fmt::format("random dataset: image shape {} has a non-positive dimension", shapeText(imageShape)));
  // Domain tag in the stream key so these inputs are not correlated with other streams (device noise,
  // ...) drawn from the same user seed with a small integer as first coordinate.
  constexpr std::uint64_t kRandomDatasetStream = 0x52414E44'44415441ull;  // "RANDDATA"
  const auto features = numel(imageShape);
  Dataset ds;
  ds.name = "random";
  ds.imageShape = imageShape;
  ds.images.resize(static_cast<Eigen::Index>(n), features);
  for (std::size_t i = 0; i < n; ++i) {
    // One stream per image: image i has the same values whatever n is.
    Rng rng(streamKey(seed, {kRandomDatasetStream, i}));
    // Top 24 bits scaled by 2^-24: exactly representable floats in [0, 1). (Casting Rng::uniform()'s
    // double to float could round up to 1.0f.)
    for (std::int64_t j = 0; j < features; ++j)
      ds.images(static_cast<Eigen::Index>(i), j) = static_cast<float>(rng.next() >> 40) * (1.0f / 16777216.0f);
  }
  return ds;
}

}  // namespace mxsim::wl
