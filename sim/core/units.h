// Contract: physical quantities in configuration are strings with a unit ("1.56 pJ", "1 GHz", "25 uS",
// "256 KiB", "1y"). parseQuantity() converts them to SI base units and rejects a missing or wrong unit.
#pragma once
#include <string>

namespace mxsim {

enum class Dimension { Time, Frequency, Energy, Power, Conductance, Resistance, Bytes, Area, Bandwidth, Voltage, Capacitance, Length };

/// Base unit symbol and an example, for messages and docs ("s", "100 ns").
const char* unitSymbol(Dimension d);
const char* unitExample(Dimension d);

/// Parse "<number> <unit>" (space optional) into SI base units (seconds, hertz, joules, watts, siemens,
/// ohms, bytes, square metres, bytes per second, volts, farads, metres). Throws ConfigError mentioning `where` on any problem.
double parseQuantity(const std::string& text, Dimension d, const std::string& where);

/// Format an SI value with an engineering prefix, e.g. 1.56e-12 J -> "1.56 pJ".
std::string formatQuantity(double si, Dimension d);

}  // namespace mxsim
