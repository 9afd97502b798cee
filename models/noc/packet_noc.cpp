#include "models/noc/packet_noc.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "sim/core/error.h"

namespace mxsim {

namespace {
std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// Tiles of the NocCore that lays out the routers: one "node" per router with endpoints, so the router grid,
// its numbering and XY routes are NocCore's for ceil(tiles / c) + 1 nodes. Checks what NocCore's own messages
// would misstate (they count routers as tiles).
int gridTiles(const NocParams& p, int tiles, const std::string& path) {
  p.validate(path);
  if (tiles < 1) throw ConfigError(fmt::format("{}: the interconnect needs at least 1 tile (got {})", path, tiles));
  const int c = p.topology == NocTopology::Mesh ? p.concentration : 1;
  const int routerTiles = static_cast<int>(ceilDiv(static_cast<std::uint64_t>(tiles), static_cast<std::uint64_t>(c)));
  const std::int64_t routersNeeded = routerTiles + 1;
  if (p.topology == NocTopology::Mesh && p.meshCols && p.meshRows &&
      static_cast<std::int64_t>(p.meshCols) * p.meshRows < routersNeeded) {
    throw ConfigError(fmt::format(
        "{0}.mesh_cols × {0}.mesh_rows = {1} × {2} = {3} routers cannot hold ceil({4} tiles / {0}.concentration "
        "{5}) + 1 = {6} routers; enlarge them, raise the concentration, or set either to 0 to derive it",
        path, p.meshCols, p.meshRows, static_cast<std::int64_t>(p.meshCols) * p.meshRows, tiles, c, routersNeeded));
  }
  return routerTiles;
}
}  // namespace

PacketNoc::PacketNoc(const NocParams& p, int tiles, const std::string& path)
    : m_p(p),
      m_tiles(tiles),
      m_attachedRouters(gridTiles(p, tiles, path) + 1),
      m_grid(p, m_attachedRouters - 1, path),
      m_networkLinks(m_grid.linkCount()) {
  const auto links = static_cast<std::size_t>(linkCount());
  m_linkFree.assign(links, 0);
  m_linkBusy.assign(links, 0);
  // Mesh: one input buffer per mesh link + one local input port per endpoint. Bus: a transmit and a receive
  // queue per endpoint.
  m_buffers.resize(isBus() ? 2 * static_cast<std::size_t>(endpoints())
                           : static_cast<std::size_t>(m_networkLinks + endpoints()));
  m_entryOfLink.assign(links, -1);
  m_slotOfBuffer.assign(m_buffers.size(), -1);
  if (!isBus()) {
    const int cols = m_grid.cols();
    m_stepLink.assign(4 * static_cast<std::size_t>(routers()), -1);
    for (int r = 0; r < routers(); ++r) {
      const int next[4] = {r + 1, r - 1, r + cols, r - cols};  // east, west, south, north (-1: off the grid)
      for (int d = 0; d < 4; ++d)
        m_stepLink[4 * static_cast<std::size_t>(r) + static_cast<std::size_t>(d)] = m_grid.linkId(r, next[d]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Placement

void PacketNoc::checkEndpoint(int endpoint) const {
  if (endpoint < 0 || endpoint >= endpoints()) {
    throw std::out_of_range(fmt::format(
        "interconnect endpoint {} does not exist (endpoints 0 … {}: 0 = global buffer / chip I/O, t + 1 = tile t)",
        endpoint, endpoints() - 1));
  }
}

int PacketNoc::tileEndpoint(int tile) const {
  if (tile < 0 || tile >= m_tiles) {
    throw std::out_of_range(fmt::format("interconnect: tile {} does not exist (tiles 0 … {})", tile, m_tiles - 1));
  }
  return tile + 1;
}

int PacketNoc::routerOf(int endpoint) const {
  checkEndpoint(endpoint);
  if (isBus()) return -1;
  return endpoint == 0 ? 0 : (endpoint - 1) / m_p.concentration + 1;
}

int PacketNoc::hops(int srcEndpoint, int dstEndpoint) const {
  checkEndpoint(srcEndpoint);
  checkEndpoint(dstEndpoint);
  if (srcEndpoint == dstEndpoint) return 0;
  if (isBus()) return 1;
  return m_grid.hops(routerOf(srcEndpoint), routerOf(dstEndpoint));
}

int PacketNoc::injectionLink(int endpoint) const {
  checkEndpoint(endpoint);
  return m_networkLinks + endpoint;
}

int PacketNoc::ejectionLink(int endpoint) const {
  checkEndpoint(endpoint);
  return m_networkLinks + endpoints() + endpoint;
}

namespace {
std::string endpointName(int endpoint) {
  return endpoint == 0 ? std::string("io") : fmt::format("tile{}", endpoint - 1);
}
}  // namespace

std::string PacketNoc::linkName(int link) const {
  if (link < 0 || link >= linkCount()) throw std::out_of_range(fmt::format("interconnect: no link {}", link));
  if (link < m_networkLinks) {
    if (isBus()) return "bus";
    const NocLink& l = m_grid.link(link);
    return fmt::format("r{}->r{}", l.from, l.to);
  }
  const bool injection = link < m_networkLinks + endpoints();
  const int e = injection ? link - m_networkLinks : link - m_networkLinks - endpoints();
  const std::string port = isBus() ? std::string("bus") : fmt::format("r{}", routerOf(e));
  return injection ? endpointName(e) + "->" + port : port + "->" + endpointName(e);
}

std::string PacketNoc::bufferName(int buffer) const {
  if (buffer < 0 || buffer >= bufferCount()) throw std::out_of_range(fmt::format("interconnect: no buffer {}", buffer));
  if (isBus()) {
    const int e = buffer % endpoints();
    return buffer < endpoints() ? "bus.tx." + endpointName(e) : "bus.rx." + endpointName(e);
  }
  if (buffer < m_networkLinks) {
    const NocLink& l = m_grid.link(buffer);
    return fmt::format("r{}.in.r{}", l.to, l.from);
  }
  const int e = buffer - m_networkLinks;
  return fmt::format("r{}.in.{}", routerOf(e), endpointName(e));
}

// ---------------------------------------------------------------------------------------------------
// Timing

std::uint64_t PacketNoc::packetsOf(std::uint64_t bits) const {
  return ceilDiv(flitsOf(bits), static_cast<std::uint64_t>(m_p.packetFlits));
}

std::uint64_t PacketNoc::uncontendedMulticastCycles(int src, const std::vector<int>& dsts, std::uint64_t bits) const {
  // Each branch of a tree repeats the unicast schedule (docs/noc.md), so the last delivery is the slowest
  // destination's unicast time.
  std::uint64_t worst = 0;
  for (int d : dsts) worst = std::max(worst, uncontendedCycles(src, d, bits));
  return worst;
}

std::uint64_t PacketNoc::uncontendedCycles(int src, int dst, std::uint64_t bits) const {
  const int h = hops(src, dst);
  if (src == dst || bits == 0) return 0;
  return idleCycles(h, bits);
}

std::uint64_t PacketNoc::idleCycles(int h, std::uint64_t bits) const {
  // Derivation in docs/noc.md. Every buffer on the path holds a packet of f flits for L + f cycles (claimed
  // when its upstream link starts sending it, released when its tail has left on the next link), so on an
  // idle network each hop repeats the injection schedule L cycles later and only the injection times
  // s(j) matter: s(j) = max(s(j−1) + f, s(j−k) + L + f) with k = floor(C / f) packets per buffer, whose
  // solution is s(j) = (j mod k)·f + floor(j / k)·P, P = max(k·f, L + f).
  const std::uint64_t L = static_cast<std::uint64_t>(m_p.hopLatencyCycles);
  const std::uint64_t f = static_cast<std::uint64_t>(m_p.packetFlits);
  const std::uint64_t C = static_cast<std::uint64_t>(m_p.routerBufferFlits);
  const std::uint64_t F = flitsOf(bits);
  const std::uint64_t n = ceilDiv(F, f);
  const std::uint64_t fLast = F - (n - 1) * f;
  const std::uint64_t k = C / f;
  const std::uint64_t P = std::max(k * f, L + f);
  auto s = [&](std::uint64_t j) { return (j % k) * f + (j / k) * P; };
  std::uint64_t sLast = 0;
  if (n > 1) {
    // The last packet (fLast ≤ f flits) fits beside kLast = floor((C − fLast) / f) full packets.
    const std::uint64_t kLast = (C - fLast) / f;
    sLast = s(n - 2) + f;
    if (n - 2 >= kLast) sLast = std::max(sLast, s(n - 2 - kLast) + L + f);
  }
  return sLast + static_cast<std::uint64_t>(h + 1) * L + fLast;
}

void PacketNoc::checkReady(std::uint64_t readyCycle) {
  if (readyCycle < m_lastReady) {
    throw std::logic_error(fmt::format(
        "interconnect: transfer offered at cycle {} after one offered at cycle {} (offers must not go back in time)",
        readyCycle, m_lastReady));
  }
  m_lastReady = readyCycle;
}

void PacketNoc::beginTree(int src) {
  for (const TreeHop& hop : m_tree) m_entryOfLink[static_cast<std::size_t>(hop.link)] = -1;
  for (const TreeHop& hop : m_ejections) m_entryOfLink[static_cast<std::size_t>(hop.link)] = -1;
  for (const TreeSlot& slot : m_slots) m_slotOfBuffer[static_cast<std::size_t>(slot.buffer)] = -1;
  m_tree.clear();
  m_ejections.clear();
  m_slots.clear();
  m_sharedSlots.clear();
  m_busFills.clear();
  m_treeNetworkLinks = 0;
  // The injection link fills src's local input port (bus: its transmit queue).
  const int local = isBus() ? src : m_networkLinks + src;
  m_tree.push_back(TreeHop{injectionLink(src), -1, local, -1, -1});
  m_entryOfLink[static_cast<std::size_t>(m_tree.back().link)] = 0;
  m_slotOfBuffer[static_cast<std::size_t>(local)] = 0;
  m_slots.push_back(TreeSlot{local, 0});
}

int PacketNoc::addBranch(int src, int dst) {
  // Appends the entries of the route that are not in the tree yet. XY routes from one router share their
  // prefixes, so the first link that is new stays new to the end of the route and every entry has one parent.
  auto add = [&](int link, int parent, int drain, int fill) {
    const int slot = m_slotOfBuffer[static_cast<std::size_t>(drain)];
    if (++m_slots[static_cast<std::size_t>(slot)].branches == 2) m_sharedSlots.push_back(slot);
    std::vector<TreeHop>& list = fill == -1 ? m_ejections : m_tree;
    const int entry = static_cast<int>(list.size());
    list.push_back(TreeHop{link, parent, fill, drain, slot});
    m_entryOfLink[static_cast<std::size_t>(link)] = entry;
    if (fill >= 0) {
      m_slotOfBuffer[static_cast<std::size_t>(fill)] = static_cast<int>(m_slots.size());
      m_slots.push_back(TreeSlot{fill, entry});
    }
    return entry;
  };
  const int ejection = ejectionLink(dst);
  if (const int known = m_entryOfLink[static_cast<std::size_t>(ejection)]; known >= 0) return known;  // listed again
  if (isBus()) {
    // One bus crossing per packet fills the receive queue of every destination.
    const int rx = endpoints() + dst;
    int bus = m_entryOfLink[0];
    if (bus < 0) {
      bus = add(0, 0, m_tree.front().fill, rx);
      ++m_treeNetworkLinks;
    } else {
      TreeHop& crossing = m_tree[static_cast<std::size_t>(bus)];
      if (crossing.fill >= 0) m_busFills.push_back(crossing.fill);
      m_busFills.push_back(rx);
      crossing.fill = kFillsReceiveQueues;
      m_slotOfBuffer[static_cast<std::size_t>(rx)] = static_cast<int>(m_slots.size());
      m_slots.push_back(TreeSlot{rx, bus});
    }
    return add(ejection, bus, rx, -1);
  }
  // XY walk over the router grid (NocCore::route without building a vector): x first, then y.
  int at = 0;                          // entry whose link brought the packet into router r
  int atBuffer = m_tree.front().fill;  // the buffer it filled
  int r = routerOf(src);
  const int target = routerOf(dst);
  const int tx = m_grid.xOf(target), ty = m_grid.yOf(target);
  const int step[4] = {1, -1, m_grid.cols(), -m_grid.cols()};  // east, west, south, north
  while (r != target) {
    const int x = m_grid.xOf(r);
    const int direction = x != tx ? (tx > x ? 0 : 1) : (ty > m_grid.yOf(r) ? 2 : 3);
    const int link = m_stepLink[4 * static_cast<std::size_t>(r) + static_cast<std::size_t>(direction)];
    int entry = m_entryOfLink[static_cast<std::size_t>(link)];
    if (entry < 0) {
      entry = add(link, at, atBuffer, link);  // mesh link l fills buffer l
      ++m_treeNetworkLinks;
    }
    at = entry;
    atBuffer = link;
    r += step[direction];
  }
  return add(ejection, at, atBuffer, -1);
}

void PacketNoc::Buffer::grow() {
  std::vector<Held> bigger(ring.empty() ? 8 : 2 * ring.size());
  for (std::size_t i = 0; i < count; ++i) bigger[i] = ring[(head + i) & mask];
  ring.swap(bigger);
  mask = ring.size() - 1;
  head = 0;
}

std::uint64_t PacketNoc::roomAt(Buffer& b, std::uint64_t t, std::uint64_t flits) const {
  const std::uint64_t capacity = bufferCapacityFlits();
  // Later claims of this buffer come later than t (its feeding link is FIFO), so packets gone by t are gone
  // for good.
  while (b.count && b.oldest().releaseCycle <= t) b.dropOldest();
  // Releases are in FIFO order: wait for the oldest holders until the packet fits. Never runs dry, as
  // capacity ≥ packet_flits ≥ flits.
  while (capacity - b.heldFlits < flits) {
    t = std::max(t, b.oldest().releaseCycle);
    b.dropOldest();
  }
  return t;
}

void PacketNoc::reservePacket(std::uint64_t flits, std::uint64_t readyCycle) {
  const auto latency = static_cast<std::uint64_t>(m_p.hopLatencyCycles);
  if (m_start.size() < m_tree.size()) m_start.resize(m_tree.size());
  if (m_ejectStart.size() < m_ejections.size()) m_ejectStart.resize(m_ejections.size());
  // Hot loops: plain pointers, so the compiler need not reload each vector's data pointer after a call.
  TreeSlot* slots = m_slots.data();
  Buffer* buffers = m_buffers.data();
  std::uint64_t* start = m_start.data();
  std::uint64_t* linkFree = m_linkFree.data();
  std::uint64_t* linkBusy = m_linkBusy.data();

  // Earliest start on a link whose parent started at parentStart and that drains `hop.drain`: the head has
  // crossed the router (L after the parent), the link's earlier reservations are over (offer order), and the
  // packet ahead in the FIFO input buffer has left on all its branches (a shared buffer's lastRelease still
  // holds the previous packet's: this one's is recorded after the loops).
  auto earliest = [&](const TreeHop& hop, std::uint64_t parentStart) {
    return std::max({parentStart + latency, linkFree[hop.link], buffers[hop.drain].lastRelease});
  };
  auto reserve = [&](const TreeHop& hop, std::uint64_t t) {
    linkFree[hop.link] = t + flits;
    linkBusy[hop.link] += flits;
    if (m_intervalObserver) m_intervalObserver(hop.link, t, t + flits);
  };
  // The packet's tail has left hop.drain on this branch at `end`. The only branch: the credits return then,
  // as for a unicast. One of several (a replicating router): they return after the last (below).
  auto leave = [&](const TreeHop& hop, std::uint64_t end, std::uint64_t parentStart) {
    TreeSlot& slot = slots[hop.drainSlot];
    if (slot.branches > 1) {
      slot.release = std::max(slot.release, end);
      return;
    }
    buffers[hop.drain].hold(end, flits);
    if (m_bufferObserver) m_bufferObserver(hop.drain, parentStart, end, flits);
  };
  // Credits: the whole packet must fit in every buffer the link fills (virtual cut-through). Occupancy only
  // falls after t (nothing else claims these buffers later than this packet), so one pass suffices.
  auto room = [&](const TreeHop& hop, std::uint64_t t) {
    if (hop.fill >= 0) return roomAt(buffers[hop.fill], t, flits);
    for (int b : m_busFills) t = roomAt(buffers[b], t, flits);
    return t;
  };

  // Parents come first, so each entry sees its parent's start. Entries of one packet share no link and fill no
  // common buffer; siblings drain a common one, whose release is recorded only after the loops. So they
  // constrain each other only through the parent's start, and the order among siblings does not matter.
  const TreeHop* tree = m_tree.data();
  start[0] = room(tree[0], std::max(readyCycle, linkFree[tree[0].link]));  // the injection link
  reserve(tree[0], start[0]);
  for (std::size_t e = 1, n = m_tree.size(); e < n; ++e) {
    const TreeHop& hop = tree[e];
    const std::uint64_t parentStart = start[hop.parent];
    const std::uint64_t t = room(hop, earliest(hop, parentStart));
    start[e] = t;
    reserve(hop, t);
    leave(hop, t + flits, parentStart);
  }
  const TreeHop* ejections = m_ejections.data();
  for (std::size_t e = 0, n = m_ejections.size(); e < n; ++e) {
    const TreeHop& hop = ejections[e];
    const std::uint64_t parentStart = start[hop.parent];
    const std::uint64_t t = earliest(hop, parentStart);  // an endpoint absorbs every flit: no credits
    m_ejectStart[e] = t;
    reserve(hop, t);
    leave(hop, t + flits, parentStart);
  }
  // Release rule of a replicating router: the copy in a buffer is released when the packet's tail has left on
  // the last of the branches fed from it.
  for (int s : m_sharedSlots) {
    TreeSlot& slot = slots[s];
    buffers[slot.buffer].hold(slot.release, flits);
    if (m_bufferObserver) m_bufferObserver(slot.buffer, start[slot.feeder], slot.release, flits);
    slot.release = 0;
  }
}

PacketDelivery PacketNoc::send(int src, int dst, std::uint64_t bits, std::uint64_t readyCycle) {
  checkEndpoint(src);
  checkEndpoint(dst);
  checkReady(readyCycle);
  PacketDelivery d;
  d.readyCycle = readyCycle;
  d.doneCycle = readyCycle;
  if (src == dst || bits == 0) return d;
  beginTree(src);
  const auto ejection = static_cast<std::size_t>(addBranch(src, dst));
  const std::uint64_t total = flitsOf(bits);
  const auto f = static_cast<std::uint64_t>(m_p.packetFlits);
  for (std::uint64_t sent = 0; sent < total; sent += f) {
    const std::uint64_t flits = std::min(f, total - sent);
    reservePacket(flits, readyCycle);
    d.doneCycle = m_ejectStart[ejection] + flits;  // the last packet arrives last
    ++d.packets;
  }
  d.bitHops = NocCore::bitHops(bits, m_treeNetworkLinks);  // a chain: its network links are the route's hops
  d.stallCycles = d.doneCycle - readyCycle - idleCycles(m_treeNetworkLinks, bits);
  return d;
}

std::vector<PacketDelivery> PacketNoc::multicast(int src, const std::vector<int>& dsts, std::uint64_t bits,
                                                 std::uint64_t readyCycle) {
  if (m_p.multicast == NocMulticast::Tree) return treeMulticast(src, dsts, bits, readyCycle);
  std::vector<PacketDelivery> out;
  out.reserve(dsts.size());
  for (std::size_t k = 0; k < dsts.size(); ++k) {
    const auto first = std::find(dsts.begin(), dsts.end(), dsts[k]);
    if (first != dsts.begin() + static_cast<std::ptrdiff_t>(k)) {  // listed again: share the first copy
      checkEndpoint(dsts[k]);
      PacketDelivery again = out[static_cast<std::size_t>(first - dsts.begin())];
      again.packets = 0;
      again.bitHops = 0;
      out.push_back(again);
      continue;
    }
    out.push_back(send(src, dsts[k], bits, readyCycle));
  }
  return out;
}

std::vector<PacketDelivery> PacketNoc::treeMulticast(int src, const std::vector<int>& dsts, std::uint64_t bits,
                                                     std::uint64_t readyCycle) {
  // Check everything before reserving anything: a throw leaves the network as it was.
  checkEndpoint(src);
  for (int d : dsts) checkEndpoint(d);
  checkReady(readyCycle);
  PacketDelivery none;
  none.readyCycle = readyCycle;
  none.doneCycle = readyCycle;
  std::vector<PacketDelivery> out(dsts.size(), none);
  const bool anyRemote = std::any_of(dsts.begin(), dsts.end(), [src](int d) { return d != src; });
  if (bits == 0 || !anyRemote) return out;

  beginTree(src);
  m_destEntry.clear();
  for (int d : dsts) m_destEntry.push_back(d == src ? -1 : addBranch(src, d));  // a repeat shares its entry
  const std::uint64_t total = flitsOf(bits);
  const auto f = static_cast<std::uint64_t>(m_p.packetFlits);
  std::uint64_t lastFlits = 0;
  for (std::uint64_t sent = 0; sent < total; sent += f) {
    lastFlits = std::min(f, total - sent);
    reservePacket(lastFlits, readyCycle);
  }
  for (std::size_t k = 0; k < dsts.size(); ++k) {
    if (m_destEntry[k] < 0) continue;
    PacketDelivery& d = out[k];
    d.doneCycle = m_ejectStart[static_cast<std::size_t>(m_destEntry[k])] + lastFlits;  // the last packet arrives last
    d.stallCycles = d.doneCycle - readyCycle - uncontendedCycles(src, dsts[k], bits);
  }
  // The transfer's totals go on the first record, so summing the records counts each tree link once.
  out.front().packets = packetsOf(bits);
  out.front().bitHops = NocCore::bitHops(bits, m_treeNetworkLinks);
  return out;
}

}  // namespace mxsim
