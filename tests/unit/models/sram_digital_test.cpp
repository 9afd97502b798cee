// Tests for the SRAM transfer-cycle rule (models/memory/sram.h) and the digital unit (models/digital):
// its lanes-per-cycle rule and the batched kernels, each against a naive NCHW loop written here
// (direct convolution for im2col + GEMM, window max for pooling, per-channel loops for the rest).
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

#include "models/digital/digital.h"
#include "models/memory/sram.h"
#include "sim/core/rng.h"
#include "sim/core/gemm.h"

namespace mxsim {
namespace {

// ---------------------------------------------------------------------------------------------------
// SRAM

SramCore makeSram(int wordBits, int ports, int accessCycles) {
  SramParams p;
  p.wordBits = wordBits;
  p.ports = ports;
  p.accessCycles = accessCycles;
  return SramCore(p);
}

TEST(SramTest, TransferCyclesAreCeilBitsOverWidthPlusLatency) {
  const SramCore a = makeSram(256, 2, 1);  // 512 bits per cycle, no extra latency
  EXPECT_EQ(a.transferCycles(0), 0u);
  EXPECT_EQ(a.transferCycles(1), 1u);
  EXPECT_EQ(a.transferCycles(512), 1u);
  EXPECT_EQ(a.transferCycles(513), 2u);
  EXPECT_EQ(a.transferCycles(1024), 2u);
  EXPECT_EQ(a.transferCycles(8 * 1024 * 1024), 16384u);  // 1 MiB = 8 Mibit / 512
  const SramCore b = makeSram(256, 2, 3);  // latency 3: two extra cycles once
  EXPECT_EQ(b.transferCycles(0), 0u);
  EXPECT_EQ(b.transferCycles(512), 3u);
  EXPECT_EQ(b.transferCycles(513), 4u);
  const SramCore c = makeSram(64, 1, 2);
  EXPECT_EQ(c.transferCycles(6400), 101u);  // 100 accesses + 1
  EXPECT_EQ(c.transferCycles(6401), 102u);
  const SramCore d = makeSram(8, 64, 1);
  EXPECT_EQ(d.transferCycles(513), 2u);  // 512 bits per cycle
}

TEST(SramTest, CapacityBitsAreBytesTimesEight) {
  SramParams p;
  p.capacityBytes = 2.0 * 1024 * 1024;
  EXPECT_EQ(SramCore(p).capacityBits(), 16777216u);
}

// ---------------------------------------------------------------------------------------------------
// DigitalCore

TEST(DigitalTest, CyclesAreCeilOpsOverLanes) {
  DigitalParams p;
  p.lanes = 64;
  const DigitalCore d(p);
  EXPECT_EQ(d.cycles(0), 0u);
  EXPECT_EQ(d.cycles(1), 1u);
  EXPECT_EQ(d.cycles(64), 1u);
  EXPECT_EQ(d.cycles(65), 2u);
  EXPECT_EQ(d.cycles(6400), 100u);
  p.lanes = 1;
  EXPECT_EQ(DigitalCore(p).cycles(7), 7u);
  p.lanes = 3;
  EXPECT_EQ(DigitalCore(p).cycles(10), 4u);
}

// ---------------------------------------------------------------------------------------------------
// Kernels

RowMatrix randomBatch(int n, int features, std::uint64_t key, double lo, double hi) {
  Rng rng(key);
  RowMatrix x(n, features);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return x;
}

/// Output size of a window op (the ONNX/PyTorch floor formula).
int outSize(int in, int k, int stride, int padA, int padB, int dil) {
  return (in + padA + padB - dil * (k - 1) - 1) / stride + 1;
}

/// A kh × kw window over C × H × W with top/right padding `pad` and bottom/left `pad + extraPad` (asymmetric),
/// the given strides and dilation, and the output size that follows.
Window sweptWindow(int kh, int kw, int strideH, int strideW, int pad, int extraPad, int dil, int C, int H, int W) {
  Window w;
  w.kernelH = kh;
  w.kernelW = kw;
  w.strideH = strideH;
  w.strideW = strideW;
  w.padTop = pad;
  w.padBottom = pad + extraPad;
  w.padLeft = pad + extraPad;
  w.padRight = pad;
  w.dilationH = w.dilationW = dil;
  w.inC = C;
  w.inH = H;
  w.inW = W;
  w.outH = outSize(H, kh, strideH, w.padTop, w.padBottom, dil);
  w.outW = outSize(W, kw, strideW, w.padLeft, w.padRight, dil);
  return w;
}

TEST(DigitalKernelsTest, Im2colTimesWeightsEqualsDirectConvolution) {
  const int N = 2, C = 3, H = 9, W = 8, OC = 4;
  Window w;
  w.kernelH = 3;
  w.kernelW = 2;
  w.strideH = 2;
  w.strideW = 2;
  w.padTop = 1;
  w.padBottom = 2;  // asymmetric padding
  w.padLeft = 0;
  w.padRight = 1;
  w.dilationH = 2;
  w.dilationW = 2;
  w.inC = C;
  w.inH = H;
  w.inW = W;
  w.outH = outSize(H, 3, 2, 1, 2, 2);  // (9 + 3 − 4 − 1)/2 + 1 = 4
  w.outW = outSize(W, 2, 2, 0, 1, 2);  // (8 + 1 − 2 − 1)/2 + 1 = 4
  ASSERT_EQ(w.outH, 4);
  ASSERT_EQ(w.outW, 4);
  const int P = w.outH * w.outW, K = C * w.kernelH * w.kernelW;

  const RowMatrix x = randomBatch(N, C * H * W, streamKey(1, {1}), -1, 1);
  const RowMatrix wt = randomBatch(OC, K, streamKey(1, {2}), -1, 1);  // [oc][c][kh][kw]

  RowMatrix cols;
  kernels::im2col(x, w, cols);
  ASSERT_EQ(cols.rows(), K);
  ASSERT_EQ(cols.cols(), N * P);
  const RowMatrix rows = cols.transpose() * wt.transpose();  // [(n, p) × oc]
  RowMatrix y;
  kernels::rowsToNchw(rows, N, y);
  ASSERT_EQ(y.rows(), N);
  ASSERT_EQ(y.cols(), OC * P);

  int paddedTaps = 0;
  for (int n = 0; n < N; ++n) {
    for (int oc = 0; oc < OC; ++oc) {
      for (int oh = 0; oh < w.outH; ++oh) {
        for (int ow = 0; ow < w.outW; ++ow) {
          double acc = 0;
          for (int c = 0; c < C; ++c) {
            for (int kh = 0; kh < w.kernelH; ++kh) {
              for (int kw = 0; kw < w.kernelW; ++kw) {
                const int ih = oh * w.strideH - w.padTop + kh * w.dilationH;
                const int iw = ow * w.strideW - w.padLeft + kw * w.dilationW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                  ++paddedTaps;
                  continue;  // zero padding
                }
                acc += static_cast<double>(x(n, (c * H + ih) * W + iw)) *
                       wt(oc, (c * w.kernelH + kh) * w.kernelW + kw);
              }
            }
          }
          ASSERT_NEAR(y(n, oc * P + oh * w.outW + ow), acc, 1e-4)
              << "n=" << n << " oc=" << oc << " oh=" << oh << " ow=" << ow;
        }
      }
    }
  }
  EXPECT_GT(paddedTaps, 0);  // the geometry really reaches into the padding
}

// The run copies (the in-image stretch of each patch-matrix row, between padding zeros) must build the same
// patches as a naive gather, for every kernel / stride / padding / dilation mix, including windows
// larger than the image and asymmetric padding.
TEST(DigitalKernelsTest, Im2colEqualsNaiveGatherForManyWindows) {
  int configs = 0, interiorSeen = 0;
  for (int k : {1, 2, 3, 5})
    for (int stride : {1, 2, 3})
      for (int pad : {0, 1, 2})
        for (int dil : {1, 2})
          for (int extraPad : {0, 1}) {
            // also a non-square kernel (5 × 3) and unequal strides (3, 1)
            const Window w = sweptWindow(k, k == 5 ? 3 : k, stride, stride == 3 ? 1 : stride, pad, extraPad, dil, 2, 7, 6);
            if (w.outH <= 0 || w.outW <= 0) continue;
            ++configs;
            const RowMatrix x = randomBatch(2, w.inC * w.inH * w.inW, streamKey(3, {static_cast<std::uint64_t>(configs)}), -1, 1);
            RowMatrix cols;
            kernels::im2col(x, w, cols);
            const int P = w.outH * w.outW, K = w.inC * w.kernelH * w.kernelW;
            ASSERT_EQ(cols.rows(), K);
            ASSERT_EQ(cols.cols(), 2 * P);
            for (int n = 0; n < 2; ++n)
              for (int oh = 0; oh < w.outH; ++oh)
                for (int ow = 0; ow < w.outW; ++ow) {
                  bool inside = true;
                  for (int c = 0; c < w.inC; ++c)
                    for (int i = 0; i < w.kernelH; ++i)
                      for (int j = 0; j < w.kernelW; ++j) {
                        const int h = oh * w.strideH - w.padTop + i * dil, ww = ow * w.strideW - w.padLeft + j * dil;
                        const bool in = h >= 0 && h < w.inH && ww >= 0 && ww < w.inW;
                        inside = inside && in;
                        const float want = in ? x(n, (c * w.inH + h) * w.inW + ww) : 0.0f;
                        ASSERT_EQ(cols((c * w.kernelH + i) * w.kernelW + j, n * P + oh * w.outW + ow), want)
                            << "k=" << k << " stride=" << stride << " pad=" << pad << " dil=" << dil << " oh=" << oh
                            << " ow=" << ow;
                      }
                  interiorSeen += inside;
                }
          }
  EXPECT_GT(configs, 100);
  EXPECT_GT(interiorSeen, 0);
}

TEST(DigitalKernelsTest, RowsToNchwTransposesEachImage) {
  // Hand example: one image, P = 2 positions × C = 3 channels → channel planes [c0p0 c0p1 c1p0 ...].
  RowMatrix rows(2, 3);
  rows << 1, 2, 3,  //
      4, 5, 6;
  RowMatrix out;
  kernels::rowsToNchw(rows, 1, out);
  ASSERT_EQ(out.rows(), 1);
  ASSERT_EQ(out.cols(), 6);
  const float expected[] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out(0, i), expected[i]) << i;

  // Several images: out(n, c·P + p) = rows(n·P + p, c).
  const int N = 3, P = 5, C = 4;
  RowMatrix r(N * P, C);
  for (int n = 0; n < N; ++n)
    for (int p = 0; p < P; ++p)
      for (int c = 0; c < C; ++c) r(n * P + p, c) = static_cast<float>(100 * n + 10 * p + c);
  kernels::rowsToNchw(r, N, out);
  ASSERT_EQ(out.rows(), N);
  ASSERT_EQ(out.cols(), C * P);
  for (int n = 0; n < N; ++n)
    for (int p = 0; p < P; ++p)
      for (int c = 0; c < C; ++c) EXPECT_EQ(out(n, c * P + p), 100 * n + 10 * p + c);
}

/// Naive max pool over in-bounds taps only; NaN if a window has none (never the case below).
float naiveMaxPool(const RowMatrix& x, const Window& w, int n, int c, int oh, int ow) {
  float m = std::numeric_limits<float>::quiet_NaN();
  for (int i = 0; i < w.kernelH; ++i) {
    for (int j = 0; j < w.kernelW; ++j) {
      const int h = oh * w.strideH - w.padTop + i * w.dilationH;
      const int v = ow * w.strideW - w.padLeft + j * w.dilationW;
      if (h < 0 || h >= w.inH || v < 0 || v >= w.inW) continue;
      const float val = x(n, (c * w.inH + h) * w.inW + v);
      m = std::isnan(m) ? val : std::max(m, val);
    }
  }
  return m;
}

void checkMaxPool(const RowMatrix& x, const Window& w, int N) {
  RowMatrix out;
  kernels::maxPool(x, w, out);
  const int P = w.outH * w.outW;
  ASSERT_EQ(out.rows(), N);
  ASSERT_EQ(out.cols(), w.inC * P);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < w.inC; ++c)
      for (int oh = 0; oh < w.outH; ++oh)
        for (int ow = 0; ow < w.outW; ++ow)
          ASSERT_EQ(out(n, c * P + oh * w.outW + ow), naiveMaxPool(x, w, n, c, oh, ow))
              << "n=" << n << " c=" << c << " oh=" << oh << " ow=" << ow;
}

TEST(DigitalKernelsTest, MaxPoolWithPaddingIgnoresThePadding) {
  // All inputs negative: if padding counted as 0 it would win every border window.
  const int N = 2, C = 2, H = 7, W = 6;
  Window w;
  w.kernelH = w.kernelW = 3;
  w.strideH = w.strideW = 2;
  w.padTop = w.padLeft = w.padBottom = w.padRight = 1;
  w.inC = C;
  w.inH = H;
  w.inW = W;
  w.outH = outSize(H, 3, 2, 1, 1, 1);  // 4
  w.outW = outSize(W, 3, 2, 1, 1, 1);  // 3
  const RowMatrix x = randomBatch(N, C * H * W, streamKey(2, {1}), -2, -1);
  checkMaxPool(x, w, N);
  RowMatrix out;
  kernels::maxPool(x, w, out);
  EXPECT_LT(out.maxCoeff(), 0.0f);
}

TEST(DigitalKernelsTest, MaxPoolAsymmetricPaddingAndDilation) {
  const int N = 2, C = 3, H = 8, W = 9;
  Window w;
  w.kernelH = 2;
  w.kernelW = 3;
  w.strideH = 1;
  w.strideW = 2;
  w.padTop = 0;
  w.padBottom = 1;
  w.padLeft = 2;
  w.padRight = 1;
  w.dilationH = 2;
  w.dilationW = 1;
  w.inC = C;
  w.inH = H;
  w.inW = W;
  w.outH = outSize(H, 2, 1, 0, 1, 2);  // (8 + 1 − 2 − 1)/1 + 1 = 7
  w.outW = outSize(W, 3, 2, 2, 1, 1);  // (9 + 3 − 2 − 1)/2 + 1 = 5
  const RowMatrix x = randomBatch(N, C * H * W, streamKey(2, {2}), -1, 1);
  checkMaxPool(x, w, N);
}

TEST(DigitalKernelsTest, GlobalAvgPoolIsPerChannelMean) {
  const int N = 3, C = 4, P = 10;
  const RowMatrix x = randomBatch(N, C * P, streamKey(3, {1}), -5, 5);
  RowMatrix out;
  kernels::globalAvgPool(x, C, out);
  ASSERT_EQ(out.rows(), N);
  ASSERT_EQ(out.cols(), C);
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      double s = 0;
      for (int p = 0; p < P; ++p) s += x(n, c * P + p);
      EXPECT_NEAR(out(n, c), s / P, 1e-5) << "n=" << n << " c=" << c;
    }
  }
}

TEST(DigitalKernelsTest, AffineAppliesPerChannelScaleAndShift) {
  const int N = 2, C = 3, P = 5;
  const RowMatrix x = randomBatch(N, C * P, streamKey(4, {1}), -1, 1);
  Eigen::VectorXf scale(C), shift(C);
  scale << 2.0f, -0.5f, 0.0f;
  shift << 0.25f, 1.0f, -3.0f;
  RowMatrix out;
  kernels::affine(x, scale, shift, out);
  ASSERT_EQ(out.rows(), N);
  ASSERT_EQ(out.cols(), C * P);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p)
        EXPECT_NEAR(out(n, c * P + p), x(n, c * P + p) * scale[c] + shift[c], 1e-6) << n << "," << c << "," << p;
}

TEST(DigitalKernelsTest, ReluZeroesNegativesOnly) {
  RowMatrix x(2, 4);
  x << -1.5f, 0.0f, 2.0f, -1e-30f,  //
      3.0f, -7.0f, 1e-30f, 0.5f;
  kernels::relu(x);
  const float expected[2][4] = {{0, 0, 2, 0}, {3, 0, 1e-30f, 0.5f}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(x(i, j), expected[i][j]) << i << "," << j;
}

TEST(DigitalKernelsTest, RoundHalvesToEvenInEveryRoundingMode) {
  // ONNX Round: ties go to the even integer; other values to the nearest. 1.4999999 and 2.5000002 are the
  // floats next to the ties; 2^22 + 0.5 is the largest float tie (odd neighbour 2^22 + 1). Every rounding
  // mode must give the same: the kernel must not depend on the FP environment (nearbyint would).
  const float in[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 3.5f, 1.4999999f, 2.5000002f, -0.2f, 0.7f,
                      4194304.5f, 8388609.0f};
  const float expected[] = {0.0f, -0.0f, 2.0f, -2.0f, 2.0f, -2.0f, 4.0f, 1.0f, 3.0f, -0.0f, 1.0f,
                            4194304.0f, 8388609.0f};
  constexpr int n = static_cast<int>(std::size(in));
  const int previous = std::fegetround();
  for (int mode : {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    RowMatrix x = Eigen::Map<const RowMatrix>(in, 1, n);
    ASSERT_EQ(std::fesetround(mode), 0);
    kernels::activation(x, ActivationKind::Round, 0.0f, 0.0f);
    std::fesetround(previous);
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(x(0, i), expected[i]) << "mode " << mode << ", round(" << in[i] << ")";
      EXPECT_EQ(std::signbit(x(0, i)), std::signbit(expected[i])) << "mode " << mode << ", round(" << in[i] << ")";
    }
  }
}

}  // namespace
}  // namespace mxsim

namespace mxsim {
namespace {

// The implicit patch matrix of a stride-1 conv (padded planes read at shifted offsets, PatchRows::conv) must
// give bit for bit the products and row sums of the explicit im2col matrix, for every kernel / padding /
// dilation mix (asymmetric padding, kernels wider than the image, 1×1), several images and channels.
TEST(DigitalKernelsTest, ImplicitConvPatchesEqualIm2colBitForBit) {
  int configs = 0;
  for (int kh : {1, 2, 3, 5})
    for (int kw : {1, 3, 4})
      for (int pad : {0, 1, 2})
        for (int dil : {1, 2})
          for (int extraPad : {0, 1}) {
            const Window w = sweptWindow(kh, kw, 1, 1, pad, extraPad, dil, 3, 7, 9);
            if (w.outH <= 0 || w.outW <= 0) continue;
            ++configs;
            const int K = w.inC * kh * kw, C = 5;
            const RowMatrix x =
                randomBatch(3, w.inC * w.inH * w.inW, streamKey(4, {static_cast<std::uint64_t>(configs)}), -1, 1);
            const ColMatrix g = randomBatch(K, C, streamKey(5, {static_cast<std::uint64_t>(configs)}), -1, 1);
            RowMatrix cols, padded, explicitOut, implicitOut;
            kernels::im2col(x, w, cols);
            kernels::padPlanes(x, w, padded);
            const PatchRows ex = PatchRows::dense(cols), im = PatchRows::conv(padded, w);
            ASSERT_EQ(im.vectors(), ex.vectors());
            ASSERT_EQ(im.rows(), K);
            gemmPatch(ex, g, explicitOut);
            gemmPatch(im, g, implicitOut);
            ASSERT_TRUE(explicitOut == implicitOut) << "kh=" << kh << " kw=" << kw << " pad=" << pad << " dil=" << dil
                                                    << " max diff " << (explicitOut - implicitOut).cwiseAbs().maxCoeff();
            // An array's row block of the patch matrix, and the per-vector sums of |x| and x².
            const Eigen::Index r0 = K / 3, n = K - K / 3;
            gemmPatch(ex.rowBlock(r0, n), g.middleRows(r0, n), explicitOut);
            gemmPatch(im.rowBlock(r0, n), g.middleRows(r0, n), implicitOut);
            ASSERT_TRUE(explicitOut == implicitOut) << "row block, kh=" << kh << " kw=" << kw;
            for (RowSum f : {RowSum::Abs, RowSum::Square}) {
              const Eigen::VectorXf a = patchRowSums(ex, f), b = patchRowSums(im, f);
              ASSERT_TRUE(a == b) << "sums " << static_cast<int>(f) << " kh=" << kh << " kw=" << kw << " pad=" << pad;
              const Eigen::VectorXf ref =
                  f == RowSum::Abs ? Eigen::VectorXf(cols.cwiseAbs().colwise().sum().transpose())
                             : Eigen::VectorXf(cols.cwiseAbs2().colwise().sum().transpose());
              ASSERT_LT((a - ref).cwiseAbs().maxCoeff(), 1e-4f);
            }
          }
  EXPECT_GT(configs, 100);
}

}  // namespace
}  // namespace mxsim
