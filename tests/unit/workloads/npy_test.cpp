// Tests for the .npy reader/writer: bit-exact round trips, interoperability with NumPy itself (through
// /usr/bin/python3, skipped when NumPy is absent) and one DataError naming the file per malformed input.
#include "workloads/data/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/error.h"

namespace mxsim::wl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";  // the python3 first on PATH may lack NumPy

/// A per-process path in the gtest temp dir (ctest runs test cases as concurrent processes).
std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "mxsim_npy_" + std::to_string(::getpid()) + "_" + name;
}

bool haveNumpy() {
  static const bool ok = ::access(kPython, X_OK) == 0 &&
                         std::system((std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

/// Run a Python snippet (NumPy imported as np) and return its stdout; fails the test on a non-zero exit.
std::string runPython(const std::string& code) {
  const std::string script = tempPath("script.py");
  {
    std::ofstream(script) << "import numpy as np\n" << code << "\n";
  }
  std::string out;
  FILE* p = ::popen((std::string(kPython) + " " + script).c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen failed";
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  EXPECT_EQ(status, 0) << "python failed on:\n" << code;
  std::remove(script.c_str());
  return out;
}

std::string readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Write a version 1.0 .npy file by hand from a header dict and raw payload bytes (for malformed files).
void writeRawNpy(const std::string& path, const std::string& dict, const std::string& payload) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(header.size() & 0xFF));
  out.put(static_cast<char>(header.size() >> 8));
  out << header << payload;
}

void expectBitsEqual(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  if (a.empty()) return;  // an empty vector's data() may be null, which memcmp must not get (UBSan)
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

/// Expect fn() to throw DataError whose message names `path` and contains `what`.
void expectDataError(const std::function<void()>& fn, const std::string& path, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << "no DataError for " << path << " (expected '" << what << "')";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message must be one line: " << msg;
  }
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.37f - 5.0f;
  return v;
}

class NpyRoundTrip : public ::testing::TestWithParam<std::vector<std::int64_t>> {};

TEST_P(NpyRoundTrip, BitExact) {
  const auto& shape = GetParam();
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  std::vector<float> data = ramp(n);
  // Values a lossy path would alter: signed zero, infinities, NaN payload, subnormal, extremes.
  const float special[] = {-0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest()};
  for (std::size_t i = 0; i < n && i < std::size(special); ++i) data[i] = special[i];

  const std::string path = tempPath("roundtrip.npy");
  writeNpy(path, shape, data);
  const NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, shape);
  expectBitsEqual(a.data, data);
  EXPECT_FALSE(fs::exists(path + ".tmp-" + std::to_string(::getpid())));
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Ranks, NpyRoundTrip,
                         ::testing::Values(std::vector<std::int64_t>{}, std::vector<std::int64_t>{7},
                                           std::vector<std::int64_t>{2, 3, 4, 5}, std::vector<std::int64_t>{0, 3}));

TEST(Npy, HeaderIsVersion1AlignedTo64Bytes) {
  const std::string path = tempPath("header.npy");
  writeNpy(path, {5}, ramp(5));
  const std::string bytes = readFileBytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t headerLen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + headerLen + 5 * sizeof(float));
  const std::string header = bytes.substr(10, headerLen);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_NE(header.find("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"), std::string::npos) << header;
  std::remove(path.c_str());
}

TEST(Npy, OverwritesExistingFile) {
  const std::string path = tempPath("overwrite.npy");
  writeNpy(path, {3}, ramp(3));
  writeNpy(path, {2, 2}, ramp(4));
  const NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 2}));
  expectBitsEqual(a.data, ramp(4));
  std::remove(path.c_str());
}

TEST(Npy, NumpyReadsOurFiles) {
  if (!haveNumpy()) GTEST_SKIP() << kPython << " with numpy not available";
  for (const auto& shape : {std::vector<std::int64_t>{}, std::vector<std::int64_t>{6},
                            std::vector<std::int64_t>{2, 3, 4}}) {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    const std::vector<float> data = ramp(n);
    const std::string path = tempPath("for_numpy.npy");
    writeNpy(path, shape, data);
    // float.hex round-trips exactly, so the comparison below is bit-exact.
    const std::string out = runPython("a = np.load('" + path + "')\n"
                                      "print(a.dtype, a.ndim, *a.shape)\n"
                                      "print(' '.join(float(x).hex() for x in a.ravel()))");
    std::istringstream in(out);
    std::string dtype;
    std::size_t ndim = 0;
    in >> dtype >> ndim;
    EXPECT_EQ(dtype, "float32");
    ASSERT_EQ(ndim, shape.size());
    for (auto d : shape) {
      std::int64_t got = -1;
      in >> got;
      EXPECT_EQ(got, d);
    }
    std::vector<float> values;
    std::string tok;
    while (in >> tok) values.push_back(static_cast<float>(std::strtod(tok.c_str(), nullptr)));
    expectBitsEqual(values, data);
    std::remove(path.c_str());
  }
}

TEST(Npy, SameBytesAsNumpySave) {
  if (!haveNumpy()) GTEST_SKIP() << kPython << " with numpy not available";
  const std::string ours = tempPath("ours.npy"), theirs = tempPath("theirs.npy");
  std::vector<float> data(12);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) * 0.25f - 1.5f;  // all exact
  writeNpy(ours, {3, 4}, data);
  runPython("np.save('" + theirs + "', (np.arange(12, dtype=np.float32) * 0.25 - 1.5).astype(np.float32)"
            ".reshape(3, 4))");
  EXPECT_EQ(readFileBytes(ours), readFileBytes(theirs));
  std::remove(ours.c_str());
  std::remove(theirs.c_str());
}

TEST(Npy, ReadsNumpyFloat64AndFloat32) {
  if (!haveNumpy()) GTEST_SKIP() << kPython << " with numpy not available";
  const std::string f64 = tempPath("f64.npy"), f32 = tempPath("f32.npy"), scalar = tempPath("scalar.npy");
  runPython("np.save('" + f64 + "', np.array([[0.1, -2.5, 1e-3], [1/3, 1e30, -0.0]], dtype=np.float64))\n"
            "np.save('" + f32 + "', np.array([1.5, -0.1, 3e-8], dtype=np.float32))\n"
            "np.save('" + scalar + "', np.float32(2.25))");
  const NpyArray a = readNpy(f64);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  expectBitsEqual(a.data, {static_cast<float>(0.1), -2.5f, static_cast<float>(1e-3), static_cast<float>(1.0 / 3.0),
                           static_cast<float>(1e30), -0.0f});
  const NpyArray b = readNpy(f32);
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{3}));
  expectBitsEqual(b.data, {1.5f, -0.1f, 3e-8f});
  const NpyArray c = readNpy(scalar);
  EXPECT_TRUE(c.shape.empty());
  expectBitsEqual(c.data, {2.25f});
  for (const auto& p : {f64, f32, scalar}) std::remove(p.c_str());
}

TEST(Npy, ReadsFormatVersions2And3) {
  if (!haveNumpy()) GTEST_SKIP() << kPython << " with numpy not available";
  for (int major : {2, 3}) {
    const std::string path = tempPath("v" + std::to_string(major) + ".npy");
    runPython("from numpy.lib import format\n"
              "with open('" + path + "', 'wb') as f:\n"
              "    format.write_array(f, np.arange(6, dtype=np.float32).reshape(2, 3), version=(" +
              std::to_string(major) + ", 0))");
    EXPECT_EQ(static_cast<int>(readFileBytes(path)[6]), major);
    const NpyArray a = readNpy(path);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
    expectBitsEqual(a.data, {0, 1, 2, 3, 4, 5});
    std::remove(path.c_str());
  }
}

TEST(Npy, MissingFileNamesPath) {
  const std::string path = tempPath("does_not_exist.npy");
  expectDataError([&] { readNpy(path); }, path, "cannot open");
}

TEST(Npy, BadMagicNamesPath) {
  const std::string path = tempPath("bad_magic.npy");
  std::ofstream(path, std::ios::binary) << "PK\x03\x04 this is a zip, not an npy file";
  expectDataError([&] { readNpy(path); }, path, "bad magic");
  std::remove(path.c_str());
}

TEST(Npy, UnsupportedVersionNamesPath) {
  const std::string path = tempPath("bad_version.npy");
  std::ofstream(path, std::ios::binary) << std::string("\x93NUMPY\x04\x00\x00\x00", 10);
  expectDataError([&] { readNpy(path); }, path, "version 4.0");
  std::remove(path.c_str());
}

TEST(Npy, FortranOrderRejected) {
  const std::string path = tempPath("fortran.npy");
  writeRawNpy(path, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", std::string(16, '\0'));
  expectDataError([&] { readNpy(path); }, path, "fortran_order");
  std::remove(path.c_str());
}

TEST(Npy, UnsupportedDtypeRejected) {
  const std::string path = tempPath("int32.npy");
  writeRawNpy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", std::string(16, '\0'));
  expectDataError([&] { readNpy(path); }, path, "'<i4'");
  std::remove(path.c_str());
}

TEST(Npy, MalformedHeaderRejected) {
  const std::string path = tempPath("malformed.npy");
  writeRawNpy(path, "{'descr': '<f4', 'shape': (4,), }", std::string(16, '\0'));  // no fortran_order
  expectDataError([&] { readNpy(path); }, path, "fortran_order");
  writeRawNpy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, -1), }", std::string(16, '\0'));
  expectDataError([&] { readNpy(path); }, path, "malformed .npy header");
  std::remove(path.c_str());
}

TEST(Npy, TruncatedPayloadRejected) {
  const std::string path = tempPath("truncated.npy");
  writeNpy(path, {4, 4}, ramp(16));
  fs::resize_file(path, fs::file_size(path) - 3);
  expectDataError([&] { readNpy(path); }, path, "truncated payload: expected 64 bytes");
  std::remove(path.c_str());
}

TEST(Npy, TrailingBytesRejected) {
  const std::string path = tempPath("trailing.npy");
  writeNpy(path, {4}, ramp(4));
  std::ofstream(path, std::ios::binary | std::ios::app) << "xx";
  expectDataError([&] { readNpy(path); }, path, "payload is 18 bytes");
  std::remove(path.c_str());
}

TEST(Npy, WriteShapeMismatchLeavesNoFile) {
  const std::string path = tempPath("mismatch.npy");
  expectDataError([&] { writeNpy(path, {2, 3}, ramp(5)); }, path, "holds 6 values but 5");
  EXPECT_FALSE(fs::exists(path));
  expectDataError([&] { writeNpy(path, {-1}, {}); }, path, "negative");
}

TEST(Npy, WriteIntoMissingDirectoryFailsCleanly) {
  const std::string dir = tempPath("no_such_dir");
  const std::string path = dir + "/out.npy";
  expectDataError([&] { writeNpy(path, {2}, ramp(2)); }, path, "cannot write");
  EXPECT_FALSE(fs::exists(dir));
}

TEST(Npy, FailedRenameRemovesTemporary) {
  // The target is an existing non-empty directory: the temporary is written but rename() fails.
  const std::string dir = tempPath("target_is_dir");
  fs::create_directories(dir + "/child");
  expectDataError([&] { writeNpy(dir, {2}, ramp(2)); }, dir, "cannot rename");
  EXPECT_FALSE(fs::exists(dir + ".tmp-" + std::to_string(::getpid())));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mxsim::wl
