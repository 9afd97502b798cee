#include "models/common/technology.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace mxsim::tech {
namespace {

// One fitted node of Stillmaker & Baas (2017). Energy fit E(V) = a·V² + b·V + c: the paper's fitted energy
// coefficients for 180-65 nm (bulk, ITRS-based) and its high-performance (HP) PTM series for 45-7 nm.
// vdd: the nominal supply of that node's device model (PTM bulk HP 45 nm 1.0 V, 32 nm 0.9 V; PTM-MG FinFET
// 20 nm 0.9 V down to 7 nm 0.7 V; 180-65 nm 1.8/1.3/1.2/1.1 V). area: the paper's area-scaling factor of
// the node relative to 45 nm (its table of factors between nodes, the 45 nm row).
struct FitNode {
  double nm, vdd, a, b, c, area;
};
constexpr FitNode kNodes[] = {
    {180, 1.80, 0.0, 24.64, -17.98, 19.0},      {130, 1.30, 7.171, -6.709, 2.904, 6.4},
    {90, 1.20, 4.762, -4.781, 2.092, 2.8},      {65, 1.10, 3.755, -4.398, 1.975, 1.5},
    {45, 1.00, 1.018, -0.3107, 0.1539, 1.0},    {32, 0.90, 0.8367, -0.4341, 0.1701, 0.46},
    {20, 0.90, 0.373, -0.1582, 0.04104, 0.21},  {16, 0.85, 0.2958, -0.1241, 0.03024, 0.19},
    {14, 0.80, 0.2363, -0.09675, 0.02239, 0.17}, {10, 0.75, 0.2068, -0.09311, 0.02375, 0.10},
    {7, 0.70, 0.1776, -0.09097, 0.02447, 0.059},
};

double fitEnergy(const FitNode& n) { return n.a * n.vdd * n.vdd + n.b * n.vdd + n.c; }

void requireRange(double nodeNm) {
  if (!inRange(nodeNm)) {
    throw std::invalid_argument(fmt::format(
        "technology node {:g} nm is outside the range of the Stillmaker-Baas scaling fits ({:g} nm to {:g} nm)",
        nodeNm, kMinNodeNm, kMaxNodeNm));
  }
}

// Log-log interpolation of f between the two fitted nodes around nodeNm (exact at fitted nodes).
template <class F>
double interpolate(double nodeNm, F f) {
  requireRange(nodeNm);
  for (std::size_t i = 0; i + 1 < std::size(kNodes); ++i) {
    const FitNode& hi = kNodes[i];
    const FitNode& lo = kNodes[i + 1];
    if (nodeNm <= hi.nm && nodeNm >= lo.nm) {
      if (nodeNm == hi.nm) return f(hi);
      if (nodeNm == lo.nm) return f(lo);
      const double t = std::log(nodeNm / lo.nm) / std::log(hi.nm / lo.nm);
      return std::exp(std::log(f(lo)) + t * (std::log(f(hi)) - std::log(f(lo))));
    }
  }
  return f(kNodes[std::size(kNodes) - 1]);  // unreachable: requireRange covers the table
}

}  // namespace

bool inRange(double nodeNm) { return nodeNm >= kMinNodeNm && nodeNm <= kMaxNodeNm; }

double nominalVddV(double nodeNm) {
  return interpolate(nodeNm, [](const FitNode& n) { return n.vdd; });
}
double energyFit(double nodeNm) { return interpolate(nodeNm, fitEnergy); }
double areaFit(double nodeNm) {
  return interpolate(nodeNm, [](const FitNode& n) { return n.area; });
}
double energyScale(double fromNm, double toNm) { return energyFit(toNm) / energyFit(fromNm); }
double areaScale(double fromNm, double toNm) { return areaFit(toNm) / areaFit(fromNm); }
double leakageScale(double fromNm, double toNm) { return energyScale(fromNm, toNm); }

namespace {
// NMOS off-current vs temperature, 300 K to 400 K in 10 K steps (index = (T - 300 K) / 10 K), from NeuroSim
// V1.4 Inference_pytorch/NeuroSIM/Technology.cpp (currentOffNmos[0..100], PTM models from ptm.asu.edu): the
// HP (high-performance) roadmap tables of 130, 90, 65, 45, 32 and 22 nm, and the 14 nm FinFET table. Only the
// ratios to the 300 K entry are used. NeuroSim's 10 nm and 7 nm tables are left out: their 300 K entries
// were replaced by a newer off-current list and no longer continue their series (1.27e-4 then 1.84e-4 at
// 310 K at 10 nm, against the smooth ~1.8x per 10 K of the 14 nm table).
struct OffCurrentTable {
  double nm;
  double ioff[11];
};
constexpr OffCurrentTable kOffCurrent[] = {
    {130, {100.00, 119.90, 142.20, 167.00, 194.30, 224.30, 256.80, 292.00, 329.90, 370.50, 413.80}},
    {90, {100.8, 120.8, 143.4, 168.6, 196.6, 227.4, 261.1, 297.7, 337.3, 379.8, 425.4}},
    {65, {100.00, 119.70, 141.90, 166.80, 194.40, 224.80, 258.10, 294.40, 333.60, 375.90, 421.20}},
    {45, {100.00, 120.70, 144.10, 170.50, 199.80, 232.30, 268.00, 307.10, 349.50, 395.40, 444.80}},
    {32, {100.30, 120.40, 143.10, 168.60, 197.00, 228.40, 262.90, 300.60, 341.70, 386.10, 433.90}},
    {22, {100.20, 120.40, 143.50, 169.50, 198.70, 231.20, 267.00, 306.30, 349.30, 396.00, 446.60}},
    {14, {0.1, 0.1844553, 0.3287707, 0.5668658, 0.9481816, 1.5425, 2.4460, 3.7885, 5.7416, 8.5281, 12.4327}},
};

const OffCurrentTable& offCurrentTable(double nodeNm) {
  requireRange(nodeNm);
  const OffCurrentTable* best = &kOffCurrent[0];
  for (const auto& t : kOffCurrent)
    if (std::fabs(std::log(nodeNm / t.nm)) < std::fabs(std::log(nodeNm / best->nm))) best = &t;
  return *best;
}
}  // namespace

double leakageTemperatureTableNodeNm(double nodeNm) { return offCurrentTable(nodeNm).nm; }

double leakageTemperatureScale(double nodeNm, double temperatureK) {
  if (!(temperatureK >= kMinTemperatureK && temperatureK <= kMaxTemperatureK)) {
    throw std::invalid_argument(fmt::format("temperature {:g} K is outside the leakage tables' {:g} K to {:g} K",
                                            temperatureK, kMinTemperatureK, kMaxTemperatureK));
  }
  const OffCurrentTable& t = offCurrentTable(nodeNm);
  const double x = (temperatureK - kMinTemperatureK) / 10.0;
  const int i = std::min(static_cast<int>(x), 9);
  const double f = x - i;
  return ((1.0 - f) * t.ioff[i] + f * t.ioff[i + 1]) / t.ioff[0];
}

}  // namespace mxsim::tech
