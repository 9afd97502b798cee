// Contract: packet-level interconnect core, no SystemC. A transfer is cut into packets that cross the source's
// injection port, the mesh links of the XY route (or the bus) and the destination's ejection port; router input
// buffers are finite, flow control is credit-based virtual cut-through, and `concentration` tiles share a
// router. Reserve-at-offer: send() and multicast() book every packet's link slots and buffer space at once, in
// offer order, so the schedule is causal and deterministic; a tree multicast replicates packets in routers.
// Model, equations and parameters: docs/noc.md, "Packet-level model (PacketNoc)".
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/noc/noc.h"

namespace mxsim {

/// Record of one unicast (or one destination of a multicast; a tree multicast puts the whole transfer's packets
/// and bit-hops on its first record, so the records of one call always sum to what the network carried).
struct PacketDelivery {
  std::uint64_t readyCycle = 0;   // cycle the transfer was offered
  std::uint64_t doneCycle = 0;    // the last flit of the last packet has left the destination's ejection port
  std::uint64_t packets = 0;      // packets sent (0: nothing crossed the network)
  std::uint64_t bitHops = 0;      // bits × router-to-router links (bus: bits × 1); action noc.bit_hop
  std::uint64_t stallCycles = 0;  // doneCycle − (readyCycle + uncontendedCycles): delay caused by other traffic
  std::uint64_t cycles() const { return doneCycle - readyCycle; }
};

class PacketNoc {
 public:
  /// One link occupation [startCycle, endCycle): the first flit enters the link at startCycle, the last has
  /// left it at endCycle. Reported when reserved (at send time, possibly ahead of simulated time); per link
  /// in time order, never overlapping.
  using IntervalObserver = std::function<void(int link, std::uint64_t startCycle, std::uint64_t endCycle)>;
  /// One packet's stay in one router input buffer: `flits` credits taken at claimCycle (its upstream link
  /// starts sending it) and returned at releaseCycle (its tail has left on the next link). For inspection.
  using BufferObserver =
      std::function<void(int buffer, std::uint64_t claimCycle, std::uint64_t releaseCycle, std::uint64_t flits)>;

  /// `tiles` ≥ 1. Mesh: ceil(tiles / concentration) + 1 routers with endpoints, laid out on the grid NocCore
  /// derives for that many nodes (mesh_cols / mesh_rows count routers). Throws ConfigError naming the key.
  PacketNoc(const NocParams& p, int tiles, const std::string& path = "chip.noc");

  // ---- endpoints and placement
  /// The global buffer / chip I/O: endpoint 0, attached to router 0 (the mesh corner).
  int ioEndpoint() const { return 0; }
  /// Tile t (0-based): endpoint t + 1, attached to router floor(t / concentration) + 1.
  int tileEndpoint(int tile) const;
  int endpoints() const { return m_tiles + 1; }
  int tiles() const { return m_tiles; }
  /// Router an endpoint attaches to; -1 on the bus (no routers: every endpoint has its own bus interface).
  int routerOf(int endpoint) const;
  /// Routers on the mesh: every grid slot, cols × rows (slots past the last router with endpoints still
  /// route and count for area, as in NocCore); 0 for the bus.
  int routers() const { return m_grid.routers(); }
  /// Routers with at least one endpoint: ceil(tiles / concentration) + 1 (mesh); 0 for the bus.
  int attachedRouters() const { return isBus() ? 0 : m_attachedRouters; }
  /// Router-to-router links on the XY route between the endpoints' routers; bus: 1 between different
  /// endpoints; 0 if src == dst or both share a router.
  int hops(int srcEndpoint, int dstEndpoint) const;

  // ---- timing
  std::uint64_t flitsOf(std::uint64_t bits) const { return m_grid.flits(bits); }
  /// ceil(flitsOf(bits) / packet_flits).
  std::uint64_t packetsOf(std::uint64_t bits) const;
  /// Closed form of send() on an idle network (docs/noc.md): (h + 1)·L + F for a single packet or when the
  /// buffers sustain the link rate; the credit-limited packet spacing otherwise. 0 if src == dst or bits == 0.
  std::uint64_t uncontendedCycles(int src, int dst, std::uint64_t bits) const;
  /// Reserve every packet of the transfer, in order, behind everything offered before; returns when the last
  /// packet's tail reaches dst. readyCycle must not decrease from call to call (std::logic_error).
  PacketDelivery send(int src, int dst, std::uint64_t bits, std::uint64_t readyCycle);
  /// One transfer to several endpoints, offered at readyCycle; one record per destination, in the order given.
  /// params().multicast = Tree: routers replicate packets. Every link of the union of the XY routes (plus the
  /// source's injection port once and each destination's ejection port once; bus: the bus once) carries each
  /// packet once; a router input buffer holds a packet until it has left on every branch fed from it. The
  /// first record carries the transfer's packets and bit-hops (bits × tree links), the others 0.
  /// Unicast: repeated send()s in destination order. Either way a destination equal to src is delivered at
  /// readyCycle, and a destination listed again gets its first record's doneCycle with packets = bitHops = 0.
  std::vector<PacketDelivery> multicast(int src, const std::vector<int>& dsts, std::uint64_t bits,
                                        std::uint64_t readyCycle);
  /// max over dsts of uncontendedCycles(src, d, bits): a tree multicast's last delivery on an idle network
  /// (exact for every buffer size: each branch repeats the unicast schedule, docs/noc.md). Repeated unicasts
  /// serialise at the source and take longer. 0 if dsts is empty.
  std::uint64_t uncontendedMulticastCycles(int src, const std::vector<int>& dsts, std::uint64_t bits) const;

  // ---- links: [0, networkLinks()) the mesh links of NocCore (bus: the bus, id 0), then one injection link
  // per endpoint, then one ejection link per endpoint.
  int linkCount() const { return m_networkLinks + 2 * endpoints(); }
  int networkLinks() const { return m_networkLinks; }
  int injectionLink(int endpoint) const;
  int ejectionLink(int endpoint) const;
  /// "r3->r4" (mesh link), "bus", "tile5->r2" / "io->r0" (injection), "r2->tile5" (ejection); bus ports:
  /// "tile5->bus", "bus->tile5".
  std::string linkName(int link) const;
  /// Cycles the link is reserved for so far (including reservations that end in the future).
  std::uint64_t linkBusyCycles(int link) const { return m_linkBusy.at(static_cast<std::size_t>(link)); }
  /// First cycle at which the link has no reservation left.
  std::uint64_t linkFreeAt(int link) const { return m_linkFree.at(static_cast<std::size_t>(link)); }
  void setIntervalObserver(IntervalObserver f) { m_intervalObserver = std::move(f); }

  // ---- buffers (inspection): mesh: buffer l < networkLinks() is the input port fed by mesh link l, buffer
  // networkLinks() + e the local input port fed by endpoint e's injection link. Bus: buffer e is endpoint e's
  // transmit queue (fed by its injection link), buffer endpoints() + e its receive queue (fed by the bus).
  int bufferCount() const { return static_cast<int>(m_buffers.size()); }
  std::uint64_t bufferCapacityFlits() const { return static_cast<std::uint64_t>(m_p.routerBufferFlits); }
  std::string bufferName(int buffer) const;
  void setBufferObserver(BufferObserver f) { m_bufferObserver = std::move(f); }

  /// Mesh: routers() × router_area; bus: bus_area.
  double areaM2() const { return m_grid.areaM2(); }
  const NocParams& params() const { return m_p; }
  /// The router grid (a NocCore with attachedRouters() − 1 "tiles"): geometry and XY routes between routers.
  const NocCore& grid() const { return m_grid; }

 private:
  struct Held {
    std::uint64_t releaseCycle;
    std::uint64_t flits;
  };
  /// One input buffer: the packets holding its credits, oldest first, in a ring that only grows (a
  /// std::deque allocated and freed a block every few packets on the hot path).
  struct Buffer {
    std::vector<Held> ring;         // size 0 or a power of two
    std::size_t mask = 0;           // ring.size() − 1
    std::size_t head = 0;           // oldest holder
    std::size_t count = 0;          // holders
    std::uint64_t heldFlits = 0;    // Σ flits of the holders
    std::uint64_t lastRelease = 0;  // release cycle of the last packet that entered (FIFO: the next leaves after)

    const Held& oldest() const { return ring[head]; }
    void dropOldest() {
      heldFlits -= ring[head].flits;
      head = (head + 1) & mask;
      --count;
    }
    /// A packet of `flits` holds the buffer until releaseCycle (≥ every earlier holder's: FIFO).
    void hold(std::uint64_t releaseCycle, std::uint64_t flits) {
      if (count == ring.size()) grow();
      ring[(head + count) & mask] = Held{releaseCycle, flits};
      ++count;
      heldFlits += flits;
      lastRelease = releaseCycle;
    }
    void grow();
  };
  // The links one transfer occupies, as a tree (a unicast is a chain). Every packet crosses each entry's link
  // once. m_tree holds the links that fill a router buffer, parents before children: the source's injection
  // link first, then mesh links (or the bus); m_ejections the ejection links, whose parents are in m_tree.
  // (Two lists, so the hot loops need no per-entry test of the kind of link.) A link drains the buffer its
  // parent filled; the bus crossing of a multicast fills every destination's receive queue.
  static constexpr int kFillsReceiveQueues = -2;  // TreeHop::fill of a bus crossing that fills m_busFills
  struct TreeHop {
    int link;
    int parent;     // m_tree entry whose link precedes this one; -1 for the source's injection link
    int fill;       // buffer this link fills; -1 for an ejection link; kFillsReceiveQueues
    int drain;      // buffer this link drains; -1 for the injection link
    int drainSlot;  // slot of `drain`; -1 for the injection link
  };
  // A buffer the tree fills.
  struct TreeSlot {
    int buffer;
    int feeder;                 // m_tree entry whose link fills it
    int branches = 0;           // entries that drain it; if several, the packet is released after all of them
    std::uint64_t release = 0;  // scratch while reserving one packet: the latest end over those entries
  };

  bool isBus() const { return m_p.topology == NocTopology::Bus; }
  void checkEndpoint(int endpoint) const;
  void checkReady(std::uint64_t readyCycle);
  /// Start a tree at src: its injection link.
  void beginTree(int src);
  /// Add the route from the tree's source to dst (dst ≠ src); returns the index of dst's ejection link in
  /// m_ejections.
  int addBranch(int src, int dst);
  /// uncontendedCycles for a route of h router-to-router links (bits > 0, different endpoints).
  std::uint64_t idleCycles(int h, std::uint64_t bits) const;
  /// Earliest cycle ≥ t at which `flits` more fit in b (drops packets released by then).
  std::uint64_t roomAt(Buffer& b, std::uint64_t t, std::uint64_t flits) const;
  /// Reserve one packet along the tree; m_start then holds its start cycle on every m_tree entry and
  /// m_ejectStart on every ejection link.
  void reservePacket(std::uint64_t flits, std::uint64_t readyCycle);
  std::vector<PacketDelivery> treeMulticast(int src, const std::vector<int>& dsts, std::uint64_t bits,
                                            std::uint64_t readyCycle);

  NocParams m_p;
  int m_tiles;
  int m_attachedRouters;
  NocCore m_grid;
  int m_networkLinks;
  std::vector<std::uint64_t> m_linkFree;
  std::vector<std::uint64_t> m_linkBusy;
  std::vector<Buffer> m_buffers;
  // Scratch for the transfer being reserved, reused from call to call (no allocation once grown).
  std::vector<TreeHop> m_tree;
  std::vector<TreeHop> m_ejections;
  std::vector<TreeSlot> m_slots;            // every buffer the tree fills
  std::vector<int> m_sharedSlots;           // the slots drained by several entries (replicating routers)
  std::vector<int> m_slotOfBuffer;          // per buffer: its slot in the current tree, else -1 (reset by beginTree)
  std::vector<int> m_busFills;              // receive queues a multicast's bus crossing fills
  std::vector<int> m_stepLink;              // mesh: [router · 4 + {east, west, south, north}] → link id
  std::vector<std::uint64_t> m_start;       // per m_tree entry: the current packet's start cycle on its link
  std::vector<std::uint64_t> m_ejectStart;  // per m_ejections entry: likewise
  std::vector<int> m_entryOfLink;  // per link: its index in m_tree or m_ejections, -1 if none (reset by beginTree)
  std::vector<int> m_destEntry;    // per destination of a multicast: its m_ejections index, -1 for src itself
  int m_treeNetworkLinks = 0;      // entries on mesh links (or the bus): the tree's hops for bit-hops
  std::uint64_t m_lastReady = 0;
  IntervalObserver m_intervalObserver;
  BufferObserver m_bufferObserver;
};

}  // namespace mxsim
