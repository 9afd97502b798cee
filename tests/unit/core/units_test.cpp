// Tests for quantity parsing/formatting (sim/core/units.h): SI conversion of every unit family used in the
// architecture YAML, ConfigErrors that name the key for missing/wrong/garbage units, and that
// formatQuantity() produces text parseQuantity() reads back as the same value.
#include "sim/core/units.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "sim/core/error.h"
#include "tests/support/error_matchers.h"

namespace mxsim {
namespace {

using testing::configErrorOf;
using testing::contains;
using testing::containsNumber;

/// Runs f, expects a ConfigError and returns its message ("" plus a failure when nothing was thrown).
/// |a - b| ≤ rel·|b|: parsed values go through a decimal → double conversion and a multiplication by a
/// prefix factor, so they may differ from the literal in the last bit or two.
void expectRelNear(double a, double b, double rel = 1e-14) {
  EXPECT_LE(std::fabs(a - b), rel * std::fabs(b)) << a << " vs " << b;
}

TEST(Units, ParsesEnergyWithPrefixAndSpace) {
  expectRelNear(parseQuantity("1.56 pJ", Dimension::Energy, "k"), 1.56e-12);
  expectRelNear(parseQuantity("0.1 pJ", Dimension::Energy, "k"), 1e-13);
  expectRelNear(parseQuantity("1.8 fJ", Dimension::Energy, "k"), 1.8e-15);
  expectRelNear(parseQuantity("3 J", Dimension::Energy, "k"), 3.0);
  expectRelNear(parseQuantity("2 nJ", Dimension::Energy, "k"), 2e-9);
}

TEST(Units, ParsesWithoutSpaceAndWithSurroundingBlanks) {
  expectRelNear(parseQuantity("1GHz", Dimension::Frequency, "k"), 1e9);
  expectRelNear(parseQuantity("1 GHz", Dimension::Frequency, "k"), 1e9);
  expectRelNear(parseQuantity("  250 MHz  ", Dimension::Frequency, "k"), 250e6);
  expectRelNear(parseQuantity("1.2GHz", Dimension::Frequency, "k"), 1.2e9);
}

TEST(Units, ParsesConductanceIncludingMicroSign) {
  expectRelNear(parseQuantity("25 uS", Dimension::Conductance, "k"), 25e-6);
  expectRelNear(parseQuantity("25 \xC2\xB5S", Dimension::Conductance, "k"), 25e-6);  // "25 µS"
  expectRelNear(parseQuantity("0.1 uS", Dimension::Conductance, "k"), 1e-7);
  expectRelNear(parseQuantity("1 mS", Dimension::Conductance, "k"), 1e-3);
  expectRelNear(parseQuantity("2 kOhm", Dimension::Resistance, "k"), 2e3);
}

TEST(Units, ParsesVoltageAndCapacitance) {
  expectRelNear(parseQuantity("0.2 V", Dimension::Voltage, "k"), 0.2);
  expectRelNear(parseQuantity("200 mV", Dimension::Voltage, "k"), 0.2);
  expectRelNear(parseQuantity("1 fF", Dimension::Capacitance, "k"), 1e-15);
  expectRelNear(parseQuantity("7.8 aF", Dimension::Capacitance, "k"), 7.8e-18);
  EXPECT_THROW(parseQuantity("1 fF", Dimension::Voltage, "k"), ConfigError);
  EXPECT_THROW(parseQuantity("0.2 V", Dimension::Capacitance, "k"), ConfigError);
}

TEST(Units, ParsesTimeIncludingCalendarUnits) {
  expectRelNear(parseQuantity("1y", Dimension::Time, "k"), 365.25 * 24 * 3600);  // Julian year
  expectRelNear(parseQuantity("1 d", Dimension::Time, "k"), 86400.0);
  expectRelNear(parseQuantity("2 h", Dimension::Time, "k"), 7200.0);
  expectRelNear(parseQuantity("3 min", Dimension::Time, "k"), 180.0);
  expectRelNear(parseQuantity("100 ns", Dimension::Time, "k"), 1e-7);
  expectRelNear(parseQuantity("5 ms", Dimension::Time, "k"), 5e-3);  // milli-second, not minutes
}

TEST(Units, ParsesBinaryAndDecimalBytes) {
  EXPECT_EQ(parseQuantity("64 KiB", Dimension::Bytes, "k"), 65536.0);
  EXPECT_EQ(parseQuantity("2 MiB", Dimension::Bytes, "k"), 2097152.0);
  EXPECT_EQ(parseQuantity("1 GiB", Dimension::Bytes, "k"), 1073741824.0);
  EXPECT_EQ(parseQuantity("3 kB", Dimension::Bytes, "k"), 3000.0);
  EXPECT_EQ(parseQuantity("17 B", Dimension::Bytes, "k"), 17.0);
}

TEST(Units, ParsesPowerAndArea) {
  expectRelNear(parseQuantity("2 mW", Dimension::Power, "k"), 2e-3);
  expectRelNear(parseQuantity("20 uW", Dimension::Power, "k"), 20e-6);
  expectRelNear(parseQuantity("0.01 mm2", Dimension::Area, "k"), 1e-8);  // (1e-3 m)^2 = 1e-6 m^2
  expectRelNear(parseQuantity("4 um2", Dimension::Area, "k"), 4e-12);
}

TEST(Units, MissingUnitIsAnErrorNamingTheKey) {
  const std::string msg =
      configErrorOf([] { parseQuantity("5", Dimension::Energy, "energy.adc.convert"); });
  EXPECT_NE(msg.find("energy.adc.convert"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unit"), std::string::npos) << msg;
}

TEST(Units, WrongDimensionIsAnErrorNamingTheKeyAndUnit) {
  const std::string msg = configErrorOf([] { parseQuantity("5 pW", Dimension::Energy, "energy.dac.convert"); });
  EXPECT_NE(msg.find("energy.dac.convert"), std::string::npos) << msg;
  EXPECT_NE(msg.find("pW"), std::string::npos) << msg;
  // Other dimension mix-ups: milliseconds are not a conductance, hertz not a time, pJ not a frequency.
  EXPECT_THROW(parseQuantity("1 ms", Dimension::Conductance, "g"), ConfigError);
  EXPECT_THROW(parseQuantity("1 Hz", Dimension::Time, "t"), ConfigError);
  EXPECT_THROW(parseQuantity("5 pJ", Dimension::Frequency, "chip.clock"), ConfigError);
  // Units are case-sensitive (mS and MS differ by 10^9), so a lower-case "ghz" is not accepted.
  EXPECT_THROW(parseQuantity("1 ghz", Dimension::Frequency, "chip.clock"), ConfigError);
}

TEST(Units, GarbageIsAnErrorNamingTheKey) {
  for (const std::string text : {"abc", "", "pJ", "inf pJ", "nan pJ", "1.5.3 pJ", "5 p J"}) {
    const std::string msg = configErrorOf([&] { parseQuantity(text, Dimension::Energy, "a.b.c"); });
    EXPECT_NE(msg.find("a.b.c"), std::string::npos) << "input '" << text << "': " << msg;
  }
}

TEST(Units, FiniteNumberThatOverflowsInSiIsAnErrorNamingTheKey) {
  // Issue 18: '1e301 y' is a finite number but 3e308 s is not; it reached the report as infinity (JSON null).
  const std::string msg = configErrorOf([] { parseQuantity("1e301 y", Dimension::Time, "--times"); });
  EXPECT_TRUE(contains(msg, "--times")) << msg;
  EXPECT_TRUE(contains(msg, "too large")) << msg;
  EXPECT_THROW(parseQuantity("1e300 THz", Dimension::Frequency, "chip.clock"), ConfigError);
  expectRelNear(parseQuantity("1e300 s", Dimension::Time, "k"), 1e300);  // large but finite: fine
}

TEST(Units, FormatUsesEngineeringPrefixes) {
  EXPECT_EQ(formatQuantity(1.56e-12, Dimension::Energy), "1.56 pJ");
  EXPECT_EQ(formatQuantity(1e9, Dimension::Frequency), "1 GHz");
  EXPECT_EQ(formatQuantity(25e-6, Dimension::Conductance), "25 uS");
  EXPECT_EQ(formatQuantity(2e-3, Dimension::Power), "2 mW");
  EXPECT_EQ(formatQuantity(0.0, Dimension::Power), "0 W");
  EXPECT_EQ(formatQuantity(-3e-9, Dimension::Time), "-3 ns");
  EXPECT_EQ(formatQuantity(512, Dimension::Bytes), "512 B");
  // Area prefixes apply to the length: 1e-6 m2 is one square millimetre, not "1 um2" (= 1e-12 m2).
  EXPECT_EQ(formatQuantity(1e-6, Dimension::Area), "1 mm2");
  EXPECT_EQ(formatQuantity(4e-12, Dimension::Area), "4 um2");
}

TEST(Units, FormatThenParseRoundTrips) {
  // formatQuantity keeps 6 significant digits, so the round trip is exact to 0.5e-5 relative.
  const std::vector<std::pair<double, Dimension>> cases = {
      {1.56e-12, Dimension::Energy},     {1.8e-15, Dimension::Energy},       {0.123456789, Dimension::Energy},
      {1.2e9, Dimension::Frequency},     {999.5e3, Dimension::Frequency},    {25e-6, Dimension::Conductance},
      {1e-7, Dimension::Conductance},    {3.14159e-4, Dimension::Power},     {-2.5e-3, Dimension::Power},
      {1e-7, Dimension::Time},           {7.77e-10, Dimension::Time},        {12.5, Dimension::Time},
      {4.7e3, Dimension::Resistance},    {2.0 * 1024 * 1024, Dimension::Bytes}, {1000, Dimension::Bytes},
      {65536, Dimension::Bytes},         {1.5e6, Dimension::Bytes},          {3.3e9, Dimension::Bytes},
      {1.0, Dimension::Area},            {1e-6, Dimension::Area},            {1e-8, Dimension::Area},
      {3e-12, Dimension::Area},          {2.5e-10, Dimension::Area},         {0.0, Dimension::Energy},
  };
  for (const auto& [v, d] : cases) {
    const std::string text = formatQuantity(v, d);
    double back = 0;
    try {
      back = parseQuantity(text, d, "roundtrip");
    } catch (const ConfigError& e) {
      ADD_FAILURE() << "formatQuantity(" << v << ") = '" << text << "' does not parse: " << e.what();
      continue;
    }
    EXPECT_LE(std::fabs(back - v), 5e-6 * std::fabs(v)) << v << " -> '" << text << "' -> " << back;
  }
}

}  // namespace
}  // namespace mxsim
