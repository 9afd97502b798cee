// Contract: energy per bit accessed and static power of an on-chip memory (SRAM or eDRAM) as functions of
// its capacity, word width, technology and CMOS node. Pure functions; the chip's energy table and leakage
// defaults are derived from them (sim/arch). Equations, anchor points and sources: docs/memory.md, "Energy
// and static power".
#pragma once
#include <string>

namespace mxsim {

enum class MemoryTechnology { Sram, Edram };

inline const char* memoryTechnologyName(MemoryTechnology t) { return t == MemoryTechnology::Sram ? "sram" : "edram"; }

namespace memcost {

// Access energy anchor: M. Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm: a 64-bit access of an
// 8 KB SRAM costs 10 pJ, of a 32 KB SRAM 20 pJ, of a 1 MB SRAM 100 pJ.
inline constexpr double kAccessRefNodeNm = 45.0;
inline constexpr double kAccessRefCapacityBytes = 8.0 * 1024;
inline constexpr double kAccessRefJoules = 10e-12;
inline constexpr int kAccessRefWordBits = 64;

// Static-power anchor: R. Giterman et al., "A 1-Mbit fully logic-compatible 3T gain-cell embedded DRAM in
// 16-nm FinFET", IEEE Solid-State Circuits Letters 3 (2020) 110-113: 105 uW leakage and 276 uW refresh for
// the 1-Mbit (2^20 bit) macro (as tabulated in Accelergy's hwcomponents-library, misc.py).
inline constexpr double kStaticRefNodeNm = 16.0;
inline constexpr double kStaticRefBits = 1024.0 * 1024.0;
inline constexpr double kLeakageRefW = 105e-6;
inline constexpr double kRefreshRefW = 276e-6;

/// Energy of one bit read or written (J): the 64-bit access energy per bit of a memory of `bankBytes`,
/// growing as sqrt(capacity) (bit-line and word-line lengths grow as the side of the array):
/// E_bit = kAccessRefJoules / 64 · sqrt(bankBytes / 8 KiB) · energyScale(45 nm → nodeNm).
/// The per-bit energy does not depend on the word width (an access drives one bit line per bit moved).
/// eDRAM is priced like SRAM (assumption, docs/memory.md).
double energyPerBitJ(double bankBytes, double nodeNm, MemoryTechnology tech = MemoryTechnology::Sram);
/// Energy of one access of `wordBits` bits: wordBits · energyPerBitJ.
double energyPerAccessJ(double bankBytes, int wordBits, double nodeNm, MemoryTechnology tech = MemoryTechnology::Sram);
/// Leakage of the bit-cell array (W): bits · kLeakageRefW / 2^20 · leakageScale(16 nm → nodeNm). The same per
/// bit for SRAM and eDRAM (assumption: no tabulated 6T figure was located; docs/memory.md).
double leakageW(double capacityBytes, double nodeNm);
/// Refresh power (W): eDRAM bits · kRefreshRefW / 2^20 · leakageScale(16 nm → nodeNm); 0 for SRAM.
double refreshW(double capacityBytes, double nodeNm, MemoryTechnology tech);
/// leakageW + refreshW.
double staticW(double capacityBytes, double nodeNm, MemoryTechnology tech);

}  // namespace memcost
}  // namespace mxsim
