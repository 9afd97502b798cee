// Contract: on-chip interconnect between the global buffer and the tiles, no SystemC. A shared bus or a 2-D
// mesh with XY routing; node 0 is the global buffer (a mesh corner), node t + 1 is tile t. NocCore gives
// routes, the uncontended transfer time hops·hop_latency + ceil(bits / link_width) (virtual cut-through),
// bit-hops and area; NocScheduler adds contention, event by event: each directed link has a next-free cycle
// and serves requests first come first served (ties in offer order). Model and parameters: docs/noc.md.
#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/core/config.h"

namespace mxsim {

namespace action {
/// One bit crossing one link (mesh: one router + the link to the neighbour; bus: one bus transaction).
/// Declared here, not in sim/core/actions.h: only the interconnect counts it. Priced by
/// chip.noc.energy_per_bit_hop (NocParams::energyPerBitHopJ).
inline constexpr const char* kNocBitHop = "noc.bit_hop";
}  // namespace action

enum class NocTopology {
  Bus,   // one shared medium: every transfer crosses it once (1 hop); transfers serialise on it
  Mesh,  // 2-D mesh of routers, one per node, XY (dimension-order) routing; full-duplex links
};

/// How a transfer to several destinations is carried.
enum class NocMulticast {
  Tree,     // one copy per link of the union of the XY routes (routers replicate flits); bus: one broadcast
  Unicast,  // one unicast per destination, in the order given
};

struct NocParams {
  static constexpr int kDefaultLinkWidthBits = 32;
  static constexpr int kDefaultHopLatencyCycles = 2;
  static constexpr int kDefaultPacketFlits = 16;
  static constexpr int kDefaultRouterBufferFlits = 64;
  static constexpr int kMaxPacketFlits = 1 << 16;
  static constexpr int kMaxRouterBufferFlits = 1 << 20;
  static constexpr int kMaxConcentration = 64;
  /// Bound on a given mesh_cols × mesh_rows: twice the routers of the largest derived mesh (2^20 tiles), and a
  /// router count that fits an int (65536 × 65536 overflowed and crashed the router).
  static constexpr std::int64_t kMaxMeshRouters = std::int64_t{1} << 21;

  NocTopology topology = NocTopology::Mesh;
  int linkWidthBits = kDefaultLinkWidthBits;        // bits a link (or the bus) moves per cycle: one flit
  int hopLatencyCycles = kDefaultHopLatencyCycles;  // cycles for a head flit to cross one router + link
  int meshCols = 0;                                 // 0: derived from the node count (see NocCore)
  int meshRows = 0;                                 // 0: derived from the node count and meshCols
  NocMulticast multicast = NocMulticast::Tree;
  double energyPerBitHopJ = 0.137e-12;  // J per bit per hop (action noc.bit_hop)
  double routerAreaM2 = 0.151e-6;       // m² per mesh router (default: ISAAC's, see routerAreaFor)
  double busAreaM2 = 0.090e-6;          // m² for the whole bus
  // Packet-level model only (PacketNoc, models/noc/packet_noc.h); NocCore and NocScheduler ignore these.
  int packetFlits = kDefaultPacketFlits;              // flits per packet (the last packet of a transfer may be shorter)
  int routerBufferFlits = kDefaultRouterBufferFlits;  // capacity of one router input-port buffer; >= packetFlits
  int concentration = 1;                              // tiles sharing one mesh router (mesh only)

  /// Throws ConfigError naming the key under `path` (e.g. chip.noc.link_width) if a value breaks the model.
  void validate(const std::string& path = "chip.noc") const;
  static NocParams fromConfig(ConfigReader& r);
};

/// ISAAC's router (Shafiee et al., ISCA 2016, Table I): 8 ports, 32-bit flits, 0.151 mm² at 32 nm.
inline constexpr int kIsaacRouterPorts = 8;
inline constexpr int kIsaacRouterFlitBits = 32;
inline constexpr double kIsaacRouterAreaM2 = 0.151e-6;
/// Ports of a mesh router: 4 neighbours + one local port per tile it serves (concentration).
inline int meshRouterPorts(int concentration) { return 4 + concentration; }
/// Area of a mesh router with `ports` ports of `flitBits`-bit flits, from ISAAC's at 32 nm: a router of this
/// size is input-buffer dominated (a matrix crossbar of 8 × 32-bit ports at a 0.2 um wire pitch is
/// (8·32·0.2 um)² = 0.0026 mm², 2 % of 0.151 mm²: ORION 2.0's crossbar model, Kahng et al. DATE 2009), and
/// buffers grow with ports × flit width, so area = 0.151 mm² × ports·width / (8·32). docs/noc.md.
inline double routerAreaFor(int ports, int flitBits) {
  return kIsaacRouterAreaM2 * static_cast<double>(ports) * static_cast<double>(flitBits) /
         (static_cast<double>(kIsaacRouterPorts) * static_cast<double>(kIsaacRouterFlitBits));
}

/// A directed link from router `from` to router `to` (mesh), or the bus (from = to = -1).
struct NocLink {
  int from = -1;
  int to = -1;
};

/// The link occupations of one transfer, as a forest rooted at the source: a unicast route is a chain, a
/// tree multicast the union of the XY routes (a tree because XY routes from one source share their prefixes),
/// repeated unicasts one chain per destination. Parents precede their children.
struct NocTree {
  std::vector<int> links;     // per entry: link id
  std::vector<int> parent;    // per entry: index of the entry feeding it; -1 if it leaves the source
  std::vector<int> lastLink;  // per destination: index of the entry that delivers to it; -1 if it is the source
  /// Hops to destination d (links on its route).
  int hopsTo(std::size_t d) const;
};

/// One link busy from startCycle (first flit on the link) to endCycle (exclusive; last flit has left).
struct NocInterval {
  int link = 0;
  std::uint64_t startCycle = 0;
  std::uint64_t endCycle = 0;
};

/// Record of one transfer (unicast or multicast); complete once it is delivered.
struct NocDelivery {
  std::uint64_t readyCycle = 0;               // cycle the transfer was offered to the network
  std::uint64_t doneCycle = 0;                // last destination has received the last flit
  std::vector<std::uint64_t> deliveredCycle;  // per destination, in the order given
  std::vector<NocInterval> busy;              // its link occupations, one per tree entry
  std::uint64_t bitHops = 0;                  // bits × links occupied (action noc.bit_hop)
  std::uint64_t cycles() const { return doneCycle - readyCycle; }
};

class NocCore {
 public:
  /// Node of the global buffer: a corner of the mesh, (x, y) = (0, 0).
  static constexpr int kGlobalBufferNode = 0;
  /// Node of tile t (0-based): t + 1.
  static constexpr int tileNode(int tile) { return tile + 1; }

  /// `tiles` ≥ 1. Resolves the mesh size: with neither mesh_cols nor mesh_rows set, cols = ceil(√N) and
  /// rows = ceil(N / cols) for N = tiles + 1 nodes; with one set, the other is ceil(N / it). Throws ConfigError
  /// naming the keys under `path` if an explicit size cannot hold the nodes.
  NocCore(const NocParams& p, int tiles, const std::string& path = "chip.noc");

  int tiles() const { return m_tiles; }
  int nodes() const { return m_tiles + 1; }
  /// Mesh grid; 1 × 1 for the bus.
  int cols() const { return m_cols; }
  int rows() const { return m_rows; }
  /// Mesh routers: cols × rows (grid slots past the last node hold routers with no endpoint, which still
  /// route); 0 for the bus.
  int routers() const { return m_p.topology == NocTopology::Mesh ? m_cols * m_rows : 0; }
  /// Row-major position of a mesh node or router: x = id mod cols (east is +x), y = id / cols (south is +y).
  int xOf(int id) const { return id % m_cols; }
  int yOf(int id) const { return id / m_cols; }

  int linkCount() const { return static_cast<int>(m_links.size()); }
  const NocLink& link(int id) const { return m_links.at(static_cast<std::size_t>(id)); }
  /// "bus", or "<from>-><to>" with router ids (a VCD writer may rename).
  std::string linkName(int id) const;
  /// Id of the directed mesh link from router `from` to its neighbour `to`; -1 if they are not neighbours
  /// (or for the bus).
  int linkId(int from, int to) const;

  /// Links from src to dst in order: XY routing (first along x to the destination column, then along y);
  /// the bus: {0}. Empty if src == dst. Throws std::out_of_range for a node outside [0, nodes()).
  std::vector<int> route(int src, int dst) const;
  /// Links on the route: |dx| + |dy| on the mesh; 1 on the bus; 0 if src == dst.
  int hops(int src, int dst) const;
  /// The links a transfer from src to every destination occupies (union of the routes, duplicates of a
  /// destination allowed). Every tree link carries the data once.
  NocTree tree(int src, const std::vector<int>& dsts) const;
  /// Repeated unicasts: one chain of entries per distinct destination, in the order given (a link shared by
  /// several routes appears once per copy). A repeated destination shares its first copy.
  NocTree unicastCopies(int src, const std::vector<int>& dsts) const;

  /// Flits of a transfer: ceil(bits / link_width).
  std::uint64_t flits(std::uint64_t bits) const {
    const auto w = static_cast<std::uint64_t>(m_p.linkWidthBits);
    return (bits + w - 1) / w;
  }
  /// Uncontended transfer: hops · hop_latency + ceil(bits / link_width) (virtual cut-through: the head pays
  /// the latency of every hop, the body follows one flit per cycle). 0 if nothing is sent (bits = 0 or
  /// hops = 0).
  std::uint64_t transferCycles(std::uint64_t bits, int hops) const {
    if (!bits || hops <= 0) return 0;
    return static_cast<std::uint64_t>(hops) * static_cast<std::uint64_t>(m_p.hopLatencyCycles) + flits(bits);
  }
  /// Uncontended unicast from src to dst.
  std::uint64_t unicastCycles(int src, int dst, std::uint64_t bits) const {
    return transferCycles(bits, hops(src, dst));
  }
  /// Action count of a transfer over `hops` links: bits × hops (noc.bit_hop).
  static std::uint64_t bitHops(std::uint64_t bits, int hops) {
    return hops > 0 ? bits * static_cast<std::uint64_t>(hops) : 0;
  }
  /// Energy of `bitHops` actions at energy_per_bit_hop (for reports that do not price noc.bit_hop from the
  /// energy table).
  double joules(std::uint64_t bitHops) const { return m_p.energyPerBitHopJ * static_cast<double>(bitHops); }
  /// Mesh: routers() × router_area; bus: bus_area.
  double areaM2() const;

  const NocParams& params() const { return m_p; }

 private:
  void checkNode(int node) const;

  NocParams m_p;
  int m_tiles;
  int m_cols = 1;
  int m_rows = 1;
  std::vector<NocLink> m_links;
  std::vector<int> m_linkOfPort;  // mesh: [router · 4 + direction] -> link id or -1
};

using NocTransferId = std::uint64_t;

/// Contention between transfers, event by event (no clock). Every directed link (the bus: its one link) has a
/// next-free cycle. A transfer offered at cycle r requests each link leaving its source at r + hop_latency; a
/// link requested at cycle t is granted at s = max(t, next-free) and is then busy for ceil(bits / link_width)
/// cycles; the links fed by it are requested at s + hop_latency (virtual cut-through: a blocked head waits in
/// the router, upstream links are released when the tail has passed). Requests are granted in time order,
/// ties (same link, same cycle) in offer order (then destination order): per link, first come first served.
/// A destination has the data when its last link has carried the last flit. Pure; no SystemC.
class NocScheduler {
 public:
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  using GrantObserver = std::function<void(const NocInterval&)>;

  explicit NocScheduler(const NocCore& core);

  /// Offer a transfer at `readyCycle`. Offers must not reach back before processed time:
  /// readyCycle + hop_latency > the last advanceTo() cycle (std::logic_error otherwise).
  NocTransferId offer(int src, int dst, std::uint64_t bits, std::uint64_t readyCycle);
  /// One transfer to every destination: a tree multicast or repeated unicasts (params().multicast).
  NocTransferId offerMulticast(int src, const std::vector<int>& dsts, std::uint64_t bits, std::uint64_t readyCycle);

  /// Grant every request and complete every delivery due at or before `cycle`; returns the number of
  /// transfers delivered by this call.
  std::size_t advanceTo(std::uint64_t cycle);
  /// Everything offered so far, to the end (later offers must then start after the last event processed).
  std::size_t drain() { return advanceTo(kNever); }
  /// Cycle of the next request or delivery; kNever if nothing is in flight.
  std::uint64_t nextEventCycle() const { return m_events.empty() ? kNever : m_events.top().cycle; }

  bool delivered(NocTransferId id) const { return find(id).delivered; }
  /// The transfer's record; complete (every destination and link filled in) once delivered().
  const NocDelivery& delivery(NocTransferId id) const { return find(id).result; }
  /// Return a delivered transfer's record and forget it (std::logic_error if not delivered yet).
  NocDelivery collect(NocTransferId id);
  /// Transfers offered and not yet collected.
  std::size_t pending() const { return m_transfers.size(); }

  std::uint64_t freeAt(int link) const { return m_freeAt.at(static_cast<std::size_t>(link)); }
  /// Cycles the link has been granted for (including occupations that end in the future).
  std::uint64_t busyCycles(int link) const { return m_busy.at(static_cast<std::size_t>(link)); }
  /// Called once per link occupation, when it is granted (its interval may lie in the future). Per link,
  /// grants come in time order and do not overlap.
  void setGrantObserver(GrantObserver f) { m_observer = std::move(f); }
  const NocCore& core() const { return m_core; }

 private:
  struct Transfer {
    NocTree tree;
    std::vector<int> childBegin;  // children of entry i: childList[childBegin[i] .. childBegin[i + 1])
    std::vector<int> childList;
    std::uint64_t flits = 0;
    std::size_t ungranted = 0;
    bool delivered = false;
    NocDelivery result;  // busy[i] is the occupation of tree entry i
  };
  struct Event {
    std::uint64_t cycle;
    NocTransferId id;
    int entry;  // tree entry requesting its link; -1: delivery
    bool operator>(const Event& o) const {
      if (cycle != o.cycle) return cycle > o.cycle;
      if (id != o.id) return id > o.id;
      return entry > o.entry;
    }
  };

  NocTransferId add(NocTree tree, std::uint64_t bits, std::uint64_t readyCycle);
  void grant(const Event& e);
  const Transfer& find(NocTransferId id) const;

  const NocCore& m_core;
  std::vector<std::uint64_t> m_freeAt;
  std::vector<std::uint64_t> m_busy;
  std::unordered_map<NocTransferId, Transfer> m_transfers;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> m_events;
  NocTransferId m_nextId = 0;
  std::uint64_t m_processedUpTo = 0;  // every event at or before this cycle has been processed
  bool m_anyProcessed = false;
  GrantObserver m_observer;
};

}  // namespace mxsim
