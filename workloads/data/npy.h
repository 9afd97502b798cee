// Contract: NumPy .npy (format 1.0/2.0/3.0, little-endian float32 C-order) read and write.
// readNpy also accepts float64 (converted). writeNpy writes atomically: temp file then rename, so a failed
// run leaves no half-written output.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mxsim::wl {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // C order
};

NpyArray readNpy(const std::string& path);
void writeNpy(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& data);

}  // namespace mxsim::wl
