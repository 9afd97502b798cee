#include "models/digital/digital.h"

#include <limits>

namespace mxsim {

DigitalParams DigitalParams::fromConfig(ConfigReader& r) {
  DigitalParams p;
  p.lanes = static_cast<int>(r.getInt("lanes", 64, 1, 65536,
                                      "parallel digital ALU lanes (accumulate, activation, pooling ops per cycle)",
                                      "ops/cycle"));
  r.finish();
  return p;
}

namespace kernels {

void im2col(const RowMatrix& x, const Window& w, RowMatrix& cols) {
  const int N = static_cast<int>(x.rows());
  const int P = w.outH * w.outW;
  const int K = w.inC * w.kernelH * w.kernelW;
  cols.resize(static_cast<Eigen::Index>(N) * P, K);
  for (int n = 0; n < N; ++n) {
    const float* img = x.row(n).data();
    for (int oh = 0; oh < w.outH; ++oh) {
      for (int ow = 0; ow < w.outW; ++ow) {
        float* dst = cols.row(static_cast<Eigen::Index>(n) * P + oh * w.outW + ow).data();
        const int h0 = oh * w.strideH - w.padTop;
        const int w0 = ow * w.strideW - w.padLeft;
        for (int c = 0; c < w.inC; ++c) {
          const float* plane = img + static_cast<std::ptrdiff_t>(c) * w.inH * w.inW;
          for (int i = 0; i < w.kernelH; ++i) {
            const int h = h0 + i * w.dilationH;
            const bool rowIn = h >= 0 && h < w.inH;
            for (int j = 0; j < w.kernelW; ++j) {
              const int ww = w0 + j * w.dilationW;
              *dst++ = (rowIn && ww >= 0 && ww < w.inW) ? plane[h * w.inW + ww] : 0.0f;
            }
          }
        }
      }
    }
  }
}

void rowsToNchw(const RowMatrix& rows, int images, RowMatrix& out) {
  const Eigen::Index P = rows.rows() / images;
  const Eigen::Index C = rows.cols();
  out.resize(images, C * P);
  for (int n = 0; n < images; ++n) {
    // Block of P rows × C for image n, transposed into C × P (channel planes).
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> dst(out.row(n).data(), C, P);
    dst = rows.middleRows(static_cast<Eigen::Index>(n) * P, P).transpose();
  }
}

void relu(RowMatrix& x) { x = x.cwiseMax(0.0f); }

void maxPool(const RowMatrix& x, const Window& w, RowMatrix& out) {
  const int N = static_cast<int>(x.rows());
  const int P = w.outH * w.outW;
  out.resize(N, static_cast<Eigen::Index>(w.inC) * P);
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < w.inC; ++c) {
      const float* plane = x.row(n).data() + static_cast<std::ptrdiff_t>(c) * w.inH * w.inW;
      float* dst = out.row(n).data() + static_cast<std::ptrdiff_t>(c) * P;
      for (int oh = 0; oh < w.outH; ++oh) {
        for (int ow = 0; ow < w.outW; ++ow) {
          // Padding never wins a max (ONNX MaxPool pads with −∞).
          float m = -std::numeric_limits<float>::infinity();
          for (int i = 0; i < w.kernelH; ++i) {
            const int h = oh * w.strideH - w.padTop + i * w.dilationH;
            if (h < 0 || h >= w.inH) continue;
            for (int j = 0; j < w.kernelW; ++j) {
              const int ww = ow * w.strideW - w.padLeft + j * w.dilationW;
              if (ww >= 0 && ww < w.inW) m = std::max(m, plane[h * w.inW + ww]);
            }
          }
          dst[oh * w.outW + ow] = m;
        }
      }
    }
  }
}

void globalAvgPool(const RowMatrix& x, int channels, RowMatrix& out) {
  const Eigen::Index P = x.cols() / channels;
  out.resize(x.rows(), channels);
  for (Eigen::Index n = 0; n < x.rows(); ++n) {
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> planes(x.row(n).data(),
                                                                                                channels, P);
    out.row(n) = planes.rowwise().mean().transpose();
  }
}

void affine(const RowMatrix& x, const Eigen::VectorXf& scale, const Eigen::VectorXf& shift, RowMatrix& out) {
  const Eigen::Index C = scale.size();
  const Eigen::Index P = x.cols() / C;
  out.resize(x.rows(), x.cols());
  for (Eigen::Index c = 0; c < C; ++c) {
    out.middleCols(c * P, P) = (x.middleCols(c * P, P).array() * scale[c] + shift[c]).matrix();
  }
}

}  // namespace kernels
}  // namespace mxsim
