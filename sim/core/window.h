// Contract: geometry of a 2-D window operation (convolution or pooling) on one C×H×W image.
#pragma once

namespace mxsim {

struct Window {
  int kernelH = 1, kernelW = 1;
  int strideH = 1, strideW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int dilationH = 1, dilationW = 1;
  int inC = 0, inH = 0, inW = 0;
  int outH = 0, outW = 0;
};

}  // namespace mxsim
