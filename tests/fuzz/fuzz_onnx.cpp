// libFuzzer harness: ONNX model bytes (`--model`), imported and lowered by wl::importOnnx. The model sits in
// a scratch directory of its own, beside a small external-data file, so external-data references are
// exercised too (and must never reach outside that directory).
#include "tests/fuzz/fuzz_support.h"
#include "workloads/onnx/onnx_importer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool weights = [] {
    std::ofstream w(mxsim::fuzz::scratchDir() + "/weights.bin", std::ios::binary);
    for (int i = 0; i < 4096; ++i) w.put(static_cast<char>(i * 37));
    return true;
  }();
  (void)weights;
  const std::string path = mxsim::fuzz::writeInput("model.onnx", data, size);
  mxsim::fuzz::expectCleanOutcome([&] { (void)mxsim::wl::importOnnx(path); });
  return 0;
}
