#include "sim/core/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <fmt/format.h>
#include <utility>
#include <vector>

#include "sim/core/error.h"

namespace mxsim {
namespace {

struct UnitSpelling {
  std::string text;
  double factor;  // multiply by this to get SI base units
};

// SI prefixes accepted in front of the base symbol. 'u' stands for micro (ASCII); "µ" is accepted too.
const std::vector<std::pair<std::string, double>>& prefixes() {
  static const std::vector<std::pair<std::string, double>> k = {
      {"a", 1e-18}, {"f", 1e-15}, {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6}, {"\xC2\xB5", 1e-6},
      {"m", 1e-3},  {"", 1.0},    {"k", 1e3},   {"M", 1e6},  {"G", 1e9},  {"T", 1e12}};
  return k;
}

std::vector<UnitSpelling> spellings(Dimension d) {
  std::vector<UnitSpelling> out;
  auto withPrefixes = [&](const std::string& base) {
    for (const auto& [p, f] : prefixes()) out.push_back({p + base, f});
  };
  switch (d) {
    case Dimension::Time:
      withPrefixes("s");
      out.push_back({"min", 60.0});
      out.push_back({"h", 3600.0});
      out.push_back({"d", 86400.0});
      out.push_back({"y", 365.25 * 86400.0});
      break;
    case Dimension::Frequency: withPrefixes("Hz"); break;
    case Dimension::Energy: withPrefixes("J"); break;
    case Dimension::Power: withPrefixes("W"); break;
    case Dimension::Conductance: withPrefixes("S"); break;
    case Dimension::Resistance: withPrefixes("Ohm"); break;
    case Dimension::Voltage: withPrefixes("V"); break;
    case Dimension::Capacitance: withPrefixes("F"); break;
    case Dimension::Bytes:
      out.push_back({"B", 1.0});
      out.push_back({"KiB", 1024.0});
      out.push_back({"MiB", 1024.0 * 1024.0});
      out.push_back({"GiB", 1024.0 * 1024.0 * 1024.0});
      out.push_back({"kB", 1e3});
      out.push_back({"MB", 1e6});
      break;
    case Dimension::Area:
      out.push_back({"m2", 1.0});
      out.push_back({"mm2", 1e-6});
      out.push_back({"um2", 1e-12});
      break;
    case Dimension::Bandwidth:  // bytes per second, decimal prefixes as link data sheets use them
      for (const auto& [p, f] : std::vector<std::pair<std::string, double>>{{"", 1.0}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}})
        out.push_back({p + "B/s", f});
      break;
    case Dimension::Length: withPrefixes("m"); break;
  }
  return out;
}

}  // namespace

const char* unitSymbol(Dimension d) {
  switch (d) {
    case Dimension::Time: return "s";
    case Dimension::Frequency: return "Hz";
    case Dimension::Energy: return "J";
    case Dimension::Power: return "W";
    case Dimension::Conductance: return "S";
    case Dimension::Resistance: return "Ohm";
    case Dimension::Bytes: return "B";
    case Dimension::Area: return "m2";
    case Dimension::Bandwidth: return "B/s";
    case Dimension::Voltage: return "V";
    case Dimension::Capacitance: return "F";
    case Dimension::Length: return "m";
  }
  return "?";
}

const char* unitExample(Dimension d) {
  switch (d) {
    case Dimension::Time: return "'100 ns' (s, ms, us, ns, ps, min, h, d, y)";
    case Dimension::Frequency: return "'1 GHz' (Hz, kHz, MHz, GHz)";
    case Dimension::Energy: return "'1.56 pJ' (J, mJ, uJ, nJ, pJ, fJ)";
    case Dimension::Power: return "'2 mW' (W, mW, uW, nW)";
    case Dimension::Conductance: return "'25 uS' (S, mS, uS, nS)";
    case Dimension::Resistance: return "'2.5 Ohm' (Ohm, kOhm, MOhm)";
    case Dimension::Bytes: return "'64 KiB' (B, KiB, MiB, GiB, kB, MB)";
    case Dimension::Area: return "'0.01 mm2' (m2, mm2, um2)";
    case Dimension::Bandwidth: return "'6.4 GB/s' (B/s, kB/s, MB/s, GB/s, TB/s)";
    case Dimension::Voltage: return "'0.2 V' (V, mV)";
    case Dimension::Capacitance: return "'1 fF' (F, pF, fF, aF)";
    case Dimension::Length: return "'32 nm' (m, mm, um, nm)";
  }
  return "?";
}

double parseQuantity(const std::string& text, Dimension d, const std::string& where) {
  const char* s = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || !std::isfinite(v)) {
    throw ConfigError(fmt::format("{}: '{}' is not a quantity; expected a number with a unit, e.g. {}",
                                  where, text, unitExample(d)));
  }
  std::string unit(end);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.erase(0, 1);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) unit.pop_back();
  if (unit.empty()) {
    throw ConfigError(fmt::format("{}: '{}' has no unit; expected a {} quantity, e.g. {}", where, text,
                                  unitSymbol(d), unitExample(d)));
  }
  for (const auto& sp : spellings(d)) {
    if (unit != sp.text) continue;
    // '1e301 y' is a finite number whose SI value is not: it would reach reports as inf (JSON null).
    const double si = v * sp.factor;
    if (!std::isfinite(si))
      throw ConfigError(fmt::format("{}: '{}' is too large (beyond {:g} {} after the unit is applied)", where, text,
                                    std::numeric_limits<double>::max(), unitSymbol(d)));
    return si;
  }
  throw ConfigError(fmt::format("{}: unit '{}' in '{}' is not a unit of {}; expected e.g. {}", where, unit,
                                text, unitSymbol(d), unitExample(d)));
}

std::string formatQuantity(double si, Dimension d) {
  if (d == Dimension::Bytes) {
    for (const auto& [f, u] : {std::pair<double, const char*>{1024.0 * 1024 * 1024, "GiB"}, {1024.0 * 1024, "MiB"},
                               {1024.0, "KiB"}}) {
      if (si >= f) return fmt::format("{:.6g} {}", si / f, u);
    }
    return fmt::format("{:g} B", si);
  }
  if (d == Dimension::Area) {
    // An area prefix scales the length before squaring (1 mm2 = 1e-6 m2), so the linear prefixes below
    // would print 1e-6 m2 as "1 um2" (= 1e-12 m2). Use the spellings parseQuantity() accepts.
    const double a = std::fabs(si);
    if (si == 0.0 || a >= 0.9999999) return fmt::format("{:.6g} m2", si);
    if (a >= 1e-6 * 0.9999999) return fmt::format("{:.6g} mm2", si / 1e-6);
    return fmt::format("{:.6g} um2", si / 1e-12);
  }
  if (si == 0.0) return fmt::format("0 {}", unitSymbol(d));
  static const std::pair<double, const char*> k[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"},  {1e3, "k"},
                                                     {1.0, ""},   {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"},
                                                     {1e-12, "p"}, {1e-15, "f"}, {1e-18, "a"}};
  const double a = std::fabs(si);
  for (const auto& [f, p] : k) {
    if (a >= f * 0.9999999) return fmt::format("{:.6g} {}{}", si / f, p, unitSymbol(d));
  }
  return fmt::format("{:g} {}", si, unitSymbol(d));
}

}  // namespace mxsim
