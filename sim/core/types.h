// Contract: shared numeric types. A batch of activations is a row-major [images × features] float matrix.
#pragma once
#include <Eigen/Core>

namespace mxsim {
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColMatrix = Eigen::MatrixXf;
}  // namespace mxsim
