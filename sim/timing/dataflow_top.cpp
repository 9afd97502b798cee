#include "sim/timing/dataflow_top.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "models/tile/tile_buffer.h"
#include "sim/core/error.h"

namespace mxsim {

namespace {
constexpr std::uint64_t kNever = ~std::uint64_t{0};
/// A place's part of a per-row quantity (rounded up: a partial word or lane still takes its cycle).
std::uint64_t share(std::uint64_t n, double fraction) {
  return fraction >= 1.0 ? n : static_cast<std::uint64_t>(std::ceil(static_cast<double>(n) * fraction));
}
}  // namespace

DataflowTop::DataflowTop(const sc_core::sc_module_name& name, const wl::Program& program, const ChipParams& chip,
                         const Mapping& mapping, const DataflowPlan& plan, const Clock& clock, ActionLedger& ledger,
                         ActivityLog* activity, int images)
    : sc_module(name),
      m_program(program),
      m_chip(chip),
      m_mapping(mapping),
      m_plan(plan),
      m_clock(clock),
      m_ledger(ledger),
      m_activity(activity && activity->enabled() ? activity : nullptr),
      m_images(std::max(1, images)),
      m_sequential(chip.schedule == Schedule::Sequential),
      m_noc(chip.noc, chip.tiles) {
  const std::size_t n = plan.steps.size();
  for (int t = 0; t < chip.tiles; ++t) {
    m_tiles.push_back(std::make_unique<TileModule>(fmt::format("tile{}", t).c_str(), t));
    m_tiles.back()->memoryCapacityBits = static_cast<std::uint64_t>(chip.tile.memoryBytes) * 8;
    if (static_cast<std::size_t>(t) < plan.tileMinBits.size())
      m_tiles.back()->memoryPlannedBits = plan.tileMinBits[static_cast<std::size_t>(t)];
  }
  m_layerArrays.resize(mapping.layers.size());
  m_layerTiles.resize(mapping.layers.size());
  for (std::size_t l = 0; l < mapping.layers.size(); ++l) {
    const LayerMapping& lm = mapping.layers[l];
    std::map<int, int> perTile;
    for (int r = 0; r < lm.replicas; ++r)
      for (std::size_t i = 0; i < lm.blocks.size(); ++i) ++perTile[lm.replicaBlock(r, i).tile];
    for (const auto& [t, a] : perTile) {
      m_layerTiles[l].push_back({t, a});
      m_tiles[static_cast<std::size_t>(t)]->arrays += a;
    }
  }
  m_consumers.resize(n + 1);
  m_arrival.resize(n);
  m_released.resize(n);
  m_sent.resize(n);
  m_releaseLog.resize(n);
  m_rowStart.resize(n);
  m_rowEnd.resize(n);
  m_drained.assign(n, 0);
  m_imagesDone.assign(n, 0);
  m_imageDone.assign(static_cast<std::size_t>(m_images), 0);
  m_arrayBusyPerStep.assign(n, 0);
  m_digitalBusyPerStep.assign(n, 0);
  m_memoryBusyPerStep.assign(n, 0);
  for (std::size_t s = 0; s < n; ++s) {
    const DataflowStep& d = plan.steps[s];
    m_arrival[s].resize(d.inputs.size());
    m_released[s].assign(d.inputs.size(), 0);
    m_sent[s].resize(d.inputs.size());
    m_releaseLog[s].resize(d.inputs.size());
    for (std::size_t e = 0; e < d.inputs.size(); ++e) {
      const int p = d.inputs[e].producer;
      m_consumers[p < 0 ? n : static_cast<std::size_t>(p)].push_back({s, e});
      m_arrival[s][e].reserve(static_cast<std::size_t>(d.inputs[e].producerRows) * static_cast<std::size_t>(m_images));
    }
    const std::size_t rows = static_cast<std::size_t>(d.rows) * static_cast<std::size_t>(m_images);
    m_rowStart[s].assign(rows, kNever);
    m_rowEnd[s].assign(rows, kNever);
    m_offered.push_back(std::make_unique<sc_core::sc_event>());
    m_releasedEvent.push_back(std::make_unique<sc_core::sc_event>());
    m_issuedEvent.push_back(std::make_unique<sc_core::sc_event>());
    m_drainedEvent.push_back(std::make_unique<sc_core::sc_event>());
  }

  m_denoiserCore = makeDenoiserEngine(program, chip, m_blockFirstStep);
  if (m_denoiserCore)
    m_denoiser = std::make_unique<DenoiserModule>("denoiser", *m_denoiserCore, ShellContext{nullptr, &ledger});

  if (m_activity) {
    m_globalBuffer.signal = m_activity->signal("chip.global_buffer", "global_buffer");
    if (m_chip.io.links > 0) m_io.signal = m_activity->signal("chip.io", "io");
    for (int t = 0; t < chip.tiles; ++t) {
      m_tiles[static_cast<std::size_t>(t)]->memory.signal = m_activity->signal(fmt::format("chip.tile{}.memory", t), "tile_memory");
      m_tiles[static_cast<std::size_t>(t)]->digital.signal = m_activity->signal(fmt::format("chip.tile{}.digital", t), "digital");
    }
    for (std::size_t l = 0; l < mapping.layers.size(); ++l)
      m_layerArrays[l].signal = m_activity->signal(
          fmt::format("chip.arrays.{}", program.steps[static_cast<std::size_t>(mapping.layers[l].step)].name), "array");
    for (int l = 0; l < m_noc.linkCount(); ++l)
      m_linkSignals.push_back(m_activity->signal("chip.noc." + m_noc.linkName(l), "link"));
    m_noc.setIntervalObserver([this](int link, std::uint64_t start, std::uint64_t end) {
      m_activity->busy(m_linkSignals[static_cast<std::size_t>(link)], m_clock.cycles(start).to_seconds(),
                       m_clock.cycles(end).to_seconds());
    });
    if (m_denoiser) {
      m_denoiser->onBusy([this](const DenoiserModule::BusyInterval& b) {
        const bool core = b.unit == DenoiserModule::Unit::Core;
        const int id = m_activity->signal(fmt::format("chip.denoiser.{}{}", core ? "core" : "grng", b.index),
                                          core ? "denoiser_core" : "grng");
        m_activity->busy(id, b.start.to_seconds(), b.end.to_seconds());
      });
    }
  }

  // Every process charges its actions to its own step (the ledger asks which process is running).
  m_ledger.setScopeResolver([this]() -> std::string {
    const auto* proc = sc_core::sc_get_current_process_handle().get_process_object();
    const auto it = m_scopeOf.find(proc);
    return it == m_scopeOf.end() ? m_ledger.scope() : it->second;
  });
  auto spawn = [this](const std::string& scope, auto fn) {
    sc_core::sc_spawn([this, scope, fn] {
      m_scopeOf[sc_core::sc_get_current_process_handle().get_process_object()] = scope;
      fn();
    });
  };
  const std::string firstScope = program.steps.empty() ? std::string("input") : program.steps.front().name;
  spawn(firstScope, [this] { source(); });
  for (std::size_t s = 0; s < n; ++s) {
    const DataflowStep& d = plan.steps[s];
    spawn(program.steps[s].name, [this, s] { issue(s); });
    if (!d.view && !d.denoiserPassive && !d.denoiserRunner) spawn(program.steps[s].name, [this, s] { drain(s); });
  }
}

std::uint64_t DataflowTop::now() const { return m_clock.toCycles(sc_core::sc_time_stamp()); }

void DataflowTop::waitUntil(std::uint64_t cycle) {
  const sc_core::sc_time t = m_clock.cycles(cycle);
  if (t > sc_core::sc_time_stamp()) sc_core::wait(t - sc_core::sc_time_stamp());
}

std::uint64_t DataflowTop::reserve(Resource& r, std::uint64_t earliest, std::uint64_t cycles) {
  if (cycles == 0) return earliest;
  // Reservations can lie in the future (a row written when it arrives): a request takes the first gap of
  // `cycles` at or after `earliest`, so a later request for an earlier time is not pushed behind them.
  const std::uint64_t t0 = now();
  while (!r.intervals.empty() && r.intervals.begin()->second <= t0) r.intervals.erase(r.intervals.begin());
  std::uint64_t start = earliest;
  auto it = r.intervals.upper_bound(start);
  if (it != r.intervals.begin() && std::prev(it)->second > start) start = std::prev(it)->second;
  while (it != r.intervals.end() && it->first < start + cycles) {
    start = std::max(start, it->second);
    ++it;
  }
  const std::uint64_t end = start + cycles;
  // Insert [start, end), merging with touching neighbours to keep the set small.
  std::uint64_t lo = start, hi = end;
  auto next = r.intervals.lower_bound(start);
  if (next != r.intervals.begin() && std::prev(next)->second == start) {
    --next;
    lo = next->first;
    next = r.intervals.erase(next);
  }
  if (next != r.intervals.end() && next->first == end) {
    hi = next->second;
    r.intervals.erase(next);
  }
  r.intervals[lo] = hi;
  r.freeAt = std::max(r.freeAt, end);
  r.stall += start - earliest;
  r.busy += cycles;
  if (m_activity && r.signal >= 0)
    m_activity->busy(r.signal, m_clock.cycles(start).to_seconds(), m_clock.cycles(end).to_seconds());
  return end;
}

std::uint64_t DataflowTop::ioCycles(std::uint64_t bits) const {
  // All links together carry links × link_bandwidth bytes per second.
  const double bitsPerCycle = 8.0 * m_chip.io.linkBytesPerSecond * m_chip.io.links / m_chip.clockHz;
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(bits) / bitsPerCycle));
}

int DataflowTop::endpointOf(int site) const { return site < 0 ? m_noc.ioEndpoint() : m_noc.tileEndpoint(site); }

std::uint64_t DataflowTop::send(int from, int to, std::uint64_t bits, int image) {
  const std::uint64_t t = now();
  if (from == to || bits == 0) return t;
  const PacketDelivery d = m_noc.send(endpointOf(from), endpointOf(to), bits, t);
  charge(action::kNocBitHop, d.bitHops, image);
  return d.doneCycle;
}

void DataflowTop::charge(const char* action, std::uint64_t n, int image) {
  if (image == 0 && n) m_ledger.add(action, n);  // every image does the same work: count one
}

std::uint64_t DataflowTop::deliver(int s, std::uint64_t row) {
  const std::size_t n = m_plan.steps.size();
  const auto& consumers = m_consumers[s < 0 ? n : static_cast<std::size_t>(s)];
  // Credits: every consumer must have room for the row (rows it has not released yet are held).
  for (const auto& [c, e] : consumers) {
    const DataflowEdge& edge = m_plan.steps[c].inputs[e];
    if (edge.tiles.empty() || !edge.reads(static_cast<int>(row % static_cast<std::uint64_t>(edge.producerRows))))
      continue;
    // Held rows: those sent and not yet released (slots may be unbounded: no sum that could overflow).
    while (row >= m_released[c][e] && row - m_released[c][e] >= edge.slots) sc_core::wait(*m_releasedEvent[c]);
  }
  // The row's shares leave from where they were made (one place per copy of a replicated layer).
  static const std::vector<Placement> kInputPlace = {{kChipSite, 1.0}};
  const std::vector<Placement>& from = s < 0 ? kInputPlace : m_plan.steps[static_cast<std::size_t>(s)].places;
  const int rowsPerImage = s < 0 ? m_plan.inputRows : m_plan.steps[static_cast<std::size_t>(s)].rows;
  const int image = static_cast<int>(row / static_cast<std::uint64_t>(rowsPerImage));
  const std::uint64_t t = now();
  std::uint64_t last = t;
  const auto word = static_cast<std::uint64_t>(m_chip.tile.memoryWordBits);
  const auto inImage = static_cast<int>(row % static_cast<std::uint64_t>(rowsPerImage));
  // Per consumer and destination tile, the cycle its bits have arrived. Each producer place sends its part of
  // the row once for all consumers: to every destination tile whose part overlaps its own (several consumers
  // on one tile get one message), as one tree multicast where the destinations' parts overlap. A row no
  // output row of a consumer reads (a strided 1×1 conv's odd rows) is neither sent to it nor stored.
  std::vector<std::vector<std::uint64_t>> got(consumers.size());
  for (std::size_t ci = 0; ci < consumers.size(); ++ci)
    got[ci].assign(m_plan.steps[consumers[ci].first].inputs[consumers[ci].second].tiles.size(), t);
  double at = 0;
  for (const Placement& p : from) {
    std::vector<int> dsts;                                         // distinct destination tiles
    std::vector<std::uint64_t> bits;                               // bits each receives
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> users;  // per destination: (consumer, k)
    std::uint64_t sum = 0, part = 0;
    for (std::size_t ci = 0; ci < consumers.size(); ++ci) {
      const DataflowEdge& edge = m_plan.steps[consumers[ci].first].inputs[consumers[ci].second];
      if (edge.tiles.empty() || !edge.reads(inImage)) continue;
      part = std::max(part, static_cast<std::uint64_t>(std::ceil(static_cast<double>(share(edge.rowBits, p.share)) *
                                                                 edge.readColumns)));
      for (std::size_t k = 0; k < edge.tiles.size(); ++k) {
        const auto [lo, hi] = edge.columns[k];
        const double overlap = std::min(hi, at + p.share) - std::max(lo, at);
        if (overlap <= 0 || hi <= lo) continue;
        const auto b = static_cast<std::uint64_t>(std::ceil(static_cast<double>(edge.bitsPerRow[k]) * overlap / (hi - lo)));
        if (edge.tiles[k] == p.tile || b == 0) continue;  // already there
        const auto it = std::find(dsts.begin(), dsts.end(), edge.tiles[k]);
        const auto i = static_cast<std::size_t>(it - dsts.begin());
        if (it == dsts.end()) {
          dsts.push_back(edge.tiles[k]);
          bits.push_back(0);
          users.emplace_back();
        }
        bits[i] += b;
        users[i].push_back({ci, k});
        sum += b;
      }
    }
    std::vector<std::uint64_t> done(dsts.size(), t);
    if (dsts.size() > 1 && sum > part && m_chip.noc.multicast == NocMulticast::Tree) {
      std::vector<int> eps;
      for (int d : dsts) eps.push_back(endpointOf(d));
      const std::vector<PacketDelivery> ds = m_noc.multicast(endpointOf(p.tile), eps, part, t);
      for (std::size_t i = 0; i < ds.size(); ++i) {
        done[i] = ds[i].doneCycle;
        charge(action::kNocBitHop, ds[i].bitHops, image);
      }
    } else {
      for (std::size_t i = 0; i < dsts.size(); ++i) done[i] = send(p.tile, dsts[i], bits[i], image);
    }
    for (std::size_t i = 0; i < dsts.size(); ++i)
      for (const auto& [ci, k] : users[i]) got[ci][k] = std::max(got[ci][k], done[i]);
    at += p.share;
  }
  for (std::size_t ci = 0; ci < consumers.size(); ++ci) {
    const auto [c, e] = consumers[ci];
    const DataflowEdge& edge = m_plan.steps[c].inputs[e];
    const bool read = edge.reads(inImage);
    std::uint64_t arrive = t;
    for (std::size_t k = 0; k < edge.tiles.size(); ++k) {
      std::uint64_t a = got[ci][k];
      if (edge.tiles[k] >= 0 && read) {
        TileModule& dst = *m_tiles[static_cast<std::size_t>(edge.tiles[k])];
        a = reserve(dst.memory, a, ceilDivU(edge.bitsPerRow[k], word));
        dst.memoryBitsWritten += edge.bitsPerRow[k];
        charge(action::kSramWriteBit, edge.bitsPerRow[k], image);
        charge(action::kBusBit, edge.bitsPerRow[k], image);
      }
      arrive = std::max(arrive, a);
    }
    m_sent[c][e].push_back(t);
    auto& arr = m_arrival[c][e];
    arr.push_back(arr.empty() ? arrive : std::max(arr.back(), arrive));  // stored in order
    m_offered[c]->notify(sc_core::SC_ZERO_TIME);
    last = std::max(last, arrive);
  }
  if (s >= 0 && s == m_plan.outputStep) {
    // The graph output leaves through the global buffer at the chip site.
    const std::uint64_t bits = m_plan.steps[static_cast<std::size_t>(s)].outRowBits;
    const SramCore gb(m_chip.sram);
    std::uint64_t a = t;
    for (const Placement& p : from)
      a = std::max(a, send(p.tile, kChipSite, share(bits, p.share), image));
    a = reserve(m_globalBuffer, a, gb.transferCycles(bits, SramAccess::Write));
    charge(action::kSramWriteBit, bits, image);
    if (m_chip.io.links > 0) {  // and leaves the chip over its links
      a = reserve(m_io, a, ioCycles(bits));
      charge(action::kIoBit, bits, image);
    }
    m_imageDone[static_cast<std::size_t>(image)] = std::max(m_imageDone[static_cast<std::size_t>(image)], a);
    last = std::max(last, a);
  }
  return last;
}

void DataflowTop::waitInputs(std::size_t s, int image, int r) {
  const DataflowStep& d = m_plan.steps[s];
  for (std::size_t e = 0; e < d.inputs.size(); ++e) {
    const DataflowEdge& edge = d.inputs[e];
    const int need = m_sequential ? edge.producerRows - 1 : edge.lastNeeded(r);
    const std::uint64_t g = static_cast<std::uint64_t>(image) * static_cast<std::uint64_t>(edge.producerRows) +
                            static_cast<std::uint64_t>(need);
    while (m_arrival[s][e].size() <= g) sc_core::wait(*m_offered[s]);
    waitUntil(m_arrival[s][e][g]);
  }
}

void DataflowTop::releaseInputs(std::size_t s, int image, int r) {
  const DataflowStep& d = m_plan.steps[s];
  bool any = false;
  for (std::size_t e = 0; e < d.inputs.size(); ++e) {
    const DataflowEdge& edge = d.inputs[e];
    const auto rows = static_cast<std::uint64_t>(edge.producerRows);
    const bool lastRow = r + 1 >= d.rows || m_sequential;
    const std::uint64_t keep = lastRow ? (static_cast<std::uint64_t>(image) + 1) * rows
                                       : static_cast<std::uint64_t>(image) * rows +
                                             static_cast<std::uint64_t>(edge.firstNeeded(r + 1));
    if (keep > m_released[s][e]) {
      m_released[s][e] = keep;
      m_releaseLog[s][e].push_back({now(), keep});
      any = true;
    }
  }
  if (any) m_releasedEvent[s]->notify(sc_core::SC_ZERO_TIME);
}

void DataflowTop::source() {
  const SramCore gb(m_chip.sram);
  for (int img = 0; img < m_images; ++img)
    for (int r = 0; r < m_plan.inputRows; ++r) {
      const std::uint64_t g = static_cast<std::uint64_t>(img) * static_cast<std::uint64_t>(m_plan.inputRows) +
                              static_cast<std::uint64_t>(r);
      if (m_sequential && img > 0 && r == 0 && m_plan.outputStep >= 0) {
        // One image at a time: the next image enters when the previous one has left.
        while (m_imagesDone[static_cast<std::size_t>(m_plan.outputStep)] < static_cast<std::uint64_t>(img))
          sc_core::wait(*m_drainedEvent[static_cast<std::size_t>(m_plan.outputStep)]);
      }
      if (m_chip.io.links > 0) {  // the row arrives over the chip's links into the global buffer
        waitUntil(reserve(m_io, now(), ioCycles(m_plan.inputRowBits)));
        charge(action::kIoBit, m_plan.inputRowBits, img);
      }
      waitUntil(reserve(m_globalBuffer, now(), gb.transferCycles(m_plan.inputRowBits, SramAccess::Read)));
      charge(action::kSramReadBit, m_plan.inputRowBits, img);
      deliver(-1, g);
    }
}

void DataflowTop::issue(std::size_t s) {
  const DataflowStep& d = m_plan.steps[s];
  const wl::Step& st = m_program.steps[s];
  const auto rows = static_cast<std::uint64_t>(d.rows);
  const auto word = static_cast<std::uint64_t>(m_chip.tile.memoryWordBits);
  const auto lanes = static_cast<std::uint64_t>(m_chip.tile.digitalLanes);
  const std::uint64_t inFlight =
      1 + std::max<std::uint64_t>(1, d.arrayIssueCycles() ? ceilDivU(d.arrayRowCycles(), d.arrayIssueCycles()) : 1);
  for (int img = 0; img < m_images; ++img) {
    if (m_sequential && s > 0) {
      // Layer by layer: the previous step has finished this image.
      while (m_imagesDone[s - 1] <= static_cast<std::uint64_t>(img)) sc_core::wait(*m_drainedEvent[s - 1]);
    }
    if (d.denoiserRunner) {
      waitInputs(s, img, d.rows - 1);
      const std::uint64_t g0 = static_cast<std::uint64_t>(img) * rows;
      m_rowStart[s][g0] = now();
      const DenoiserBlockShape shape = denoiserBlockShape(m_program, st.denoiserBlock, m_chip.denoiser.mode);
      m_denoiser->runBlock(shape, 1, img == 0);  // every image takes the engine; actions counted once
      releaseInputs(s, img, d.rows - 1);
      for (int r = 0; r < d.rows; ++r) {
        const std::uint64_t g = g0 + static_cast<std::uint64_t>(r);
        m_rowEnd[s][g] = now();
        deliver(static_cast<int>(s), g);
        ++m_drained[s];
      }
      ++m_imagesDone[s];
      m_drainedEvent[s]->notify(sc_core::SC_ZERO_TIME);
      continue;
    }
    for (int r = 0; r < d.rows; ++r) {
      const std::uint64_t g = static_cast<std::uint64_t>(img) * rows + static_cast<std::uint64_t>(r);
      waitInputs(s, img, r);
      if (d.view || d.denoiserPassive) {
        m_rowStart[s][g] = now();
        releaseInputs(s, img, r);
        m_rowEnd[s][g] = now();
        deliver(static_cast<int>(s), g);
        ++m_drained[s];
        if (r + 1 == d.rows) ++m_imagesDone[s];
        m_drainedEvent[s]->notify(sc_core::SC_ZERO_TIME);
        continue;
      }
      // Rows between issue and drain: those still in the array pipeline (a row takes longer than the interval
      // between rows) plus one in the output registers.
      while (g >= m_drained[s] + inFlight) sc_core::wait(*m_drainedEvent[s]);
      const std::uint64_t t0 = now();
      m_rowStart[s][g] = t0;
      if (d.layer >= 0) {
        std::uint64_t readsEnd = t0;
        for (const TileRowWork& w : d.tiles) {
          const std::uint64_t c = ceilDivU(w.memoryReadBits, word);
          TileModule& tile = *m_tiles[static_cast<std::size_t>(w.tile)];
          readsEnd = std::max(readsEnd, reserve(tile.memory, t0, c));
          tile.memoryBitsRead += w.memoryReadBits;
          m_memoryBusyPerStep[s] += c;
          charge(action::kSramReadBit, w.memoryReadBits, img);
          charge(action::kBusBit, w.memoryReadBits, img);  // over the tile bus into the input registers
          charge(action::kTileBufferWriteBit, w.memoryReadBits, img);
          charge(action::kTileBufferReadBit, w.memoryReadBits, img);
        }
        Resource& arrays = m_layerArrays[static_cast<std::size_t>(d.layer)];
        const std::uint64_t issueEnd = reserve(arrays, t0, d.arrayIssueCycles());
        const std::uint64_t start = issueEnd - d.arrayIssueCycles();
        m_arrayBusyPerStep[s] += d.arrayIssueCycles();
        for (const auto& [t, a] : m_layerTiles[static_cast<std::size_t>(d.layer)])
          m_tiles[static_cast<std::size_t>(t)]->arrayBusyCycles += d.arrayIssueCycles() * static_cast<std::uint64_t>(a);
        m_rowEnd[s][g] = std::max(start + d.arrayRowCycles(), readsEnd);
        if (r == 0) {  // the array actions of the whole image (the plan's count; image 0 only)
          charge(action::kDacConvert, d.imageActions.dacConversions, img);
          charge(action::kXbarCellRead, d.imageActions.cellReads, img);
          charge(action::kAdcConvert, d.imageActions.adcConversions, img);
          charge(action::kSampleHold, d.imageActions.adcConversions, img);  // each conversion samples its column
          charge(action::kDigitalAdd, d.imageShiftAdds, img);
          charge(action::kOutputBufferWriteBit, d.imageOutputBufferBits, img);
          charge(action::kOutputBufferReadBit, d.imageOutputBufferBits, img);
          charge(action::kOutputRegisterWriteBit, d.imageOutputRegisterBits, img);
          charge(action::kOutputRegisterReadBit, d.imageOutputRegisterBits, img);
        }
        m_issuedEvent[s]->notify(sc_core::SC_ZERO_TIME);
        // The next row's vectors enter when this row's have; once they have, and the reads are done, the input
        // rows this row alone needed can go (the input registers hold what the vectors in flight use).
        waitUntil(std::max(issueEnd, readsEnd));
        releaseInputs(s, img, r);
      } else {
        // Every place works on its share of the row in parallel.
        std::uint64_t end = t0, aluEnd = t0;
        for (const Placement& p : d.places) {
          TileModule& tile = *m_tiles[static_cast<std::size_t>(p.tile)];
          const std::uint64_t bits = share(d.memoryReadBitsPerRow, p.share);
          const std::uint64_t c = ceilDivU(bits, word);
          end = std::max(end, reserve(tile.memory, t0, c));
          tile.memoryBitsRead += bits;
          const std::uint64_t alu = ceilDivU(share(d.digitalAddsPerRow + d.digitalOpsPerRow, p.share), lanes);
          aluEnd = std::max(aluEnd, reserve(tile.digital, t0, alu));
          if (&p == &d.places.front()) {  // the first place has the largest share: the stage's busy time
            m_memoryBusyPerStep[s] += c;
            m_digitalBusyPerStep[s] += alu;
          }
        }
        charge(action::kSramReadBit, d.memoryReadBitsPerRow, img);
        charge(action::kBusBit, d.memoryReadBitsPerRow, img);
        charge(d.digitalActions.add, d.digitalAddsPerRow, img);
        charge(d.digitalActions.op, d.digitalOpsPerRow, img);
        m_rowEnd[s][g] = std::max(end, aluEnd);
        m_issuedEvent[s]->notify(sc_core::SC_ZERO_TIME);
        waitUntil(m_rowEnd[s][g]);
        releaseInputs(s, img, r);
      }
    }
  }
}

void DataflowTop::drain(std::size_t s) {
  const DataflowStep& d = m_plan.steps[s];
  const auto rows = static_cast<std::uint64_t>(d.rows);
  const auto lanes = static_cast<std::uint64_t>(m_chip.tile.digitalLanes);
  for (int img = 0; img < m_images; ++img)
    for (int r = 0; r < d.rows; ++r) {
      const std::uint64_t g = static_cast<std::uint64_t>(img) * rows + static_cast<std::uint64_t>(r);
      while (m_rowEnd[s][g] == kNever) sc_core::wait(*m_issuedEvent[s]);
      waitUntil(m_rowEnd[s][g]);
      if (d.layer >= 0) {
        // Partial sums of the row blocks on other tiles travel to the home tile, which accumulates them.
        // Each tile merges the row blocks it holds; then the partial sums meet at each copy's lead tile in a
        // binary tree, level by level (a level's transfers leave once the previous level has arrived and been
        // added); the lead finally scales, adds the bias (and the offset term).
        std::uint64_t end = now();
        for (const TileRowWork& w : d.tiles)
          if (w.localAdds) end = std::max(end, reserve(m_tiles[static_cast<std::size_t>(w.tile)]->digital, now(), ceilDivU(w.localAdds, lanes)));
        for (const auto& level : d.reduction) {
          waitUntil(end);
          for (const ReduceHop& h : level) {
            const std::uint64_t a = send(h.from, h.to, h.bits, img);
            end = std::max(end, reserve(m_tiles[static_cast<std::size_t>(h.to)]->digital, a, ceilDivU(h.adds, lanes)));
          }
        }
        const std::uint64_t start = end;
        for (const Placement& p : d.places) {
          const std::uint64_t alu = ceilDivU(share(d.leadAddsPerRow + d.digitalOpsPerRow, p.share), lanes);
          end = std::max(end, reserve(m_tiles[static_cast<std::size_t>(p.tile)]->digital, start, alu));
          if (&p == &d.places.front()) m_digitalBusyPerStep[s] += alu;
        }
        charge(action::kAccumulatorAdd, d.digitalAddsPerRow, img);
        charge(action::kDigitalOp, d.digitalOpsPerRow, img);
        waitUntil(end);
      }
      m_rowEnd[s][g] = now();
      deliver(static_cast<int>(s), g);
      ++m_drained[s];
      if (r + 1 == d.rows) ++m_imagesDone[s];
      m_drainedEvent[s]->notify(sc_core::SC_ZERO_TIME);
    }
}

void DataflowTop::checkComplete() const {
  // The first unfinished step in program order is where the deadlock starts; later ones only wait for it.
  std::string stuck;
  std::size_t first = m_plan.steps.size();
  for (std::size_t s = 0; s < m_plan.steps.size(); ++s) {
    const std::uint64_t want = static_cast<std::uint64_t>(m_plan.steps[s].rows) * static_cast<std::uint64_t>(m_images);
    if (m_drained[s] == want) continue;
    if (first == m_plan.steps.size()) first = s;
    if (stuck.size() < 400)
      stuck += fmt::format("{}'{}' {} of {} rows", stuck.empty() ? "" : ", ", m_program.steps[s].name, m_drained[s], want);
  }
  if (first == m_plan.steps.size()) return;
  std::string held;
  for (std::size_t e = 0; e < m_plan.steps[first].inputs.size(); ++e)
    held += fmt::format("{}input {} holds {} rows", held.empty() ? "" : ", ", e, m_plan.steps[first].inputs[e].slots);
  throw MappingError(fmt::format(
      "{}: the schedule deadlocked at layer '{}' ({}; unfinished: {}): a tile memory is too small for the rows "
      "producers must hold while their consumers catch up (e.g. a residual skip path); raise chip.tile.memory",
      m_program.modelPath, m_program.steps[first].name, held, stuck));
}

std::vector<LayerTiming> DataflowTop::layers() const {
  std::vector<LayerTiming> out;
  for (std::size_t s = 0; s < m_plan.steps.size(); ++s) {
    const DataflowStep& d = m_plan.steps[s];
    LayerTiming lt{m_program.steps[s].name, m_program.steps[s].op, 0, 0, 0, static_cast<int>(s)};
    const std::uint64_t start = m_rowStart[s][0];
    const std::uint64_t end = m_rowEnd[s][static_cast<std::size_t>(d.rows - 1)];
    lt.startCycle = start == kNever ? 0 : start;
    lt.cycles = (end == kNever || start == kNever || end < start) ? 0 : end - start;
    if (d.layer >= 0) {
      lt.arrays = m_mapping.layers[static_cast<std::size_t>(d.layer)].arrays();
      lt.round = m_mapping.layers[static_cast<std::size_t>(d.layer)].round;
    }
    out.push_back(lt);
  }
  return out;
}

std::uint64_t DataflowTop::latencyCycles() const { return m_imageDone.empty() ? 0 : m_imageDone.front(); }

std::uint64_t DataflowTop::makespanCycles() const {
  return m_imageDone.empty() ? 0 : *std::max_element(m_imageDone.begin(), m_imageDone.end());
}

std::vector<ComponentActivity> DataflowTop::componentActivity() const {
  std::vector<ComponentActivity> out;
  auto secs = [&](std::uint64_t c) { return m_clock.cycles(c).to_seconds(); };
  ComponentActivity arrays{"array", 0, 0, 0};
  for (std::size_t l = 0; l < m_layerArrays.size(); ++l) {
    const int a = m_mapping.layers[l].arrays();
    arrays.instances += a;
    arrays.busySeconds += secs(m_layerArrays[l].busy) * a;
    arrays.stallSeconds += secs(m_layerArrays[l].stall);
  }
  out.push_back(arrays);
  auto sum = [&](const char* kind, Resource TileModule::*member) {
    ComponentActivity c{kind, static_cast<int>(m_tiles.size()), 0, 0};
    for (const auto& t : m_tiles) {
      c.busySeconds += secs(((*t).*member).busy);
      c.stallSeconds += secs(((*t).*member).stall);
    }
    out.push_back(c);
  };
  sum("tile_memory", &TileModule::memory);
  sum("digital", &TileModule::digital);
  out.push_back({"global_buffer", 1, secs(m_globalBuffer.busy), secs(m_globalBuffer.stall)});
  if (m_chip.io.links > 0) out.push_back({"io", m_chip.io.links, secs(m_io.busy), secs(m_io.stall)});
  ComponentActivity links{"link", m_noc.linkCount(), 0, 0};
  for (int l = 0; l < m_noc.linkCount(); ++l) links.busySeconds += secs(m_noc.linkBusyCycles(l));
  out.push_back(links);
  if (m_denoiser)
    out.push_back({"denoiser", 1, m_denoiser->busyTime().to_seconds(), m_denoiser->stallTime().to_seconds()});
  return out;
}

std::vector<StageActivity> DataflowTop::stageActivity() const {
  std::vector<StageActivity> out;
  const auto images = static_cast<std::uint64_t>(m_images);
  for (std::size_t s = 0; s < m_plan.steps.size(); ++s) {
    const DataflowStep& d = m_plan.steps[s];
    if (d.view || d.denoiserPassive) continue;
    StageActivity a;
    a.name = m_program.steps[s].name;
    a.step = static_cast<int>(s);
    a.arrayCyclesPerImage = m_arrayBusyPerStep[s] / images;
    a.digitalCyclesPerImage = m_digitalBusyPerStep[s] / images;
    a.memoryCyclesPerImage = m_memoryBusyPerStep[s] / images;
    if (d.denoiserRunner && m_denoiserCore) {
      const auto engine = static_cast<double>(m_denoiserCore->timing(denoiserBlockShape(
          m_program, m_program.steps[s].denoiserBlock, m_chip.denoiser.mode)).blockCycles);
      a.engineCyclesPerImage = static_cast<std::uint64_t>(std::ceil(engine * m_chip.clockHz / m_chip.denoiser.clockHz));
    }
    out.push_back(a);
  }
  return out;
}


void DataflowTop::reportStats(StatsTree& tree, const std::string& path) const {
  reportResource(tree, path + ".global_buffer", m_globalBuffer);
  if (m_chip.io.links > 0) reportResource(tree, path + ".io", m_io);
  const std::string noc = path + ".noc";
  tree.set(noc, "routers", m_noc.routers());
  const std::uint64_t busy = reportLinks(tree, noc, m_noc.linkCount(), [&](int l) { return m_noc.linkName(l); },
                                         [&](int l) { return m_noc.linkBusyCycles(l); });
  tree.set(noc, "link_busy_cycles", static_cast<double>(busy));
}

void DataflowTop::fill(TimingResult& r) const {
  collectStats(*this, r.stats);
  r.dataflow = true;
  r.layers = layers();
  r.totalCycles = latencyCycles();
  r.seconds = static_cast<double>(r.totalCycles) / m_chip.clockHz;
  r.elaboratedArrays = m_chip.totalArrays();
  r.components = componentActivity();
  r.denoiserEngine = hasDenoiser();
  r.stages = stageActivity();
  ThroughputResult& t = r.throughput;
  t.images = std::max(1, m_images);
  t.makespanSeconds = static_cast<double>(makespanCycles()) / m_chip.clockHz;
  // The bottleneck: the stage resource busiest per image (arrays, digital unit, memory reads, engine).
  for (const StageActivity& s : r.stages)
    if (s.maxCycles() > t.bottleneckCyclesPerImage) {
      t.bottleneckCyclesPerImage = s.maxCycles();
      t.bottleneck = s.name;
    }
  // Shared resources can bound the interval too: a tile's memory or digital unit serving several steps, a
  // link, the global buffer.
  const auto images = static_cast<std::uint64_t>(std::max(1, m_images));
  auto consider = [&](const std::string& name, std::uint64_t busy) {
    if (busy / images > t.bottleneckCyclesPerImage) {
      t.bottleneckCyclesPerImage = busy / images;
      t.bottleneck = name;
    }
  };
  for (std::size_t k = 0; k < m_tiles.size(); ++k) {
    consider(fmt::format("tile{}.memory", k), m_tiles[k]->memory.busy);
    consider(fmt::format("tile{}.digital", k), m_tiles[k]->digital.busy);
  }
  for (int l = 0; l < m_noc.linkCount(); ++l) consider("link " + m_noc.linkName(l), m_noc.linkBusyCycles(l));
  consider("global_buffer", m_globalBuffer.busy);
  consider("io", m_io.busy);
  const auto& done = imageDoneCycles();
  // Measured: the mean interval between completions. Over a finite run the first image can be slowed by the
  // images behind it while the last one is not, so the measurement may fall below what the busiest resource
  // allows; the reported interval is never below that bound.
  t.initiationIntervalCycles = std::max<std::uint64_t>(t.bottleneckCyclesPerImage, 1);
  if (done.size() >= 2 && done.back() > done.front()) {
    t.measured = true;
    t.measuredIntervalCycles = ceilDivU(done.back() - done.front(), done.size() - 1);
    t.initiationIntervalCycles = std::max(t.initiationIntervalCycles, t.measuredIntervalCycles);
  }
  t.imagesPerSecond = m_chip.clockHz / static_cast<double>(t.initiationIntervalCycles);
}

}  // namespace mxsim
