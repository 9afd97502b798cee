// libFuzzer harness: NumPy .npy files (`mxsim infer --input`), read by wl::readNpy.
#include "tests/fuzz/fuzz_support.h"
#include "workloads/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = mxsim::fuzz::writeInput("input.npy", data, size);
  mxsim::fuzz::expectCleanOutcome([&] {
    const mxsim::wl::NpyArray a = mxsim::wl::readNpy(path);
    std::uint64_t n = 1;
    for (auto d : a.shape) n *= static_cast<std::uint64_t>(d);
    if (n != a.data.size()) std::abort();  // the shape must describe the data it returns
  });
  return 0;
}
