// Contract: every error a user can cause is one of these exceptions; its what() is a single line that
// names the culprit (file, node, key) and what is allowed. The CLI prints it and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace mxsim {

/// Base of all user-facing errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
