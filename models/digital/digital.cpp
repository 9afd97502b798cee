#include "models/digital/digital.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mxsim {

DigitalParams DigitalParams::fromConfig(ConfigReader& r) {
  DigitalParams p;
  p.lanes = static_cast<int>(r.getInt("lanes", p.lanes, 1, 65536,
                                      "parallel digital ALU lanes (accumulate, activation, pooling ops per cycle)",
                                      "ops/cycle"));
  p.activationUnits = static_cast<int>(r.getInt(
      "activation_units", p.activationUnits, 0, 65536,
      "activation/softmax units per digital unit (the chip's, or each tile's with chip.tile.memory): priced per "
      "activation.op, area.activation_unit each",
      "units", {"ISAAC Table I: 2 sigmoid units per tile"}));
  p.poolUnits = static_cast<int>(r.getInt("pool_units", p.poolUnits, 0, 65536,
                                          "pooling units per digital unit: priced per pool.op, area.pool_unit each",
                                          "units", {"ISAAC Table I: 1 max-pool unit per tile"}));
  p.accumulators = static_cast<int>(r.getInt(
      "accumulators", p.accumulators, 0, 65536,
      "partial-sum adders per digital unit (row blocks on different arrays, offset term, residual add): priced per "
      "accumulator.add, area.accumulator each",
      "units", {"ISAAC Table I: 1 shift-and-add (S+A) unit per tile, summing its IMAs' outputs"}));
  r.finish();
  return p;
}

namespace kernels {

void im2col(const Eigen::Ref<const RowMatrix>& x, const Window& w, RowMatrix& cols) {
  const int N = static_cast<int>(x.rows());
  const Eigen::Index P = static_cast<Eigen::Index>(w.outH) * w.outW;
  const int K = w.inC * w.kernelH * w.kernelW;
  const Eigen::Index NP = N * P;
  cols.resize(K, NP);
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(w.inH) * w.inW;
  // Row k = (c, i, j) of the patch matrix, image n, output row oh is one run of outW values taken from input
  // row h = oh·strideH − padTop + i·dilationH at columns ow·strideW + off (off = j·dilationW − padLeft): a
  // strided copy between the two runs of padding zeros. Output columns [owA, owB) read inside the image.
  for (int c = 0; c < w.inC; ++c) {
    for (int i = 0; i < w.kernelH; ++i) {
      for (int j = 0; j < w.kernelW; ++j) {
        const int k = (c * w.kernelH + i) * w.kernelW + j;
        const int off = j * w.dilationW - w.padLeft;
        const int owA = off >= 0 ? 0 : std::min(w.outW, (-off + w.strideW - 1) / w.strideW);
        const int last = w.inW - 1 - off;  // ow·strideW ≤ last
        const int owB = std::max(owA, last < 0 ? 0 : std::min(w.outW, last / w.strideW + 1));
        for (int n = 0; n < N; ++n) {
          const float* pl = x.row(n).data() + c * plane;
          float* dst = cols.row(k).data() + n * P;
          for (int oh = 0; oh < w.outH; ++oh, dst += w.outW) {
            const int h = oh * w.strideH - w.padTop + i * w.dilationH;
            if (h < 0 || h >= w.inH) {
              std::fill(dst, dst + w.outW, 0.0f);
              continue;
            }
            const float* src = pl + static_cast<std::ptrdiff_t>(h) * w.inW + off;
            std::fill(dst, dst + owA, 0.0f);
            if (w.strideW == 1) {
              std::copy(src + owA, src + owB, dst + owA);
            } else {
              for (int ow = owA; ow < owB; ++ow) dst[ow] = src[static_cast<std::ptrdiff_t>(ow) * w.strideW];
            }
            std::fill(dst + owB, dst + w.outW, 0.0f);
          }
        }
      }
    }
  }
}

void padPlanes(const Eigen::Ref<const RowMatrix>& x, const Window& w, RowMatrix& padded) {
  const Eigen::Index Hp = w.inH + w.padTop + w.padBottom, Wp = w.inW + w.padLeft + w.padRight;
  const Eigen::Index slack = static_cast<Eigen::Index>(w.kernelW - 1) * w.dilationW;
  padded.setZero(x.rows(), w.inC * Hp * Wp + slack);
  for (Eigen::Index n = 0; n < x.rows(); ++n)
    for (int c = 0; c < w.inC; ++c)
      for (int h = 0; h < w.inH; ++h) {
        const float* src = x.row(n).data() + (static_cast<Eigen::Index>(c) * w.inH + h) * w.inW;
        float* dst = padded.row(n).data() + (c * Hp + h + w.padTop) * Wp + w.padLeft;
        for (int j = 0; j < w.inW; ++j) dst[j] = src[j];
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

namespace {
/// Runs `pool(plane, dst)` for every (image, channel): the input H×W plane and the output outH×outW plane.
template <class Fn>
void forEachPlane(const RowMatrix& x, const Window& w, RowMatrix& out, Fn&& pool) {
  const int N = static_cast<int>(x.rows());
  const int P = w.outH * w.outW;
  out.resize(N, static_cast<Eigen::Index>(w.inC) * P);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < w.inC; ++c)
      pool(x.row(n).data() + static_cast<std::ptrdiff_t>(c) * w.inH * w.inW,
           out.row(n).data() + static_cast<std::ptrdiff_t>(c) * P);
}
}  // namespace

void maxPool(const RowMatrix& x, const Window& w, RowMatrix& out) {
  forEachPlane(x, w, out, [&](const float* plane, float* dst) {
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
  });
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

void activation(RowMatrix& x, ActivationKind kind, float alpha, float beta) {
  auto a = x.array();
  switch (kind) {
    case ActivationKind::Relu: a = a.cwiseMax(0.0f); break;
    case ActivationKind::Clip: a = a.cwiseMax(alpha).cwiseMin(beta); break;
    case ActivationKind::LeakyRelu: a = (a >= 0.0f).select(a, alpha * a); break;
    case ActivationKind::Sigmoid: a = 1.0f / (1.0f + (-a).exp()); break;
    case ActivationKind::HardSigmoid: a = (alpha * a + beta).cwiseMax(0.0f).cwiseMin(1.0f); break;
    case ActivationKind::HardSwish: a = a * (a / 6.0f + 0.5f).cwiseMax(0.0f).cwiseMin(1.0f); break;
    case ActivationKind::Round: a = a.unaryExpr([](float v) { return roundHalfEven(v); }); break;
  }
}

void softmax(RowMatrix& x, Eigen::Index outer, Eigen::Index axisLen, Eigen::Index inner) {
  for (Eigen::Index n = 0; n < x.rows(); ++n) {
    float* img = x.row(n).data();
    for (Eigen::Index o = 0; o < outer; ++o) {
      // View [axisLen × inner] row-major: normalise each column.
      Eigen::Map<RowMatrix> m(img + o * axisLen * inner, axisLen, inner);
      const Eigen::RowVectorXf mx = m.colwise().maxCoeff();
      m.rowwise() -= mx;
      m = m.array().exp().matrix();
      const Eigen::RowVectorXf sum = m.colwise().sum();
      m.array().rowwise() /= sum.array();
    }
  }
}

void avgPool(const RowMatrix& x, const Window& w, bool countIncludePad, RowMatrix& out) {
  forEachPlane(x, w, out, [&](const float* plane, float* dst) {
      for (int oh = 0; oh < w.outH; ++oh) {
        const int hs = oh * w.strideH - w.padTop;
        const int he = std::min(hs + w.kernelH, w.inH + w.padBottom);  // window within the padded input
        const int h0 = std::max(hs, 0), h1 = std::min(he, w.inH);
        for (int ow = 0; ow < w.outW; ++ow) {
          const int ws = ow * w.strideW - w.padLeft;
          const int we = std::min(ws + w.kernelW, w.inW + w.padRight);
          const int w0 = std::max(ws, 0), w1 = std::min(we, w.inW);
          float sum = 0.0f;
          for (int h = h0; h < h1; ++h)
            for (int ww = w0; ww < w1; ++ww) sum += plane[h * w.inW + ww];
          const int count = countIncludePad ? (he - hs) * (we - ws) : std::max(0, h1 - h0) * std::max(0, w1 - w0);
          dst[oh * w.outW + ow] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
        }
      }
  });
}

void gather(const RowMatrix& x, const std::vector<std::int32_t>& map, RowMatrix& out) {
  const auto cols = static_cast<Eigen::Index>(map.size());
  out.resize(x.rows(), cols);
  for (Eigen::Index n = 0; n < x.rows(); ++n) {
    const float* src = x.row(n).data();
    float* dst = out.row(n).data();
    for (Eigen::Index i = 0; i < cols; ++i) dst[i] = src[map[static_cast<std::size_t>(i)]];
  }
}

void concat(const std::vector<const RowMatrix*>& xs, const std::vector<std::int64_t>& blocks, std::int64_t outer,
            RowMatrix& out) {
  std::int64_t per = 0;
  for (auto b : blocks) per += b;
  const Eigen::Index N = xs.at(0)->rows();
  out.resize(N, static_cast<Eigen::Index>(per * outer));
  for (Eigen::Index n = 0; n < N; ++n) {
    float* dst = out.row(n).data();
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::size_t k = 0; k < xs.size(); ++k) {
        const float* src = xs[k]->row(n).data() + o * blocks[k];
        dst = std::copy(src, src + blocks[k], dst);
      }
    }
  }
}

namespace {
template <class A, class B>
void apply(const A& a, const B& b, BinaryOp op, RowMatrix& out) {
  switch (op) {
    case BinaryOp::Add: out = (a + b).matrix(); break;
    case BinaryOp::Sub: out = (a - b).matrix(); break;
    case BinaryOp::Mul: out = (a * b).matrix(); break;
    case BinaryOp::Div: out = (a / b).matrix(); break;
  }
}
}  // namespace

void binary(const RowMatrix& a, const RowMatrix& b, BinaryOp op, RowMatrix& out) {
  apply(a.array(), b.array(), op, out);
}

void binaryConstant(const RowMatrix& a, const Eigen::VectorXf& c, bool constantFirst, BinaryOp op, RowMatrix& out) {
  const auto cb = c.transpose().array().replicate(a.rows(), 1);
  if (constantFirst) {
    apply(cb, a.array(), op, out);
  } else {
    apply(a.array(), cb, op, out);
  }
}

}  // namespace kernels
}  // namespace mxsim
