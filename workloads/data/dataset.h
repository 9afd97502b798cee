// Contract: datasets as batches of float images in [0, 1] (pixel / 255), NCHW per row, with labels.
// Loaders throw DataError naming the file on a missing or malformed input.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/types.h"
#include "workloads/ir/program.h"

namespace mxsim::wl {

struct Dataset {
  std::string name;
  Shape imageShape;         // e.g. {1, 28, 28}
  RowMatrix images;         // N × numel(imageShape)
  std::vector<int> labels;  // N entries, or empty when unlabelled (random data)
};

enum class Split { Train, Test };

/// Default location of Debian's dataset-fashion-mnist package.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Read Fashion-MNIST (IDX files, gzip-compressed or not: "t10k-images-idx3-ubyte[.gz]" etc.) from `dir`.
/// Images become pixel/255 floats of shape {1, 28, 28}. maxImages = 0 reads all.
Dataset loadFashionMnist(const std::string& dir, Split split, std::size_t maxImages = 0);

/// Low-level IDX readers (uint8 payload), transparently gunzipping when the file is gzip-compressed.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};
IdxArray readIdx(const std::string& path);

/// Synthetic unlabelled inputs, uniform in [0, 1), reproducible from the seed.
Dataset randomDataset(const Shape& imageShape, std::size_t n, std::uint64_t seed);

}  // namespace mxsim::wl
