// libFuzzer harness: `--set key.path=value` overrides on the default architecture. The input is split at
// newlines into one override per line (so the fuzzer combines several, as a command line does).
#include <vector>

#include "sim/arch/arch.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string arch = mxsim::defaultArchPath();
  static const YAML::Node base = YAML::Clone(mxsim::resolvedArchYaml(arch, {}));
  std::vector<std::string> overrides;
  std::string line;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i == size || data[i] == '\n') {
      overrides.push_back(line);
      line.clear();
    } else {
      line.push_back(static_cast<char>(data[i]));
    }
  }
  if (overrides.size() > 16) return 0;  // a command line of a few overrides; keeps each run short
  mxsim::fuzz::expectCleanOutcome([&] {
    YAML::Node root = YAML::Clone(base);
    for (const auto& o : overrides) mxsim::applyOverride(root, o);
    const mxsim::ChipParams p = mxsim::chipParamsOf(root, arch, overrides);
    if (p.totalArrays() <= 0) std::abort();
  });
  return 0;
}
