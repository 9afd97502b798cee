// Helpers for tests that check error messages: catch the expected exception type and look for the parts a
// user needs (key path, value, range) in its one-line message.
#pragma once
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "sim/core/error.h"

namespace mxsim::testing {

/// The message of the ConfigError that f() throws (a test failure, and "", if it throws none).
template <class F>
std::string configErrorOf(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// `num` as a whole number token in `s` (so "2" does not match inside "256" or "2.5").
inline bool containsNumber(const std::string& s, const std::string& num) {
  auto isNumChar = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; };
  for (auto pos = s.find(num); pos != std::string::npos; pos = s.find(num, pos + 1)) {
    const bool leftOk = pos == 0 || !isNumChar(s[pos - 1]);
    const bool rightOk = pos + num.size() == s.size() || !isNumChar(s[pos + num.size()]);
    if (leftOk && rightOk) return true;
  }
  return false;
}

}  // namespace mxsim::testing
