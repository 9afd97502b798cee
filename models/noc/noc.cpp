#include "models/noc/noc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "sim/core/error.h"

namespace mxsim {

namespace {
// Mesh port directions, in the order links are numbered.
enum Direction { kEast = 0, kWest = 1, kSouth = 2, kNorth = 3, kDirections = 4 };

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// Smallest c with c² ≥ n (n ≥ 1).
int ceilSqrt(int n) {
  int c = 1;
  while (static_cast<std::int64_t>(c) * c < n) ++c;
  return c;
}
}  // namespace

// ---------------------------------------------------------------------------------------------------
// Parameters

void NocParams::validate(const std::string& path) const {
  auto bad = [&](const char* key, const std::string& what) {
    throw ConfigError(fmt::format("{}.{}: {}", path, key, what));
  };
  if (linkWidthBits < 1)
    bad("link_width", fmt::format("value {} is out of range (at least 1 bit/cycle)", linkWidthBits));
  if (hopLatencyCycles < 1) {
    bad("hop_latency", fmt::format("value {} is out of range (at least 1 cycle)", hopLatencyCycles));
  }
  if (meshCols < 0) bad("mesh_cols", fmt::format("value {} is out of range (0: derived, else at least 1)", meshCols));
  if (meshRows < 0) bad("mesh_rows", fmt::format("value {} is out of range (0: derived, else at least 1)", meshRows));
  if (static_cast<std::int64_t>(meshCols) * meshRows > kMaxMeshRouters)
    bad("mesh_rows", fmt::format("{0}.mesh_cols × {0}.mesh_rows = {1} × {2} = {3} routers, more than the {4} allowed",
                                 path, meshCols, meshRows, static_cast<std::int64_t>(meshCols) * meshRows,
                                 kMaxMeshRouters));
  if (topology == NocTopology::Bus) {
    if (meshCols)
      bad("mesh_cols", fmt::format("value {} given but topology is bus (mesh only; leave it out)", meshCols));
    if (meshRows)
      bad("mesh_rows", fmt::format("value {} given but topology is bus (mesh only; leave it out)", meshRows));
  }
  if (!(energyPerBitHopJ >= 0)) bad("energy_per_bit_hop", "must not be negative");
  if (!(routerAreaM2 >= 0)) bad("router_area", "must not be negative");
  if (!(busAreaM2 >= 0)) bad("bus_area", "must not be negative");
  if (packetFlits < 1 || packetFlits > kMaxPacketFlits)
    bad("packet_flits", fmt::format("value {} is out of range (1 … {} flits)", packetFlits, kMaxPacketFlits));
  if (routerBufferFlits < 1 || routerBufferFlits > kMaxRouterBufferFlits) {
    bad("router_buffer_flits",
        fmt::format("value {} is out of range (1 … {} flits)", routerBufferFlits, kMaxRouterBufferFlits));
  }
  if (routerBufferFlits < packetFlits) {
    bad("router_buffer_flits",
        fmt::format("value {} is below {}.packet_flits = {} (virtual cut-through moves a packet into a router "
                    "buffer only whole, so a buffer must hold at least one packet: at least {} flits)",
                    routerBufferFlits, path, packetFlits, packetFlits));
  }
  if (concentration < 1 || concentration > kMaxConcentration) {
    bad("concentration",
        fmt::format("value {} is out of range (1 … {} tiles per router)", concentration, kMaxConcentration));
  }
  if (topology == NocTopology::Bus && concentration != 1) {
    bad("concentration", fmt::format("value {} given but topology is bus (mesh only; leave it out)", concentration));
  }
}

NocParams NocParams::fromConfig(ConfigReader& r) {
  NocParams p;
  p.topology = r.getEnum<NocTopology>(
      "topology", p.topology, {{"bus", NocTopology::Bus}, {"mesh", NocTopology::Mesh}},
      "interconnect between the global buffer and the tiles: one shared bus, or a 2-D mesh with XY routing",
      {"ISAAC (Shafiee et al., ISCA 2016): a (concentrated) mesh between tiles"});
  p.linkWidthBits = static_cast<int>(r.getInt("link_width", p.linkWidthBits, 1, 1 << 16,
                                              "bits one link (or the bus) moves per cycle: one flit", "bits/cycle",
                                              {"ISAAC router: 32-bit flits"}));
  p.hopLatencyCycles = static_cast<int>(
      r.getInt("hop_latency", p.hopLatencyCycles, 1, 1024,
               "cycles for the head flit to cross one router and its output link (bus: arbitration + wire)", "cycles",
               {"assumption: 1-cycle router (lookahead routing) + 1-cycle link traversal"}));
  p.meshCols = static_cast<int>(r.getInt(
      "mesh_cols", p.meshCols, 0, 1 << 16,
      "mesh routers per row (x); 0: derived, ceil(sqrt(tiles + 1)) when mesh_rows is 0 too (mesh only); "
      "mesh_cols × mesh_rows is at most 2097152 (2^21)", "routers"));
  p.meshRows = static_cast<int>(
      r.getInt("mesh_rows", p.meshRows, 0, 1 << 16,
               "mesh rows of routers (y); 0: derived, ceil((tiles + 1) / mesh_cols) (mesh only)", "routers"));
  p.multicast = r.getEnum<NocMulticast>(
      "multicast", p.multicast, {{"tree", NocMulticast::Tree}, {"unicast", NocMulticast::Unicast}},
      "one transfer to several tiles: tree (each link of the union of the XY routes carries the data once; "
      "bus: one broadcast) or repeated unicasts in destination order");
  p.energyPerBitHopJ = r.getQuantity(
      "energy_per_bit_hop", Dimension::Energy, p.energyPerBitHopJ, 0.0, 1e-9,
      "energy of one bit crossing one hop (mesh: router + link; bus: one bus transfer); action noc.bit_hop",
      {"ISAAC router 42 mW at 1.2 GHz, 8 ports x 32 bits per cycle: 42 mW / (1.2 GHz x 256 bit) = 0.137 pJ/bit at "
       "full load; link wires not included"});
  p.routerAreaM2 = r.getQuantity(
      "router_area", Dimension::Area, p.routerAreaM2, 0.0, 1e-3,
      "area of one mesh router; default: ISAAC's 0.151 mm2 router (8 ports, 32-bit flits, 32 nm) x ports x "
      "link_width / (8 x 32), ports = 4 + concentration, moved to chip.technology_node (docs/noc.md)",
      {"ISAAC: 0.151 mm2 per router (32-bit flits, 8 ports, 32 nm; shared by 4 tiles); scaling: buffer-dominated "
       "router, area ~ ports x flit width (ORION 2.0 crossbar model: 2 % at ISAAC's size)"});
  p.busAreaM2 = r.getQuantity(
      "bus_area", Dimension::Area, p.busAreaM2, 0.0, 1e-3, "area of the whole shared bus (topology: bus)",
      {"assumption: ISAAC's tile-internal eDRAM-to-IMA bus (384 wires) is 0.090 mm2; a chip-wide bus is longer"});
  p.packetFlits = static_cast<int>(r.getInt(
      "packet_flits", p.packetFlits, 1, kMaxPacketFlits,
      "flits per packet (packet-level model): a transfer of B bits is ceil(ceil(B / link_width) / packet_flits) "
      "packets, the last one possibly shorter",
      "flits", {"assumption: ISAAC-style wormhole / virtual cut-through routers move multi-flit packets"}));
  p.routerBufferFlits = static_cast<int>(r.getInt(
      "router_buffer_flits", p.routerBufferFlits, 1, kMaxRouterBufferFlits,
      "capacity of each router input-port buffer (packet-level model); at least packet_flits (virtual cut-through)",
      "flits",
      {"assumption: 4 packets of 16 flits; full link rate needs floor(buffer / packet) x packet >= hop_latency + "
       "packet (docs/noc.md)"}));
  p.concentration = static_cast<int>(
      r.getInt("concentration", p.concentration, 1, kMaxConcentration,
               "tiles sharing one mesh router (packet-level model, mesh only): tile t attaches to router floor(t / "
               "concentration) + 1",
               "tiles/router", {"ISAAC (Shafiee et al., ISCA 2016): 4 tiles per router (concentrated mesh)"}));
  r.finish();
  p.validate(r.path());
  return p;
}

// ---------------------------------------------------------------------------------------------------
// Topology and routing

int NocTree::hopsTo(std::size_t d) const {
  int h = 0;
  for (int i = lastLink.at(d); i >= 0; i = parent[static_cast<std::size_t>(i)]) ++h;
  return h;
}

NocCore::NocCore(const NocParams& p, int tiles, const std::string& path) : m_p(p), m_tiles(tiles) {
  m_p.validate(path);
  if (tiles < 1) throw ConfigError(fmt::format("{}: the interconnect needs at least 1 tile (got {})", path, tiles));
  const int n = nodes();
  if (m_p.topology == NocTopology::Bus) {
    m_links.push_back(NocLink{});
    return;
  }
  if (!m_p.meshCols && !m_p.meshRows) {
    m_cols = ceilSqrt(n);
    m_rows = static_cast<int>(ceilDiv(n, m_cols));
  } else if (!m_p.meshRows) {
    m_cols = m_p.meshCols;
    m_rows = static_cast<int>(ceilDiv(n, m_cols));
  } else if (!m_p.meshCols) {
    m_rows = m_p.meshRows;
    m_cols = static_cast<int>(ceilDiv(n, m_rows));
  } else {
    m_cols = m_p.meshCols;
    m_rows = m_p.meshRows;
    if (static_cast<std::int64_t>(m_cols) * m_rows < n) {
      throw ConfigError(fmt::format(
          "{0}.mesh_cols × {0}.mesh_rows = {1} × {2} = {3} nodes cannot hold {4} tiles + the global buffer ({5} "
          "nodes); enlarge them or set either to 0 to derive it",
          path, m_cols, m_rows, static_cast<std::int64_t>(m_cols) * m_rows, tiles, n));
    }
  }
  const int routerCount = m_cols * m_rows;
  m_linkOfPort.assign(static_cast<std::size_t>(routerCount) * kDirections, -1);
  for (int r = 0; r < routerCount; ++r) {
    const int x = xOf(r), y = yOf(r);
    const int neighbour[kDirections] = {x + 1 < m_cols ? r + 1 : -1, x > 0 ? r - 1 : -1,
                                        y + 1 < m_rows ? r + m_cols : -1, y > 0 ? r - m_cols : -1};
    for (int d = 0; d < kDirections; ++d) {
      if (neighbour[d] < 0) continue;
      m_linkOfPort[static_cast<std::size_t>(r) * kDirections + d] = static_cast<int>(m_links.size());
      m_links.push_back(NocLink{r, neighbour[d]});
    }
  }
}

std::string NocCore::linkName(int id) const {
  const NocLink& l = link(id);
  if (m_p.topology == NocTopology::Bus) return "bus";
  return fmt::format("{}->{}", l.from, l.to);
}

int NocCore::linkId(int from, int to) const {
  if (m_p.topology == NocTopology::Bus) return -1;
  const int routerCount = m_cols * m_rows;
  if (from < 0 || from >= routerCount || to < 0 || to >= routerCount) return -1;
  int d = -1;
  if (to == from + 1 && yOf(to) == yOf(from))
    d = kEast;
  else if (to == from - 1 && yOf(to) == yOf(from))
    d = kWest;
  else if (to == from + m_cols)
    d = kSouth;
  else if (to == from - m_cols)
    d = kNorth;
  return d < 0 ? -1 : m_linkOfPort[static_cast<std::size_t>(from) * kDirections + d];
}

void NocCore::checkNode(int node) const {
  if (node < 0 || node >= nodes()) {
    throw std::out_of_range(
        fmt::format("interconnect node {} does not exist (nodes 0 … {}: 0 = global buffer, "
                    "t + 1 = tile t)",
                    node, nodes() - 1));
  }
}

std::vector<int> NocCore::route(int src, int dst) const {
  checkNode(src);
  checkNode(dst);
  std::vector<int> links;
  if (src == dst) return links;
  if (m_p.topology == NocTopology::Bus) return {0};
  int x = xOf(src), y = yOf(src);
  const int dx = xOf(dst), dy = yOf(dst);
  links.reserve(static_cast<std::size_t>(std::abs(dx - x)) + static_cast<std::size_t>(std::abs(dy - y)));
  auto step = [&](Direction d) {
    const int r = y * m_cols + x;
    links.push_back(m_linkOfPort[static_cast<std::size_t>(r) * kDirections + d]);
  };
  while (x != dx) {
    step(dx > x ? kEast : kWest);
    x += dx > x ? 1 : -1;
  }
  while (y != dy) {
    step(dy > y ? kSouth : kNorth);
    y += dy > y ? 1 : -1;
  }
  return links;
}

int NocCore::hops(int src, int dst) const {
  checkNode(src);
  checkNode(dst);
  if (src == dst) return 0;
  if (m_p.topology == NocTopology::Bus) return 1;
  return std::abs(xOf(dst) - xOf(src)) + std::abs(yOf(dst) - yOf(src));
}

NocTree NocCore::tree(int src, const std::vector<int>& dsts) const {
  NocTree t;
  std::vector<int> indexOfLink(m_links.size(), -1);
  t.lastLink.reserve(dsts.size());
  for (int dst : dsts) {
    const std::vector<int> r = route(src, dst);
    int prev = -1;
    for (int id : r) {
      int& idx = indexOfLink[static_cast<std::size_t>(id)];
      if (idx < 0) {
        // XY routes from one source share prefixes, so a link already in the tree has this same parent.
        idx = static_cast<int>(t.links.size());
        t.links.push_back(id);
        t.parent.push_back(prev);
      }
      prev = idx;
    }
    t.lastLink.push_back(prev);
  }
  return t;
}

NocTree NocCore::unicastCopies(int src, const std::vector<int>& dsts) const {
  NocTree t;
  t.lastLink.reserve(dsts.size());
  for (std::size_t k = 0; k < dsts.size(); ++k) {
    const auto first = std::find(dsts.begin(), dsts.end(), dsts[k]);
    if (first != dsts.begin() + static_cast<std::ptrdiff_t>(k)) {  // a repeated destination: one copy
      t.lastLink.push_back(t.lastLink[static_cast<std::size_t>(first - dsts.begin())]);
      continue;
    }
    int prev = -1;
    for (int id : route(src, dsts[k])) {
      t.links.push_back(id);
      t.parent.push_back(prev);
      prev = static_cast<int>(t.links.size()) - 1;
    }
    t.lastLink.push_back(prev);
  }
  return t;
}

double NocCore::areaM2() const {
  return m_p.topology == NocTopology::Mesh ? routers() * m_p.routerAreaM2 : m_p.busAreaM2;
}

// ---------------------------------------------------------------------------------------------------
// Contention

NocScheduler::NocScheduler(const NocCore& core)
    : m_core(core),
      m_freeAt(static_cast<std::size_t>(core.linkCount()), 0),
      m_busy(static_cast<std::size_t>(core.linkCount()), 0) {}

NocTransferId NocScheduler::offer(int src, int dst, std::uint64_t bits, std::uint64_t readyCycle) {
  NocTree chain;  // a route is a chain: entry i is fed by entry i − 1
  chain.links = m_core.route(src, dst);
  chain.parent.resize(chain.links.size());
  for (std::size_t i = 0; i < chain.links.size(); ++i) chain.parent[i] = static_cast<int>(i) - 1;
  chain.lastLink.push_back(static_cast<int>(chain.links.size()) - 1);
  return add(std::move(chain), bits, readyCycle);
}

NocTransferId NocScheduler::offerMulticast(int src, const std::vector<int>& dsts, std::uint64_t bits,
                                           std::uint64_t readyCycle) {
  return add(m_core.params().multicast == NocMulticast::Tree ? m_core.tree(src, dsts) : m_core.unicastCopies(src, dsts),
             bits, readyCycle);
}

NocTransferId NocScheduler::add(NocTree tree, std::uint64_t bits, std::uint64_t readyCycle) {
  const auto latency = static_cast<std::uint64_t>(m_core.params().hopLatencyCycles);
  if (m_anyProcessed && readyCycle + latency <= m_processedUpTo) {
    throw std::logic_error(fmt::format("interconnect: transfer offered at cycle {} but cycle {} is already processed",
                                       readyCycle, m_processedUpTo));
  }
  const NocTransferId id = m_nextId++;
  Transfer& t = m_transfers[id];
  t.tree = std::move(tree);
  t.result.readyCycle = readyCycle;
  t.result.doneCycle = readyCycle;
  t.result.deliveredCycle.assign(t.tree.lastLink.size(), readyCycle);
  if (!bits || t.tree.links.empty()) {  // nothing crosses the network: delivered when offered
    t.tree = NocTree{};
    t.delivered = true;
    return id;
  }
  const std::size_t n = t.tree.links.size();
  t.flits = m_core.flits(bits);
  t.ungranted = n;
  t.result.bitHops = bits * n;
  t.result.busy.resize(n);
  // Children lists (CSR) so a grant can request the next links.
  t.childBegin.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (t.tree.parent[i] >= 0) ++t.childBegin[static_cast<std::size_t>(t.tree.parent[i]) + 1];
  }
  for (std::size_t i = 0; i < n; ++i) t.childBegin[i + 1] += t.childBegin[i];
  t.childList.resize(static_cast<std::size_t>(t.childBegin[n]));
  std::vector<int> fill(t.childBegin.begin(), t.childBegin.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const int p = t.tree.parent[i];
    if (p >= 0)
      t.childList[static_cast<std::size_t>(fill[static_cast<std::size_t>(p)]++)] = static_cast<int>(i);
    else
      m_events.push(Event{readyCycle + latency, id, static_cast<int>(i)});
  }
  return id;
}

void NocScheduler::grant(const Event& e) {
  Transfer& t = m_transfers.at(e.id);
  if (e.entry < 0) {  // delivery
    t.delivered = true;
    return;
  }
  const auto i = static_cast<std::size_t>(e.entry);
  const int linkId = t.tree.links[i];
  const auto link = static_cast<std::size_t>(linkId);
  const std::uint64_t start = std::max(e.cycle, m_freeAt[link]);
  m_freeAt[link] = start + t.flits;
  m_busy[link] += t.flits;
  const NocInterval iv{linkId, start, start + t.flits};
  t.result.busy[i] = iv;
  if (m_observer) m_observer(iv);
  const auto latency = static_cast<std::uint64_t>(m_core.params().hopLatencyCycles);
  for (int c = t.childBegin[i]; c < t.childBegin[i + 1]; ++c) {
    m_events.push(Event{start + latency, e.id, t.childList[static_cast<std::size_t>(c)]});
  }
  if (--t.ungranted) return;
  // Every link is granted: the delivery cycles are known.
  for (std::size_t k = 0; k < t.tree.lastLink.size(); ++k) {
    if (t.tree.lastLink[k] < 0) continue;  // the source itself
    t.result.deliveredCycle[k] = t.result.busy[static_cast<std::size_t>(t.tree.lastLink[k])].endCycle;
    t.result.doneCycle = std::max(t.result.doneCycle, t.result.deliveredCycle[k]);
  }
  m_events.push(Event{t.result.doneCycle, e.id, -1});
}

std::size_t NocScheduler::advanceTo(std::uint64_t cycle) {
  std::size_t deliveredNow = 0;
  while (!m_events.empty() && m_events.top().cycle <= cycle) {
    const Event e = m_events.top();
    m_events.pop();
    m_processedUpTo = e.cycle;
    m_anyProcessed = true;
    grant(e);
    if (e.entry < 0) ++deliveredNow;
  }
  if (cycle != kNever && (!m_anyProcessed || cycle > m_processedUpTo)) {
    m_processedUpTo = cycle;
    m_anyProcessed = true;
  }
  return deliveredNow;
}

const NocScheduler::Transfer& NocScheduler::find(NocTransferId id) const {
  auto it = m_transfers.find(id);
  if (it == m_transfers.end()) throw std::logic_error(fmt::format("interconnect: no transfer {} in flight", id));
  return it->second;
}

NocDelivery NocScheduler::collect(NocTransferId id) {
  if (!delivered(id)) throw std::logic_error(fmt::format("interconnect: transfer {} is not delivered yet", id));
  auto it = m_transfers.find(id);
  NocDelivery d = std::move(it->second.result);
  m_transfers.erase(it);
  return d;
}

}  // namespace mxsim
