// Contract: every error a user can cause is one of these exceptions; its what() is a single line that
// names the culprit (file, node, key) and what is allowed. The CLI prints it and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace mxsim {

/// `text` with its control characters written as escapes (a newline as \n, others as \xHH; a tab stays), so a
/// message that quotes a user's text (a --set value, an ONNX name, an NPY header) stays one line whatever that
/// text holds. Found by fuzzing (issue 18): an input name, a header key or a --set value with a line break split
/// the error over several lines.
inline std::string oneLine(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

/// Base of all user-facing errors. The message is made one line (oneLine) whatever text it quotes.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(oneLine(message)) {}
  explicit Error(const char* message) : Error(std::string(message)) {}
};

/// Bad architecture YAML / --set override: unknown key, wrong type, out-of-range value, bad unit.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Bad or unsupported model (corrupt ONNX, unsupported op, missing initializer, shape mismatch).
class ModelError : public Error {
 public:
  using Error::Error;
};

/// Bad input data (missing dataset, malformed IDX/NPY, wrong input shape).
class DataError : public Error {
 public:
  using Error::Error;
};

/// A workload that does not fit the configured chip (more arrays than the chip has, ...).
class MappingError : public Error {
 public:
  using Error::Error;
};

}  // namespace mxsim
