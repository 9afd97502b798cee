// libFuzzer harness: NumPy .npy files (`mxsim infer --input`), read by wl::readNpy.
#include "tests/fuzz/fuzz_support.h"
#include "workloads/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = mxsim::fuzz::writeInput("input.npy", data, size);
  mxsim::fuzz::expectCleanOutcome([&] {
    const mxsim::wl::NpyArray a = mxsim::wl::readNpy(path);
    mxsim::fuzz::expectShapeMatches(a.shape, a.data.size());
  });
  return 0;
}
