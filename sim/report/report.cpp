#include "sim/report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "models/noc/packet_noc.h"
#include "models/tile/array_core.h"
#include "sim/core/actions.h"
#include "models/tile/tile_buffer.h"
#include "sim/core/error.h"

namespace mxsim {

EnergyReport priceEnergy(const TimingResult& timing, const ChipParams& chip, int arraysUsed) {
  EnergyReport e;
  for (const char* c : {"crossbar", "dac", "adc", "sram", "digital"}) e.byComponent[c] = 0.0;
  // grng.* appears once a denoiser engine runs (its own component).
  // sram.spill_bit lands in "sram": off-chip traffic caused by the buffer being too small.
  std::map<std::string, double> byScope;
  std::map<std::string, std::map<std::string, double>> byScopeComponent;
  for (const auto& [scope, actions] : timing.ledger.counts()) {
    const double share = timing.ledger.share(scope);  // < 1 for work amortised over a batch of images
    for (const auto& [name, count] : actions) {
      const double j =
          static_cast<double>(count) * chip.energy.joulesPer(name) * share * timing.ledger.actionScale(scope, name);
      e.byAction[name] += j;
      e.byComponent[componentOf(name)] += j;
      byScope[scope] += j;
      byScopeComponent[scope][componentOf(name)] += j;
      e.dynamicJ += j;
    }
  }
  const double leakW = chip.totalLeakageW(arraysUsed, timing.denoiserEngine);
  e.leakageJ = leakW * timing.seconds;
  e.byComponent["leakage"] = e.leakageJ;
  e.totalJ = e.dynamicJ + e.leakageJ;
  double layerCycles = 0;
  for (const auto& l : timing.layers) layerCycles += static_cast<double>(l.cycles);
  for (const auto& l : timing.layers) {
    const auto it = byScope.find(l.name);
    const double leak = layerCycles > 0 ? e.leakageJ * static_cast<double>(l.cycles) / layerCycles : 0.0;
    e.byLayer.push_back((it == byScope.end() ? 0.0 : it->second) + leak);
    std::map<std::string, double> parts;
    for (const auto& [c, j] : e.byComponent) parts[c] = 0.0;  // every layer lists every component
    const auto pc = byScopeComponent.find(l.name);
    if (pc != byScopeComponent.end())
      for (const auto& [c, j] : pc->second) parts[c] = j;
    parts["leakage"] = leak;
    e.byLayerComponent.push_back(std::move(parts));
  }
  return e;
}

PeakPower peakPower(const TimingResult& timing, const EnergyReport& energy, const ChipParams& chip) {
  PeakPower p;
  const double window = std::min(chip.power.windowSeconds, std::max(timing.seconds, 1e-15));
  p.windowSeconds = window;
  if (timing.seconds <= 0) return p;
  // Dynamic energy per layer spread over the layer's interval; leakage is constant.
  const double leakW = energy.leakageJ / timing.seconds;
  std::vector<std::pair<double, double>> rates;  // (start, end) with watts
  std::vector<double> watts;
  for (std::size_t i = 0; i < timing.layers.size(); ++i) {
    const auto& l = timing.layers[i];
    const double a = static_cast<double>(l.startCycle) / chip.clockHz;
    const double d = static_cast<double>(l.cycles) / chip.clockHz;
    const double dyn = energy.byLayer[i];
    if (d <= 0) continue;
    rates.emplace_back(a, a + d);
    watts.push_back(dyn / d);
  }
  // The layer energies include their share of leakage; remove it so leakage is counted once below.
  double layerSeconds = 0;
  for (const auto& r : rates) layerSeconds += r.second - r.first;
  const double leakPerLayerW = layerSeconds > 0 ? energy.leakageJ / layerSeconds : 0.0;
  for (double& w : watts) w -= leakPerLayerW;
  // The energy in [t, t + window) is piecewise linear in t; its maximum is at a window edge meeting a layer
  // edge, so try every layer start and end as the window's start or end.
  std::vector<double> starts = {0.0, std::max(0.0, timing.seconds - window)};
  for (const auto& r : rates)
    for (double t : {r.first, r.second, r.first - window, r.second - window})
      if (t >= 0 && t + window <= timing.seconds * (1 + 1e-12)) starts.push_back(t);
  for (double t : starts) {
    double j = leakW * window;
    for (std::size_t i = 0; i < rates.size(); ++i) {
      const double overlap = std::min(rates[i].second, t + window) - std::max(rates[i].first, t);
      if (overlap > 0) j += watts[i] * overlap;
    }
    if (j / window > p.watts) {
      p.watts = j / window;
      p.windowStartSeconds = t;
    }
  }
  return p;
}

namespace {
/// Digital units on the chip: each tile's with tile memories (the dataflow model), else the chip's one.
double digitalUnits(const ChipParams& chip) { return chip.tile.memoryBytes > 0 ? chip.tiles : 1.0; }
}  // namespace

std::map<std::string, double> areaBreakdownM2(const ChipParams& chip, bool denoiserEngine) {
  const double arrays = chip.totalArrays();
  const double tiles = chip.tiles;
  const double units = digitalUnits(chip);
  std::map<std::string, double> a;
  a["crossbar"] = arrays * chip.area.arrayM2;
  a["dac"] = arrays * chip.array.xbar.rows * chip.area.dacM2 * DacCore(chip.array.dac).unitCells();
  a["sample_hold"] = arrays * chip.array.xbar.cols * chip.area.sampleHoldM2;
  a["adc"] = arrays * chip.array.adc.perArray * chip.area.adcM2;
  a["sram"] = (chip.sram.capacityBytes + tiles * chip.tile.memoryBytes) / 1024.0 * chip.area.sramPerKibM2;
  a["tile_buffer"] = tiles * chip.tile.inputBufferBytes / 1024.0 * chip.area.tileBufferPerKibM2;
  a["output_buffer"] = tiles * chip.tile.outputBufferBytes / 1024.0 * chip.area.outputBufferPerKibM2;
  if (chip.tile.outputRegisterBytes > 0)
    a["output_register"] = tiles * chip.tile.outputRegisterBytes / 1024.0 * chip.area.outputRegisterPerKibM2;
  if (chip.tile.memoryBytes > 0) a["bus"] = arrays * chip.area.busPerArrayM2;
  const double tileLanes = chip.tile.memoryBytes > 0 ? tiles * chip.tile.digitalLanes : 0.0;
  a["digital"] = (chip.digital.lanes + tileLanes) * chip.area.digitalPerLaneM2;
  a["accumulator"] = units * chip.digital.accumulators * chip.area.accumulatorM2;
  a["activation"] = units * chip.digital.activationUnits * chip.area.activationUnitM2;
  a["pool"] = units * chip.digital.poolUnits * chip.area.poolUnitM2;
  a["noc"] = PacketNoc(chip.noc, chip.tiles).areaM2();  // routers for ceil(tiles / concentration) + 1 nodes
  if (chip.io.links > 0) a["io"] = chip.io.links * chip.area.ioLinkM2;
  if (denoiserEngine) a["denoiser"] = DenoiserCore(chip.denoiser).area().totalM2();
  return a;
}

std::vector<ComponentLoad> fullLoadPower(const ChipParams& chip, bool denoiserEngine) {
  const double f = chip.clockHz;
  const double arrays = chip.totalArrays();
  const double tiles = chip.tiles;
  const double units = digitalUnits(chip);
  const auto& e = chip.energy;
  const int rows = chip.array.xbar.rows, cols = chip.array.xbar.cols;
  // One pass: every row driven, every cell read, every column sampled and converted. Unsigned inputs (one
  // phase): bit_serial takes `bits` passes per vector, multibit one.
  const ArrayCore core(chip.array, chip.deviceNoise);
  const int passes = core.dac().passCount(false);
  const double passSeconds = static_cast<double>(core.cyclesPerVector(cols, passes).interval()) / passes / f;
  const ArrayActions a = core.actionsPerVector(rows, cols, 1);
  const double inputBitsPerPass = static_cast<double>(rows) * chip.sram.activationBits / passes;
  const double slices = chip.array.xbar.slices();
  const double outputBitsPerPass = cols / slices * chip.tile.partialSumBits / passes;  // once per vector
  const auto area = areaBreakdownM2(chip, denoiserEngine);
  auto areaOf = [&](const char* c) { return area.count(c) ? area.at(c) : 0.0; };
  std::vector<ComponentLoad> out;
  auto add = [&](const char* c, double instances, double perInstanceW, std::string rate) {
    out.push_back({c, instances, instances * perInstanceW, areaOf(c), std::move(rate)});
  };
  const auto perPass = [&](double actions) { return actions / passSeconds; };
  add("crossbar", arrays, perPass(static_cast<double>(a.cellReads)) * e.joulesPer(action::kXbarCellRead),
      fmt::format("{} cells read per {:.4g} ns pass", a.cellReads, passSeconds * 1e9));
  add("dac", arrays, perPass(static_cast<double>(a.dacConversions)) * e.joulesPer(action::kDacConvert),
      fmt::format("{} rows driven per pass", a.dacConversions));
  add("sample_hold", arrays, perPass(static_cast<double>(a.adcConversions)) * e.joulesPer(action::kSampleHold),
      fmt::format("{} columns sampled per pass", a.adcConversions));
  add("adc", arrays, perPass(static_cast<double>(a.adcConversions)) * e.joulesPer(action::kAdcConvert),
      fmt::format("{} conversions per pass", a.adcConversions));
  add("tile_buffer", arrays,
      perPass(inputBitsPerPass) * (e.joulesPer(action::kTileBufferReadBit) + e.joulesPer(action::kTileBufferWriteBit)),
      fmt::format("{:.4g} input bits written and read per array per pass", inputBitsPerPass));
  add("output_buffer", arrays,
      perPass(outputBitsPerPass) *
          (e.joulesPer(action::kOutputBufferReadBit) + e.joulesPer(action::kOutputBufferWriteBit)),
      fmt::format("{:.4g} output bits written and read per array per pass", outputBitsPerPass));
  if (chip.tile.outputRegisterBytes > 0)
    add("output_register", arrays,
        perPass(outputBitsPerPass) *
            (e.joulesPer(action::kOutputRegisterReadBit) + e.joulesPer(action::kOutputRegisterWriteBit)),
        "the arrays' merged outputs, written and read");
  const double lanes = chip.digital.lanes + (chip.tile.memoryBytes > 0 ? tiles * chip.tile.digitalLanes : 0.0);
  add("digital", lanes, f * e.joulesPer(action::kDigitalAdd), "one shift-and-add per lane per cycle");
  add("accumulator", units * chip.digital.accumulators, f * e.joulesPer(action::kAccumulatorAdd),
      "one add per cycle");
  add("activation", units * chip.digital.activationUnits, f * e.joulesPer(action::kActivationOp), "one op per cycle");
  add("pool", units * chip.digital.poolUnits, f * e.joulesPer(action::kPoolOp), "one op per cycle");
  if (chip.tile.memoryBytes > 0) {
    add("sram", tiles, chip.tile.memoryWordBits * f * e.joulesPer(action::kSramReadBit),
        fmt::format("one {}-bit tile-memory access per cycle", chip.tile.memoryWordBits));
    add("bus", tiles, chip.tile.memoryWordBits * f * e.joulesPer(action::kBusBit),
        "the tile memory's bandwidth");
  } else {
    add("sram", 1, chip.sram.readPortCount() * chip.sram.wordBits * f * e.joulesPer(action::kSramReadBit),
        fmt::format("{} read port(s) x {}-bit access per cycle (pipelined)", chip.sram.readPortCount(),
                    chip.sram.wordBits));
  }
  const PacketNoc noc(chip.noc, chip.tiles);
  const double ports = chip.noc.topology == NocTopology::Mesh ? 4 + chip.noc.concentration : 1;
  add("noc", noc.routers() > 0 ? noc.routers() : 1, ports * chip.noc.linkWidthBits * f * e.joulesPer(action::kNocBitHop),
      fmt::format("{} ports x {} bit per cycle per router", ports, chip.noc.linkWidthBits));
  if (chip.io.links > 0)
    add("io", chip.io.links, 8 * chip.io.linkBytesPerSecond * e.joulesPer(action::kIoBit), "the link's bandwidth");
  // Leakage on top (every array leaking: full load uses them all).
  for (const auto& [c, w] : chip.leakageByComponentW(chip.totalArrays(), denoiserEngine)) {
    // Not captured as `c`: a lambda may capture a structured binding only from C++20 (clang 14 refuses it).
    const std::string& name = c;
    auto it = std::find_if(out.begin(), out.end(), [&](const ComponentLoad& l) { return l.component == name; });
    if (it != out.end()) it->watts += w;
    else out.push_back({c, 1, w, areaOf(c.c_str()), "leakage only"});
  }
  return out;
}

}  // namespace mxsim
