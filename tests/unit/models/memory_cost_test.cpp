// Tests for the memory energy and static-power model (models/memory/memory_cost.h): each function against its
// equation at two points and against the cited data points (Horowitz ISSCC 2014 SRAM access energies at 45 nm,
// Giterman et al. 2020 eDRAM leakage and refresh at 16 nm).
#include "models/memory/memory_cost.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/common/technology.h"

namespace mxsim {
namespace {

constexpr double KiB = 1024.0;

TEST(MemoryCost, AccessEnergyFollowsSqrtCapacityAndNode) {
  // Equation: E_bit = 10 pJ / 64 · sqrt(C / 8 KiB) · energyScale(45 nm -> node).
  EXPECT_NEAR(memcost::energyPerBitJ(8 * KiB, 45), 10e-12 / 64, 1e-24);
  EXPECT_NEAR(memcost::energyPerBitJ(2048 * KiB, 32), 10e-12 / 64 * 16 * tech::energyScale(45, 32), 1e-24);
  EXPECT_NEAR(memcost::energyPerAccessJ(2048 * KiB, 256, 32), 256 * memcost::energyPerBitJ(2048 * KiB, 32), 1e-22);
  // The old default priced a 2 MiB buffer with the 8 KB figure: 16x too cheap at the same node.
  EXPECT_NEAR(memcost::energyPerBitJ(2048 * KiB, 45) / memcost::energyPerBitJ(8 * KiB, 45), 16.0, 1e-12);
}

TEST(MemoryCost, MatchesHorowitzSramPoints) {
  // Horowitz ISSCC 2014, 45 nm, 64-bit access: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ.
  EXPECT_NEAR(memcost::energyPerAccessJ(8 * KiB, 64, 45), 10e-12, 1e-20);
  EXPECT_NEAR(memcost::energyPerAccessJ(32 * KiB, 64, 45), 20e-12, 1e-20);
  EXPECT_NEAR(memcost::energyPerAccessJ(1024 * KiB, 64, 45), 100e-12, 0.15 * 100e-12);  // sqrt law: 113 pJ
}

TEST(MemoryCost, StaticPowerMatchesGitermanMacroAndScales) {
  // Giterman et al. 2020: the 1-Mbit (128 KiB) 16 nm macro leaks 105 uW and refreshes for 276 uW.
  EXPECT_NEAR(memcost::leakageW(128 * KiB, 16), 105e-6, 1e-15);
  EXPECT_NEAR(memcost::refreshW(128 * KiB, 16, MemoryTechnology::Edram), 276e-6, 1e-15);
  EXPECT_DOUBLE_EQ(memcost::refreshW(128 * KiB, 16, MemoryTechnology::Sram), 0.0);
  // Equation at a second point: linear in bits, moved with leakageScale(16 -> 32 nm).
  const double s = tech::leakageScale(16, 32);
  EXPECT_NEAR(memcost::leakageW(2048 * KiB, 32), 16 * 105e-6 * s, 1e-12);
  EXPECT_NEAR(memcost::staticW(64 * KiB, 32, MemoryTechnology::Edram), 0.5 * (105e-6 + 276e-6) * s, 1e-12);
  EXPECT_NEAR(memcost::staticW(64 * KiB, 32, MemoryTechnology::Sram), 0.5 * 105e-6 * s, 1e-12);
}

}  // namespace
}  // namespace mxsim
