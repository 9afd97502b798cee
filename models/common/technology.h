// Contract: CMOS technology-node scaling of digital energy, area and static power, from the polynomial fits
// of A. Stillmaker, B. Baas, "Scaling equations for the accurate prediction of CMOS device performance from
// 180 nm to 7 nm", Integration 58 (2017) 74-81 (docs/models.md, "Technology node"). Pure functions, no SystemC.
// A number declared at a reference node is moved to the chip's node by multiplying with these factors.
#pragma once

namespace mxsim::tech {

/// The fits cover 180 nm down to 7 nm; nodes between two fitted nodes are interpolated (log-log).
inline constexpr double kMinNodeNm = 7.0;
inline constexpr double kMaxNodeNm = 180.0;
/// Reference nodes of the constants mxsim ships (each default says which one it was published at).
inline constexpr double kHorowitzNodeNm = 45.0;  // M. Horowitz, ISSCC 2014 energy and area figures
inline constexpr double kIsaacNodeNm = 32.0;     // ISAAC (Shafiee et al., ISCA 2016) component table
inline constexpr double kAladdinNodeNm = 40.0;   // Aladdin (Shao et al., ISCA 2014) 40 nm functional units

bool inRange(double nodeNm);
/// Nominal supply of the fitted device model at a fitted node (interpolated between them), volts.
double nominalVddV(double nodeNm);
/// The paper's fitted energy per operation at the node's nominal supply, E(V) = a·V² + b·V + c
/// (arbitrary unit; only ratios are used). Throws std::invalid_argument outside [kMinNodeNm, kMaxNodeNm].
double energyFit(double nodeNm);
/// Relative area of the same circuit (45 nm = 1), from the paper's area-scaling factors.
double areaFit(double nodeNm);
/// Factor that moves a dynamic energy (J per action) from `fromNm` to `toNm`: energyFit(to) / energyFit(from).
double energyScale(double fromNm, double toNm);
/// Factor that moves an area from `fromNm` to `toNm`: areaFit(to) / areaFit(from).
double areaScale(double fromNm, double toNm);
/// Factor that moves a static (leakage) power from `fromNm` to `toNm`. The paper fits no leakage; mxsim
/// scales static power like dynamic energy (both follow switched capacitance × V², per device; modelling
/// choice, docs/models.md).
double leakageScale(double fromNm, double toNm);

/// Temperatures the leakage-temperature tables cover (NeuroSim's Technology.cpp: 300 K to 400 K in 10 K steps).
inline constexpr double kMinTemperatureK = 300.0;
inline constexpr double kMaxTemperatureK = 400.0;
/// Temperature every leakage figure mxsim ships is taken at (NeuroSim's default `temp = 300` K, room temperature).
inline constexpr double kReferenceTemperatureK = 300.0;
/// Factor that moves a static (leakage) power from 300 K to `temperatureK` at `nodeNm`: I_off(T) / I_off(300 K)
/// of the NMOS off-current table NeuroSim V1.4 uses for the nearest of its nodes (PTM HP 130-22 nm, its 14 nm
/// FinFET table below sqrt(14 x 22) = 17.5 nm; Technology.cpp), linear between its 10 K points. Throws std::invalid_argument
/// outside [kMinTemperatureK, kMaxTemperatureK] or outside the node range.
double leakageTemperatureScale(double nodeNm, double temperatureK);
/// The NeuroSim node whose table leakageTemperatureScale uses at `nodeNm` (nearest on a log scale).
double leakageTemperatureTableNodeNm(double nodeNm);

}  // namespace mxsim::tech
