#include "workloads/data/npy.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "sim/core/error.h"

// The payload is little-endian; the byte swaps below only run on a big-endian host.
#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "npy.cpp needs __BYTE_ORDER__ (GCC/Clang) to know the host byte order"
#endif

namespace mxsim::wl {
namespace {

constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;               // numpy's ARRAY_ALIGN: header ends on a 64-byte boundary
constexpr std::size_t kGrowthAxisMaxDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS (see writeNpy)

/// Convert between host order and the little-endian file order, in place (a no-op on x86/ARM hosts).
template <typename T>
void swapIfBigEndian(T* p, std::size_t n) {
  if constexpr (!kLittleEndianHost) {
    for (std::size_t i = 0; i < n; ++i) {
      auto* b = reinterpret_cast<unsigned char*>(p + i);
      std::reverse(b, b + sizeof(T));
    }
  } else {
    (void)p;
    (void)n;
  }
}

/// Python-literal repr of a shape tuple, as numpy writes it: "()", "(5,)", "(2, 3)".
std::string shapeRepr(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<std::int64_t>> shape;
};

/// Parser for the header, which numpy writes as a Python dict literal, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
/// Only the subset numpy produces is accepted: quoted strings, True/False and tuples of integers.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : m_path(path), m_s(text) {}

  NpyHeader parse() {
    NpyHeader h;
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}') break;
      const std::string key = parseString("a quoted key");
      expect(':');
      skipSpace();
      if (key == "descr") {
        h.descr = parseString("a dtype string such as '<f4'");
      } else if (key == "fortran_order") {
        h.fortranOrder = parseBool();
      } else if (key == "shape") {
        h.shape = parseTuple();
      } else {
        fail(fmt::format("unexpected key '{}' (expected only 'descr', 'fortran_order', 'shape')", key));
      }
      skipSpace();
      if (peek() == ',') {
        ++m_pos;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' after a value");
    }
    ++m_pos;  // '}'
    skipSpace();
    if (m_pos != m_s.size()) fail("unexpected text after the closing '}'");
    if (!h.descr || !h.fortranOrder || !h.shape)
      fail("header lacks one of the keys 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(fmt::format("{}: malformed .npy header: {} at offset {} of \"{}\"", m_path, what, m_pos,
                                printable()));
  }
  /// The header for the message, on one line (numpy ends it with '\n' and pads it with spaces).
  std::string printable() const {
    std::string t = m_s.substr(0, m_s.find_last_not_of(" \n") + 1);
    std::replace_if(t.begin(), t.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return t.size() > 200 ? t.substr(0, 200) + "..." : t;
  }
  char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }
  void skipSpace() {
    while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
      ++m_pos;
  }
  void expect(char c) {
    skipSpace();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++m_pos;
  }
  std::string parseString(const char* what) {
    skipSpace();
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("expected {}", what));
    const std::size_t end = m_s.find(q, m_pos + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = m_s.substr(m_pos + 1, end - m_pos - 1);
    m_pos = end + 1;
    return v;
  }
  bool parseBool() {
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::size_t len = std::strlen(word);
      if (m_s.compare(m_pos, len, word) == 0) {
        m_pos += len;
        return value;
      }
    }
    fail("expected True or False for 'fortran_order'");
  }
  std::vector<std::int64_t> parseTuple() {
    if (peek() != '(') fail("expected a tuple such as (2, 3) for 'shape'");
    ++m_pos;
    std::vector<std::int64_t> dims;
    while (true) {
      skipSpace();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a non-negative integer dimension");
      std::int64_t d = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (d > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("dimension too large");
        d = d * 10 + (m_s[m_pos++] - '0');
      }
      if (peek() == 'L') ++m_pos;  // Python 2 long suffix, found in files written by old numpy
      dims.push_back(d);
      skipSpace();
      if (peek() == ',') {
        ++m_pos;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in 'shape'");
      }
    }
    ++m_pos;  // ')'
    return dims;
  }

  const std::string& m_path;
  const std::string& m_s;
  std::size_t m_pos = 0;
};

std::uint32_t readLe(const unsigned char* b, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

/// Removes the temporary file unless the write succeeded and it was renamed onto the target.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : m_path(std::move(path)) {}
  ~TempFileGuard() {
    if (!m_committed) std::remove(m_path.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void commit() { m_committed = true; }

 private:
  std::string m_path;
  bool m_committed = false;
};

}  // namespace

NpyArray readNpy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw DataError(fmt::format("{}: is a directory, not a .npy file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const auto fileSize = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);

  // Preamble: magic, major, minor, then the header length (uint16 in version 1.0, uint32 in 2.0/3.0).
  unsigned char pre[12] = {};
  in.read(reinterpret_cast<char*>(pre), 10);
  if (in.gcount() < static_cast<std::streamsize>(kMagicLen) || std::memcmp(pre, kMagic, kMagicLen) != 0)
    throw DataError(fmt::format("{}: bad magic: not a .npy file (expected \\x93NUMPY)", path));
  if (in.gcount() < 10) throw DataError(fmt::format("{}: truncated .npy preamble", path));
  const int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw DataError(fmt::format("{}: unsupported .npy format version {}.{}; expected 1.0, 2.0 or 3.0", path, major, minor));
  std::size_t preLen = 10;
  std::uint64_t headerLen = readLe(pre + 8, 2);
  if (major >= 2) {
    if (!in.read(reinterpret_cast<char*>(pre + 10), 2))
      throw DataError(fmt::format("{}: truncated .npy preamble", path));
    preLen = 12;
    headerLen = readLe(pre + 8, 4);
  }
  if (preLen + headerLen > fileSize)
    throw DataError(fmt::format("{}: truncated .npy header: expected {} bytes, file has {}", path, headerLen,
                                fileSize - preLen));
  std::string headerText(headerLen, '\0');
  in.read(headerText.data(), static_cast<std::streamsize>(headerLen));

  const NpyHeader h = HeaderParser(path, headerText).parse();
  std::size_t itemSize = 0;
  if (*h.descr == "<f4") itemSize = 4;
  else if (*h.descr == "<f8") itemSize = 8;
  else throw DataError(fmt::format("{}: unsupported dtype '{}'; expected '<f4' or '<f8'", path, *h.descr));
  if (*h.fortranOrder)
    throw DataError(fmt::format("{}: fortran_order is True; only C-order arrays are supported (save a "
                                "C-contiguous array, e.g. np.ascontiguousarray)", path));

  NpyArray out;
  out.shape = *h.shape;
  std::uint64_t count = 1;
  for (auto d : out.shape) {
    // Reject products whose byte size would overflow: no real file is that large.
    if (d != 0 && count > (std::numeric_limits<std::uint64_t>::max() / 8) / static_cast<std::uint64_t>(d))
      throw DataError(fmt::format("{}: shape {} is too large", path, shapeRepr(out.shape)));
    count *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t want = count * itemSize;
  const std::uint64_t have = fileSize - preLen - headerLen;
  if (have < want)
    throw DataError(fmt::format("{}: truncated payload: expected {} bytes for shape {} of {}, got {}", path,
                                want, shapeRepr(out.shape), *h.descr, have));
  if (have > want)
    throw DataError(fmt::format("{}: payload is {} bytes but shape {} of {} needs {}; the file is corrupt", path,
                                have, shapeRepr(out.shape), *h.descr, want));

  out.data.resize(static_cast<std::size_t>(count));
  bool ok = true;
  if (itemSize == 4) {
    ok = static_cast<bool>(in.read(reinterpret_cast<char*>(out.data.data()), static_cast<std::streamsize>(want)));
    swapIfBigEndian(out.data.data(), out.data.size());
  } else {
    std::vector<double> wide(static_cast<std::size_t>(count));
    ok = static_cast<bool>(in.read(reinterpret_cast<char*>(wide.data()), static_cast<std::streamsize>(want)));
    swapIfBigEndian(wide.data(), wide.size());
    std::transform(wide.begin(), wide.end(), out.data.begin(), [](double v) { return static_cast<float>(v); });
  }
  if (!ok) throw DataError(fmt::format("{}: read error: {}", path, std::strerror(errno)));
  return out;
}

void writeNpy(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& data) {
  std::uint64_t count = 1;
  for (auto d : shape) {
    if (d < 0) throw DataError(fmt::format("{}: cannot write shape {}: negative dimension", path, shapeRepr(shape)));
    if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(d))
      throw DataError(fmt::format("{}: cannot write shape {}: too large", path, shapeRepr(shape)));
    count *= static_cast<std::uint64_t>(d);
  }
  if (count != data.size())
    throw DataError(fmt::format("{}: cannot write: shape {} holds {} values but {} were given", path,
                                shapeRepr(shape), count, data.size()));

  // Header exactly as np.save writes a float32 C-order array (version 1.0): the dict with sorted keys,
  // spare spaces so numpy can grow axis 0 in place, then space padding and '\n' so that the data starts
  // on a 64-byte boundary.
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shapeRepr(shape));
  if (!shape.empty()) header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  // Preamble: magic, 2 version bytes, 2 length bytes.
  const std::size_t pad = kAlign - (kMagicLen + 2 + 2 + header.size() + 1) % kAlign;
  header.append(pad, ' ');
  header.push_back('\n');
  if (header.size() > 0xFFFF)
    throw DataError(fmt::format("{}: cannot write: header for shape of rank {} exceeds 65535 bytes", path, shape.size()));

  std::string pre(kMagic, kMagicLen);
  pre.push_back('\x01');
  pre.push_back('\x00');
  pre.push_back(static_cast<char>(header.size() & 0xFF));
  pre.push_back(static_cast<char>(header.size() >> 8));

  // Write to a temporary in the same directory and rename it onto `path` (atomic on POSIX), so readers
  // never see a half-written file and a failed write leaves any previous file intact.
  const std::string tmp = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  TempFileGuard guard(tmp);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw DataError(fmt::format("{}: cannot write (temporary {}): {}", path, tmp, std::strerror(errno)));
  bool ok = std::fwrite(pre.data(), 1, pre.size(), f) == pre.size() &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size();
  if constexpr (kLittleEndianHost) {
    ok = ok && std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();
  } else {
    for (std::size_t i = 0; ok && i < data.size(); ++i) {
      float v = data[i];
      swapIfBigEndian(&v, 1);
      ok = std::fwrite(&v, sizeof v, 1, f) == 1;
    }
  }
  int err = ok ? 0 : errno;
  // fclose flushes the stdio buffer, so it can be the call that reports a full disk.
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) throw DataError(fmt::format("{}: write failed (temporary {}): {}", path, tmp, std::strerror(err)));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw DataError(fmt::format("{}: cannot rename {} onto it: {}", path, tmp, std::strerror(errno)));
  guard.commit();
}

}  // namespace mxsim::wl
