// Contract: importOnnx() reads an ONNX file and lowers it to a Program, or throws ModelError with one line
// naming the file and, where relevant, the node (name and op) and what is supported instead.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "workloads/ir/program.h"

namespace mxsim::wl {

struct ImportOptions {
  /// Per-image input shape (without the batch) for models whose input has symbolic dimensions other than
  /// the batch (CLI --input-shape). Must agree with every fixed dimension the model declares.
  std::optional<Shape> inputShape;
  /// Where inputShape came from, for messages ("--input-shape", or e.g. "the shape of input array x.npy").
  std::string inputShapeSource = "--input-shape";
};

Program importOnnx(const std::string& path, const ImportOptions& options = {});

/// The ONNX op types importOnnx() accepts (for messages and docs).
const std::vector<std::string>& supportedOnnxOps();

}  // namespace mxsim::wl
