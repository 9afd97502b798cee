// libFuzzer harness: IDX files, plain or gzip-compressed (Fashion-MNIST, `--data fmnist --data-dir`), read by
// wl::readIdx.
#include "tests/fuzz/fuzz_support.h"
#include "workloads/data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = mxsim::fuzz::writeInput("input-idx-ubyte", data, size);
  mxsim::fuzz::expectCleanOutcome([&] {
    const mxsim::wl::IdxArray a = mxsim::wl::readIdx(path);
    mxsim::fuzz::expectShapeMatches(a.dims, a.data.size());
  });
  return 0;
}
