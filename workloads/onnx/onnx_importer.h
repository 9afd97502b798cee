// Contract: importOnnx() reads an ONNX file and lowers it to a Program, or throws ModelError with one line
// naming the file and, where relevant, the node (name and op) and what is supported instead.
#pragma once
#include <string>

#include "workloads/ir/program.h"

namespace mxsim::wl {

Program importOnnx(const std::string& path);

/// The ONNX op types importOnnx() accepts (for messages and docs).
const std::vector<std::string>& supportedOnnxOps();

}  // namespace mxsim::wl
