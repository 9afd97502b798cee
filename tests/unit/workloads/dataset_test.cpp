// Tests for the dataset loaders: IDX parsing on synthetic files (plain and gzip), Fashion-MNIST from
// Debian's dataset-fashion-mnist package (skipped when it is not installed) and the seeded random dataset.
#include "workloads/data/dataset.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/error.h"

namespace mxsim::wl {
namespace {

namespace fs = std::filesystem;

/// A per-process path in the gtest temp dir (ctest runs test cases as concurrent processes).
std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "mxsim_dataset_" + std::to_string(::getpid()) + "_" + name;
}

/// Encode an IDX file: 00 00 <type> <ndims>, big-endian uint32 dims, then the payload as given.
std::string idxBytes(const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& payload,
                     std::uint8_t type = 0x08) {
  std::string b = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<char>((d >> shift) & 0xFF));
  b.append(payload.begin(), payload.end());
  return b;
}

void writeFile(const std::string& path, const std::string& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
}

std::vector<std::uint8_t> iota(std::size_t n, std::uint8_t start = 0) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(start + i * 7);
  return v;
}

/// Expect fn() to throw DataError whose one-line message contains every string in `parts`.
void expectDataError(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no DataError (expected '" << parts.front() << "')";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message must be one line: " << msg;
  }
}

// ---------------------------------------------------------------------------------------------- IDX

class IdxFile : public ::testing::TestWithParam<bool> {  // parameter: gzip-compressed
 protected:
  std::string path() const { return tempPath(GetParam() ? "a.idx.gz" : "a.idx"); }
  void TearDown() override { std::remove(path().c_str()); }
};

TEST_P(IdxFile, ReadsDimsAndData) {
  const auto payload = iota(3 * 2 * 4, 5);
  writeFile(path(), idxBytes({3, 2, 4}, payload), GetParam());
  const IdxArray a = readIdx(path());
  EXPECT_EQ(a.dims, (std::vector<std::int64_t>{3, 2, 4}));
  EXPECT_EQ(a.data, payload);
}

TEST_P(IdxFile, ReadsLargePayload) {
  // Larger than zlib's buffers, so the chunked read loop runs more than once per call to gzread.
  const auto payload = iota(3u << 20, 1);
  writeFile(path(), idxBytes({3, 1024, 1024}, payload), GetParam());
  const IdxArray a = readIdx(path());
  EXPECT_EQ(a.dims, (std::vector<std::int64_t>{3, 1024, 1024}));
  EXPECT_EQ(a.data, payload);
}

TEST_P(IdxFile, TruncatedPayloadThrows) {
  writeFile(path(), idxBytes({4, 5}, iota(19)), GetParam());
  expectDataError([&] { readIdx(path()); }, {path(), "truncated: expected 20 bytes, got 19"});
}

TEST_P(IdxFile, TrailingBytesThrow) {
  writeFile(path(), idxBytes({4, 5}, iota(21)), GetParam());
  expectDataError([&] { readIdx(path()); }, {path(), "longer than the 20 bytes"});
}

TEST_P(IdxFile, BadMagicThrows) {
  std::string bytes = idxBytes({4}, iota(4));
  bytes[0] = 0x1F;
  writeFile(path(), bytes, GetParam());
  expectDataError([&] { readIdx(path()); }, {path(), "bad magic"});
}

TEST_P(IdxFile, UnsupportedTypeThrows) {
  writeFile(path(), idxBytes({2}, iota(8), 0x0D), GetParam());
  expectDataError([&] { readIdx(path()); }, {path(), "0x0D", "float32", "uint8"});
}

TEST_P(IdxFile, AbsurdDimsThrow) {
  writeFile(path(), idxBytes({65536, 65536}, {}), GetParam());  // 2^32 elements
  expectDataError([&] { readIdx(path()); }, {path(), "more than 2^31"});
}

// Found by fuzzing (issue 18): a 26-byte file whose dims claim 1.2 GB allocated (and zeroed) all of it before
// reporting the truncation. The buffer now grows with the bytes read: the peak RSS stays far below the claim.
TEST_P(IdxFile, HeaderClaimingAGigabyteDoesNotAllocateIt) {
  writeFile(path(), idxBytes({38, 33554432}, iota(10)), GetParam());  // 1.27e9 elements claimed, 10 present
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  expectDataError([&] { readIdx(path()); }, {path(), "truncated: expected 1275068416 bytes, got 10"});
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "peak RSS grew by " << after.ru_maxrss - before.ru_maxrss
                                                           << " KiB";  // was 1.2 GiB; now one 1 MiB buffer
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, IdxFile, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "gzip" : "plain"; });

TEST(Idx, CutOffGzipStreamThrows) {
  // A .gz cut short (interrupted download): the payload ends early and zlib reports the missing end.
  const std::string path = tempPath("cut.idx.gz");
  std::vector<std::uint8_t> payload(1u << 20);
  std::uint32_t x = 1;
  for (auto& b : payload) b = static_cast<std::uint8_t>((x = x * 1664525u + 1013904223u) >> 24);  // incompressible
  writeFile(path, idxBytes({1024, 1024}, payload), true);
  fs::resize_file(path, fs::file_size(path) / 2);
  expectDataError([&] { readIdx(path); }, {path, "truncated: expected 1048576 bytes", "unexpected end of file"});
  std::remove(path.c_str());
}

TEST(Idx, MissingFileThrows) {
  const std::string path = tempPath("missing.idx");
  try {
    readIdx(path);
    ADD_FAILURE() << "no DataError";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": cannot open", 0), 0u) << msg;
    EXPECT_EQ(msg.find("dataset-fashion-mnist"), std::string::npos) << "hint only for the package dir: " << msg;
  }
}

TEST(Idx, MissingFileUnderPackageDirSuggestsPackage) {
  const std::string path = std::string(kFashionMnistDir) + "/no-such-file-idx1-ubyte";
  expectDataError([&] { readIdx(path); }, {path + ": cannot open", "dataset-fashion-mnist installed?"});
}

// ------------------------------------------------------------------- Fashion-MNIST on synthetic files

/// A temp directory holding a tiny Fashion-MNIST-shaped test split.
class FakeMnistDir : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(m_dir); }
  void TearDown() override { fs::remove_all(m_dir); }
  void write(const std::string& name, const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data,
             bool gzip) {
    writeFile(m_dir + "/" + name + (gzip ? ".gz" : ""), idxBytes(dims, data), gzip);
  }
  const std::string m_dir = tempPath("fake_mnist");
};

TEST_F(FakeMnistDir, ReadsUncompressedAndPrefersGz) {
  write("t10k-images-idx3-ubyte", {3, 28, 28}, iota(3 * 784), false);
  write("t10k-labels-idx1-ubyte", {3}, {9, 0, 4}, false);
  Dataset ds = loadFashionMnist(m_dir, Split::Test);
  EXPECT_EQ(ds.images.rows(), 3);
  EXPECT_EQ(ds.labels, (std::vector<int>{9, 0, 4}));
  EXPECT_EQ(ds.images(1, 2), static_cast<float>(iota(3 * 784)[784 + 2]) / 255.0f);

  write("t10k-labels-idx1-ubyte", {3}, {1, 2, 3}, true);  // the .gz wins over the plain file
  ds = loadFashionMnist(m_dir, Split::Test);
  EXPECT_EQ(ds.labels, (std::vector<int>{1, 2, 3}));
}

TEST_F(FakeMnistDir, LabelOutOfRangeThrows) {
  write("train-images-idx3-ubyte", {2, 28, 28}, iota(2 * 784), true);
  write("train-labels-idx1-ubyte", {2}, {3, 10}, true);
  expectDataError([&] { loadFashionMnist(m_dir, Split::Train); }, {"train-labels-idx1-ubyte.gz", "label 10", "0..9"});
}

TEST_F(FakeMnistDir, CountMismatchThrows) {
  write("train-images-idx3-ubyte", {2, 28, 28}, iota(2 * 784), true);
  write("train-labels-idx1-ubyte", {3}, {1, 2, 3}, true);
  expectDataError([&] { loadFashionMnist(m_dir, Split::Train); }, {"train-labels-idx1-ubyte.gz", "3 labels", "2 images"});
}

TEST_F(FakeMnistDir, WrongImageDimsThrow) {
  write("train-images-idx3-ubyte", {2, 32, 32}, iota(2 * 1024), true);
  write("train-labels-idx1-ubyte", {2}, {1, 2}, true);
  expectDataError([&] { loadFashionMnist(m_dir, Split::Train); }, {"train-images-idx3-ubyte.gz", "[N, 28, 28]"});
}

TEST_F(FakeMnistDir, NoImagesThrowsNamingTheFile) {
  // Issue 18: zero images reached calibration, which divides by the image count (SIGFPE).
  write("t10k-images-idx3-ubyte", {0, 28, 28}, {}, true);
  write("t10k-labels-idx1-ubyte", {0}, {}, true);
  expectDataError([&] { loadFashionMnist(m_dir, Split::Test); }, {"t10k-images-idx3-ubyte.gz", "holds no images"});
}

TEST_F(FakeMnistDir, MissingFileThrows) {
  write("t10k-images-idx3-ubyte", {1, 28, 28}, iota(784), true);
  expectDataError([&] { loadFashionMnist(m_dir, Split::Test); }, {m_dir, "t10k-labels-idx1-ubyte.gz", "not found"});
}

TEST(FashionMnistErrors, MissingDirectoryNamesDirAndPackage) {
  const std::string dir = tempPath("no_such_dataset_dir");
  expectDataError([&] { loadFashionMnist(dir, Split::Test); }, {dir, "dataset-fashion-mnist"});
}

// --------------------------------------------------------------------- Fashion-MNIST (Debian package)

class FashionMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kFashionMnistDir)) GTEST_SKIP() << kFashionMnistDir << " absent (dataset-fashion-mnist)";
  }
};

TEST_F(FashionMnist, TestSplit) {
  const Dataset ds = loadFashionMnist(kFashionMnistDir, Split::Test);
  EXPECT_EQ(ds.name, "fashion-mnist");
  EXPECT_EQ(ds.imageShape, (Shape{1, 28, 28}));
  ASSERT_EQ(ds.images.rows(), 10000);
  EXPECT_EQ(ds.images.cols(), 784);
  ASSERT_EQ(ds.labels.size(), 10000u);
  std::vector<int> perClass(10, 0);
  for (int l : ds.labels) {
    ASSERT_GE(l, 0);
    ASSERT_LE(l, 9);
    ++perClass[static_cast<std::size_t>(l)];
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(perClass[static_cast<std::size_t>(c)], 1000) << "class " << c;
  EXPECT_GE(ds.images.minCoeff(), 0.0f);
  EXPECT_LE(ds.images.maxCoeff(), 1.0f);
  EXPECT_EQ(ds.images.maxCoeff(), 1.0f);  // some pixel is 255
  EXPECT_EQ(ds.labels[0], 9);             // the first test image is an ankle boot
}

TEST_F(FashionMnist, MaxImagesIsPrefixOfFullRead) {
  const Dataset full = loadFashionMnist(kFashionMnistDir, Split::Test);
  const Dataset head = loadFashionMnist(kFashionMnistDir, Split::Test, 100);
  ASSERT_EQ(head.images.rows(), 100);
  ASSERT_EQ(head.labels.size(), 100u);
  EXPECT_TRUE(head.images == full.images.topRows(100));
  EXPECT_EQ(head.labels, std::vector<int>(full.labels.begin(), full.labels.begin() + 100));
  // More than the split holds gives the whole split.
  EXPECT_EQ(loadFashionMnist(kFashionMnistDir, Split::Test, 20000).images.rows(), 10000);
}

TEST_F(FashionMnist, TrainSplit) {
  const Dataset ds = loadFashionMnist(kFashionMnistDir, Split::Train);
  ASSERT_EQ(ds.images.rows(), 60000);
  ASSERT_EQ(ds.labels.size(), 60000u);
  std::vector<int> perClass(10, 0);
  for (int l : ds.labels) ++perClass.at(static_cast<std::size_t>(l));
  for (int c = 0; c < 10; ++c) EXPECT_EQ(perClass[static_cast<std::size_t>(c)], 6000) << "class " << c;
}

// ------------------------------------------------------------------------------------ random dataset

TEST(RandomDataset, ValuesInUnitInterval) {
  const Dataset ds = randomDataset({3, 8, 8}, 50, 7);
  EXPECT_EQ(ds.name, "random");
  EXPECT_EQ(ds.imageShape, (Shape{3, 8, 8}));
  EXPECT_EQ(ds.images.rows(), 50);
  EXPECT_EQ(ds.images.cols(), 192);
  EXPECT_TRUE(ds.labels.empty());
  EXPECT_GE(ds.images.minCoeff(), 0.0f);
  EXPECT_LT(ds.images.maxCoeff(), 1.0f);
}

TEST(RandomDataset, SameSeedSameBits) {
  const Dataset a = randomDataset({1, 28, 28}, 20, 42);
  const Dataset b = randomDataset({1, 28, 28}, 20, 42);
  ASSERT_EQ(a.images.size(), b.images.size());
  EXPECT_EQ(std::memcmp(a.images.data(), b.images.data(), sizeof(float) * static_cast<std::size_t>(a.images.size())), 0);
}

TEST(RandomDataset, ImageIndependentOfCount) {
  const Dataset five = randomDataset({4, 4}, 5, 3);
  const Dataset ten = randomDataset({4, 4}, 10, 3);
  EXPECT_TRUE(five.images == ten.images.topRows(5));
}

TEST(RandomDataset, DifferentSeedDiffers) {
  const Dataset a = randomDataset({16}, 4, 1);
  const Dataset b = randomDataset({16}, 4, 2);
  EXPECT_FALSE(a.images == b.images);
  // Images within one dataset differ too (one stream per image).
  EXPECT_FALSE(a.images.row(0) == a.images.row(1));
}

TEST(RandomDataset, MeanIsOneHalf) {
  constexpr int kN = 100000;
  const Dataset ds = randomDataset({10}, kN / 10, 12345);
  const double mean = ds.images.cast<double>().mean();
  const double stderr_ = std::sqrt(1.0 / 12.0 / kN);
  EXPECT_NEAR(mean, 0.5, 5 * stderr_);
}

}  // namespace
}  // namespace mxsim::wl
