// libFuzzer harness: architecture YAML files (`--arch`): loaded with its base: chain, validated into
// ChipParams, and printed back as `mxsim config` does.
#include "sim/arch/arch.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = mxsim::fuzz::writeInput("arch.yaml", data, size);
  mxsim::fuzz::expectCleanOutcome([&] {
    const mxsim::ChipParams p = mxsim::loadChipParams(path, {});
    if (p.totalArrays() <= 0) std::abort();  // a validated chip has arrays
    (void)mxsim::effectiveArchText(path, {});
  });
  return 0;
}
