// Shared by the libFuzzer harnesses (tests/fuzz, docs/reliability.md): each harness hands the fuzzer's bytes
// to the same path-based reader the CLI uses, so a finding reproduces with `mxsim` on the saved file.
//
// The contract under test (sim/core/error.h): bad input ends in an mxsim::Error, whose message is one line.
// Anything else — a crash, a sanitizer report, another exception type (the CLI's "internal error", exit 3),
// a multi-line or empty message, an allocation beyond libFuzzer's -malloc_limit_mb — is a finding.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/error.h"

namespace mxsim::fuzz {

/// A private scratch directory for this process (removed at exit), so parallel fuzz jobs never share files.
inline const std::string& scratchDir() {
  static const std::string dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "mxsim-fuzz-XXXXXX").string();
    if (!mkdtemp(templ.data())) std::abort();
    static std::string removeAtExit;
    removeAtExit = templ;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(removeAtExit, ec);
    });
    return templ;
  }();
  return dir;
}

/// Write the fuzzer's bytes to `name` in the scratch directory and return its path.
inline std::string writeInput(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = scratchDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
  return path;
}

/// Run `body`; an mxsim::Error with a one-line, non-empty message is the expected outcome of bad input.
/// Any other exception aborts (the fuzzer saves the input as a crash).
template <typename F>
void expectCleanOutcome(F&& body) {
  try {
    body();
  } catch (const mxsim::Error& e) {
    const std::string msg = e.what();
    if (msg.empty() || msg.find('\n') != std::string::npos) {
      std::fprintf(stderr, "fuzz: error message is not one line: [%s]\n", msg.c_str());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: not an mxsim::Error (the CLI's internal error, exit 3): %s\n", e.what());
    std::abort();
  }
}

/// A reader's array must describe the data it returns: the product of its dimensions is the element count.
template <typename Dims>
void expectShapeMatches(const Dims& dims, std::size_t elements) {
  std::uint64_t n = 1;
  for (auto d : dims) n *= static_cast<std::uint64_t>(d);
  if (n != elements) {
    std::fprintf(stderr, "fuzz: shape of %llu elements, data of %zu\n", static_cast<unsigned long long>(n), elements);
    std::abort();
  }
}

}  // namespace mxsim::fuzz
