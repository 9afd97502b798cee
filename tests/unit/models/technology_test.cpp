// Tests for the CMOS node scaling (models/common/technology.h): the Stillmaker-Baas energy fit evaluated at
// two nodes against its polynomial, interpolation between fitted nodes, the paper's area factor as a data
// point, and the range check.
#include "models/common/technology.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace mxsim {
namespace {

// E(V) = a·V² + b·V + c at the nominal supply (coefficients: Stillmaker & Baas 2017, HP fits).
double poly(double a, double b, double c, double v) { return a * v * v + b * v + c; }

TEST(Technology, EnergyFitIsThePolynomialAtTheNominalSupply) {
  EXPECT_NEAR(tech::energyFit(45), poly(1.018, -0.3107, 0.1539, 1.0), 1e-12);
  EXPECT_NEAR(tech::energyFit(32), poly(0.8367, -0.4341, 0.1701, 0.9), 1e-12);
  EXPECT_NEAR(tech::energyFit(7), poly(0.1776, -0.09097, 0.02447, 0.7), 1e-12);
  EXPECT_DOUBLE_EQ(tech::nominalVddV(32), 0.9);
}

TEST(Technology, ScaleIsTheRatioOfFitsAndOneAtTheSameNode) {
  EXPECT_DOUBLE_EQ(tech::energyScale(32, 32), 1.0);
  EXPECT_DOUBLE_EQ(tech::areaScale(32, 32), 1.0);
  EXPECT_NEAR(tech::energyScale(45, 32), tech::energyFit(32) / tech::energyFit(45), 1e-15);
  // 45 -> 32 nm: about half the energy per operation (classical C·V² would give 32/45 · 0.81 = 0.58).
  EXPECT_NEAR(tech::energyScale(45, 32), 0.5308, 1e-3);
  EXPECT_NEAR(tech::energyScale(45, 32) * tech::energyScale(32, 45), 1.0, 1e-12);
  // Smaller nodes cost less energy per operation, monotonically over the fitted range.
  double prev = tech::energyFit(180);
  for (double n : {130.0, 90.0, 65.0, 45.0, 32.0, 22.0, 20.0, 16.0, 14.0, 10.0, 7.0}) {
    EXPECT_LT(tech::energyFit(n), prev) << n;
    prev = tech::energyFit(n);
  }
}

TEST(Technology, AreaFactorsMatchThePapersTable) {
  // Data points: the paper's area-scaling factors 45 -> 32 nm = 0.46 and 32 -> 45 nm = 2.2 (its table is
  // rounded to two digits, so the inverse 1/0.46 = 2.17 is within 2 %).
  EXPECT_NEAR(tech::areaScale(45, 32), 0.46, 1e-12);
  EXPECT_NEAR(tech::areaScale(32, 45), 2.2, 0.05);
  EXPECT_NEAR(tech::areaScale(45, 7), 0.059, 1e-12);
}

TEST(Technology, NodesBetweenFittedOnesInterpolateLogLog) {
  // 22 nm lies between the 32 and 20 nm fits: a power law through the two.
  const double t = std::log(22.0 / 20.0) / std::log(32.0 / 20.0);
  const double expected = std::exp(std::log(tech::energyFit(20)) + t * (std::log(tech::energyFit(32)) - std::log(tech::energyFit(20))));
  EXPECT_NEAR(tech::energyFit(22), expected, 1e-12);
  EXPECT_GT(tech::energyFit(22), tech::energyFit(20));
  EXPECT_LT(tech::energyFit(22), tech::energyFit(32));
}

TEST(Technology, OutsideTheFittedRangeIsAnError) {
  EXPECT_THROW(tech::energyFit(3), std::invalid_argument);
  EXPECT_THROW(tech::areaScale(32, 250), std::invalid_argument);
  EXPECT_FALSE(tech::inRange(6.9));
  EXPECT_TRUE(tech::inRange(7));
  EXPECT_TRUE(tech::inRange(180));
}

}  // namespace
}  // namespace mxsim
