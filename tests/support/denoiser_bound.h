// Test support: a worst-case bound on |runFixed − run| (mean mode) of a denoiser block, derived from the
// configured widths (docs/denoiser.md, "Fixed-point arithmetic"). With LSBs Δ_t = 2^-f_t and each weight
// matrix M's rounding error δ_M = 2^-f_M / 2, a layer z = ReLU?(M·a + b) computed on a quantised input
// (error e_a) with quantised M and b and requantised output satisfies
//   |z_fixed − z| ≤ max_row Σ|M_q| · e_a + δ_M · K · max|a| + 2^-(f_a + f_M) / 2 + Δ_z / 2
// (M_q·a_q − M·a = M_q·(a_q − a) + (M_q − M)·a; K terms per output; the bias rounds to the accumulator's LSB;
// ReLU is 1-Lipschitz; saturation never moves a value away from a true value that lies in range, and the
// formats are picked so that the true values of the calibrating batch do). Then y = x − μ:
//   e_y = e_x + e_μ + Δ_y / 2, e_x = Δ_x / 2.
#pragma once
#include <algorithm>
#include <cmath>

#include "models/denoiser/denoiser.h"

namespace mxsim::testing {

inline double denoiserMeanModeBound(const DenoiserCore& core, const DenoiserBlockShape& s, const DenoiserWeights& w,
                                    const DenoiserFormats& f, const DenoiserRanges& r) {
  const int wb = core.params().weightBits;
  const double wmax = std::ldexp(1.0, wb - 1) - 1;
  auto lsb = [](int frac) { return std::ldexp(1.0, -frac); };
  auto layer = [&](const RowMatrix& m, double inError, int inFrac, double inMax, int outFrac) {
    const int fm = core.weightFracBits(m);
    const double step = lsb(fm);
    const Eigen::MatrixXd q = m.cast<double>().unaryExpr(
        [&](double v) { return std::clamp(std::floor(v / step + 0.5), -wmax, wmax) * step; });
    const double rowSum = q.cwiseAbs().rowwise().sum().maxCoeff();
    return rowSum * inError + 0.5 * step * static_cast<double>(m.cols()) * inMax + 0.5 * lsb(inFrac + fm) +
           0.5 * lsb(outFrac);
  };
  (void)s;
  const double ex = 0.5 * lsb(f.x);
  const double eh1 = layer(w.reduce, ex, f.x, r.x, f.h1);
  const double eh = layer(w.conv3x3, eh1, f.h1, r.h1, f.h);
  const double emu = layer(w.mean, eh, f.h, r.h, f.mu);
  return ex + emu + 0.5 * lsb(f.y);
}

}  // namespace mxsim::testing
