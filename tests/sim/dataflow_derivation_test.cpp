// SystemC scenario: the dataflow chip model (per-tile memories, sim/timing/dataflow_top.h) against hand
// derivations, seven chips side by side. Every expected cycle count is built below from the blocks' own
// closed forms (array stage cycles, global-buffer access time, the interconnect's uncontended transfer time,
// tile-memory and ALU cycles), composed by the schedule rules of docs/chip.md:
//   - the graph input streams row by row from the global buffer (one read of a row's bits, back to back);
//   - a conv output row r is issued when input row min(H−1, r·stride − pad + k − 1) has arrived in its tile
//     memory and the layer's arrays have taken the previous row's vectors (n·interval cycles later);
//   - the row is done latency + (n − 1)·interval after issue; partial sums of other tiles then travel to the
//     home tile, whose ALU takes ceil((adds + ops) / lanes) cycles; the row is then sent to its consumers
//     and written into their tile memories (one access), or to the global buffer for the graph output.
#include <gtest/gtest.h>

#include "sim/mapping/mapping.h"
#include "tests/support/chip_runs.h"
#include "tests/support/dataflow_runs.h"
#include "tests/support/graph_builder.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

ChipParams derivationChip() {
  ChipParams chip = ChipParams::fromYaml(YAML::Node(YAML::NodeType::Map));
  testing::applySmallTimingChip(chip);  // 16x2 arrays: DAC 2, read 7, one 3-cycle ADC; GB 64 bit, 2-cycle access
  chip.sram.activationBits = 8;
  chip.tiles = 4;
  chip.arraysPerTile = 1;
  chip.tile.memoryBytes = 4096;
  chip.tile.memoryWordBits = 256;  // every row read or write here is one access
  chip.tile.digitalLanes = 4;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = NocTopology::Mesh;
  chip.noc.linkWidthBits = 16;
  chip.noc.hopLatencyCycles = 3;
  chip.noc.packetFlits = 4;
  chip.noc.routerBufferFlits = 64;
  chip.noc.concentration = 1;
  chip.schedule = Schedule::Pipelined;
  return chip;
}

/// input 1xHxW -> conv(1 -> c1, 3x3, pad 1) [-> conv(c1 -> c2, 3x3, pad 1)]
wl::Program convChain(int h, int w, int c1, int c2, int inC = 1) {
  testing::GraphBuilder g(inC, h, w);
  int x = g.conv(g.input(), c1, 3, 1, 1);
  if (c2 > 0) x = g.conv(x, c2, 3, 1, 1);
  return g.finish(x);
}

testing::DataflowCase makeCase(const std::string& name, const wl::Program& p, ChipParams chip,
                               std::vector<bool> signedInputs = {}) {
  testing::DataflowCase c;
  c.name = name;
  c.program = &p;
  c.chip = chip;
  c.mapping = mapProgram(p, chip);
  c.signedInputs = signedInputs.empty() ? std::vector<bool>(c.mapping.layers.size(), false) : signedInputs;
  return c;
}

struct Derivation {
  std::uint64_t gbRead, gbWrite;  // global buffer: one row in / out
  std::uint64_t lat, ii;          // array stage latency and interval per vector
  std::uint64_t memAccess = 1;
};

TEST(DataflowDerivation, CyclesEqualTheirDerivations) {
  const ChipParams base = derivationChip();
  const wl::Program one = convChain(4, 4, 2, 0);        // A: one conv on one tile
  const wl::Program two = convChain(4, 4, 1, 2);        // B: conv(1->1) on tile 0 -> conv(1->2) on tile 1
  const wl::Program wide = convChain(4, 4, 2, 0, 2);    // C: K = 18 > 16 rows: two row blocks on two tiles
  const wl::Program tall = convChain(8, 8, 1, 2);       // E: 8 rows, a slow consumer (two input phases)
  testing::GraphBuilder fb(1, 4, 4);                     // F: conv(1->1, 3x3) -> conv(1->2, 1x1, stride 2)
  const wl::Program strided = fb.finish(fb.conv(fb.conv(fb.input(), 1, 3, 1, 1), 2, 1, 2, 0));
  testing::GraphBuilder gb2(1, 4, 4);                    // G: x = conv (tile 0) read by two convs (tiles 1, 2)
  const int gx = gb2.conv(gb2.input(), 1, 3, 1, 1);
  const int ga = gb2.conv(gx, 1, 3, 1, 1), gbr = gb2.conv(gx, 1, 3, 1, 1);
  const wl::Program fanout = gb2.finish(gb2.addSkip(ga, gbr));
  ChipParams seq = base;
  seq.schedule = Schedule::Sequential;
  ChipParams narrow = base;
  narrow.noc.linkWidthBits = 1;  // D: 32-bit rows take 32 cycles per link
  ChipParams row = base;
  row.noc.meshCols = 5;          // G: io, tiles 0..3 in one row: tile 0 -> tile 2 passes tile 1's router
  ChipParams tight = base;
  tight.tile.memoryBytes = 32;   // E: 4 rows of 64 bits in each tile
  std::vector<testing::DataflowCase> cases = {
      makeCase("A", one, base),          makeCase("B", two, base),          makeCase("Bseq", two, seq),
      makeCase("C", wide, base),         makeCase("D", two, narrow),        makeCase("Etight", tall, tight, {false, true}),
      makeCase("Eroomy", tall, base, {false, true}), makeCase("F", strided, base),
      makeCase("G", fanout, row)};
  auto runs = testing::runDataflowSideBySide(cases);

  const PacketNoc noc(base.noc, base.tiles);
  const ArrayCore core(base.array, base.deviceNoise);
  const SramCore gb(base.sram);
  const int io = noc.ioEndpoint();
  auto tile = [&](int t) { return noc.tileEndpoint(t); };
  auto U = [&](int a, int b, std::uint64_t bits) { return noc.uncontendedCycles(a, b, bits); };
  auto alu = [&](std::uint64_t ops) { return ceilDiv(ops, 4); };

  // ---- A: input 1x4x4 (32-bit rows), conv 3x3 pad 1 -> 2x4x4 on tile 0 (one 9x2 block).
  {
    const StageCycles sc = core.cyclesPerVector(2, 1);
    const std::uint64_t n = 4, rowCycles = sc.latency() + (n - 1) * sc.interval(), issue = n * sc.interval();
    const std::uint64_t read = gb.transferCycles(32, SramAccess::Read);
    // Input row i is read by (i+1)·read and stored at (i+1)·read + U(io, t0, 32) + 1.
    auto arrive = [&](std::uint64_t i) { return (i + 1) * read + U(io, tile(0), 32) + 1; };
    // Row r needs input row min(3, r + 1); the arrays take a row every `issue` cycles.
    std::uint64_t t = arrive(1);
    std::vector<std::uint64_t> T = {t};
    for (std::uint64_t r = 1; r < 4; ++r) T.push_back(t = std::max(arrive(std::min<std::uint64_t>(3, r + 1)), t + issue));
    const std::uint64_t ops = 2 * n * 2;  // scale and bias per output
    const std::uint64_t last = T[3] + rowCycles + alu(ops);
    const std::uint64_t expected = last + U(tile(0), io, 64) + gb.transferCycles(64, SramAccess::Write);
    EXPECT_EQ(runs[0]->result.totalCycles, expected);
    for (std::size_t r = 0; r < 4; ++r) EXPECT_EQ(runs[0]->top->rowStarts()[0][r], T[r]) << "row " << r;
    EXPECT_EQ(runs[0]->result.layers[0].startCycle, T[0]);
  }

  // ---- B: conv1 (1->1, tile 0) streams rows to conv2 (1->2, tile 1): a two-layer row pipeline.
  std::uint64_t pipelined = 0;
  {
    const StageCycles s1 = core.cyclesPerVector(1, 1), s2 = core.cyclesPerVector(2, 1);
    const std::uint64_t n = 4, read = gb.transferCycles(32, SramAccess::Read);
    const std::uint64_t row1 = s1.latency() + (n - 1) * s1.interval(), issue1 = n * s1.interval();
    const std::uint64_t row2 = s2.latency() + (n - 1) * s2.interval(), issue2 = n * s2.interval();
    auto in = [&](std::uint64_t i) { return (i + 1) * read + U(io, tile(0), 32) + 1; };
    auto need = [](std::uint64_t r) { return std::min<std::uint64_t>(3, r + 1); };
    std::vector<std::uint64_t> T1, E1, F, T2;
    for (std::uint64_t r = 0; r < 4; ++r) {
      T1.push_back(std::max(in(need(r)), r ? T1[r - 1] + issue1 : 0));
      E1.push_back(T1[r] + row1 + alu(2 * n * 1));
      F.push_back(E1[r] + U(tile(0), tile(1), 32) + 1);  // stored in tile 1's memory
    }
    for (std::uint64_t r = 0; r < 4; ++r) T2.push_back(std::max(F[need(r)], r ? T2[r - 1] + issue2 : 0));
    pipelined = T2[3] + row2 + alu(2 * n * 2) + U(tile(1), io, 64) + gb.transferCycles(64, SramAccess::Write);
    EXPECT_EQ(runs[1]->result.totalCycles, pipelined);
    for (std::size_t r = 0; r < 4; ++r) {
      EXPECT_EQ(runs[1]->top->arrivals()[1][0][r], F[r]) << "conv1 row " << r << " stored in tile 1";
      EXPECT_EQ(runs[1]->top->rowStarts()[1][r], T2[r]) << "conv2 row " << r;
    }
    // conv2's first row starts on the arrival of conv1's row 1, long before conv1 has finished.
    EXPECT_LT(T2[0], E1[3]);

    // Sequential: conv1 starts when the whole input is stored, conv2 when conv1 has finished the image.
    std::vector<std::uint64_t> S1, G, S2;
    for (std::uint64_t r = 0; r < 4; ++r) {
      S1.push_back(std::max(in(3), r ? S1[r - 1] + issue1 : 0));
      G.push_back(S1[r] + row1 + alu(2 * n) + U(tile(0), tile(1), 32) + 1);
    }
    const std::uint64_t conv1Done = S1[3] + row1 + alu(2 * n);
    for (std::uint64_t r = 0; r < 4; ++r) S2.push_back(std::max({G[3], conv1Done, r ? S2[r - 1] + issue2 : 0}));
    const std::uint64_t sequential =
        S2[3] + row2 + alu(2 * n * 2) + U(tile(1), io, 64) + gb.transferCycles(64, SramAccess::Write);
    EXPECT_EQ(runs[2]->result.totalCycles, sequential);
    EXPECT_LT(pipelined, sequential);
    // Same work, same actions.
    EXPECT_EQ(runs[1]->result.ledger.total(action::kXbarCellRead), runs[2]->result.ledger.total(action::kXbarCellRead));
  }

  // ---- C: two row blocks on tiles 0 and 1; tile 1's partial sums (4 vectors x 2 columns x 16 bits) travel
  // to tile 0, whose ALU adds them (8 adds) and scales (16 ops): 24 / 4 lanes = 6 cycles.
  {
    const auto& top = *runs[3]->top;
    const std::uint64_t rowCycles = core.cyclesPerVector(2, 1).latency() + 3 * core.cyclesPerVector(2, 1).interval();
    const std::uint64_t reduce = U(tile(1), tile(0), 4 * 2 * 16) + alu(8 + 16);
    for (std::size_t r = 0; r < 4; ++r)
      EXPECT_EQ(top.rowEnds()[0][r] - top.rowStarts()[0][r], rowCycles + reduce) << "row " << r;
    // Tile 0 holds 16 of the 18 input rows (channels), tile 1 the other 2: each receives its share of a row.
    const DataflowEdge& e = runs[3]->plan.steps[0].inputs[0];
    ASSERT_EQ(e.tiles.size(), 2u);
    EXPECT_EQ(e.bitsPerRow[0], ceilDiv(64 * 16, 18));
    EXPECT_EQ(e.bitsPerRow[1], ceilDiv(64 * 2, 18));
  }

  // ---- D: 1-bit links: every 32-bit row takes 32 cycles on each link, more than the arrays' 28 cycles per
  // row, so rows arrive 32 cycles apart at tile 1: the interconnect bounds the pipeline.
  {
    const auto& arr = runs[4]->top->arrivals()[1][0];
    const std::uint64_t issue = 4 * core.cyclesPerVector(1, 1).interval();
    ASSERT_LT(issue, 32u);
    for (std::size_t r = 1; r < 4; ++r) EXPECT_EQ(arr[r] - arr[r - 1], 32u) << "row " << r;
    EXPECT_GT(runs[4]->result.totalCycles, pipelined);
  }

  // ---- E: conv2 takes two input phases (twice conv1's time per row), so conv1 runs ahead until conv2's
  // tile memory is full and then waits for a free row (back-pressure). conv2 releases the input rows before
  // firstNeeded(r + 1) = r once row r's 8 vectors have entered its arrays (start + 8 intervals); conv1's row g
  // needs g − released < S free, so it is sent when conv2's row g − S + 1 has entered, and arrives
  // U(t0, t1, 64) + 1 cycles later. Tile 1's memory holds exactly the 4 rows conv2 needs at once (the kernel's 3
  // plus 1 of the capacity left: 32 B of 8-byte rows) in the tight case, 3 + stride + 1 = 5 in the roomy one.
  {
    const StageCycles s2 = core.cyclesPerVector(2, 2);
    const std::uint64_t issue2 = 8 * s2.interval();
    ASSERT_EQ(s2.interval(), 2 * core.cyclesPerVector(1, 1).interval());
    for (std::size_t k : {5u, 6u}) {
      const auto& top = *runs[k]->top;
      const std::uint64_t S = runs[k]->plan.steps[1].inputs[0].slots;
      EXPECT_EQ(S, k == 5 ? 4u : 5u) << cases[k].name;
      const auto& arrived = top.arrivals()[1][0];
      for (std::uint64_t g = S; g < 8; ++g)
        EXPECT_EQ(arrived[g], top.rowStarts()[1][g - S + 1] + issue2 + U(tile(0), tile(1), 64) + 1)
            << cases[k].name << " back-pressured row " << g;
      for (std::size_t r = S + 1; r < 8; ++r)
        EXPECT_EQ(arrived[r] - arrived[r - 1], issue2) << cases[k].name << " row " << r << " at conv2's pace";
    }
    // The consumer bounds both: the same latency.
    EXPECT_EQ(runs[5]->result.totalCycles, runs[6]->result.totalCycles);
  }

  // ---- F: a 1x1 stride-2 conv reads rows 0 and 2 and columns 0 and 2 of conv1's 4x4 output: conv1 sends only
  // those rows, each with half its 32 bits (16) to tile 1; rows 1 and 3 are recorded at their send time and
  // cost no interconnect or memory. conv2 (2 vectors per row) issues row r when row 2r has arrived.
  {
    const DataflowEdge& e = runs[7]->plan.steps[1].inputs[0];
    EXPECT_EQ(e.rowRead, (std::vector<bool>{true, false, true, false}));
    EXPECT_DOUBLE_EQ(e.readColumns, 0.5);
    ASSERT_EQ(e.bitsPerRow.size(), 1u);
    EXPECT_EQ(e.bitsPerRow[0], 16u);
    const StageCycles s1 = core.cyclesPerVector(1, 1), s2 = core.cyclesPerVector(2, 1);  // output columns, phases
    const std::uint64_t read = gb.transferCycles(32, SramAccess::Read);
    const std::uint64_t row1 = s1.latency() + 3 * s1.interval(), issue1 = 4 * s1.interval();
    const std::uint64_t row2 = s2.latency() + 1 * s2.interval(), issue2 = 2 * s2.interval();
    auto in = [&](std::uint64_t i) { return (i + 1) * read + U(io, tile(0), 32) + 1; };
    std::vector<std::uint64_t> T1, E1, F;
    for (std::uint64_t r = 0; r < 4; ++r) {
      T1.push_back(std::max(in(std::min<std::uint64_t>(3, r + 1)), r ? T1[r - 1] + issue1 : 0));
      E1.push_back(T1[r] + row1 + alu(2 * 4 * 1));
      const std::uint64_t at = r % 2 == 0 ? E1[r] + U(tile(0), tile(1), 16) + 1 : E1[r];
      F.push_back(r ? std::max(F[r - 1], at) : at);  // stored in order
    }
    const auto& top = *runs[7]->top;
    for (std::size_t r = 0; r < 4; ++r) EXPECT_EQ(top.arrivals()[1][0][r], F[r]) << "conv1 row " << r;
    std::vector<std::uint64_t> T2;
    for (std::uint64_t r = 0; r < 2; ++r) T2.push_back(std::max(F[2 * r], r ? T2[r - 1] + issue2 : 0));
    for (std::size_t r = 0; r < 2; ++r) EXPECT_EQ(top.rowStarts()[1][r], T2[r]) << "conv2 row " << r;
    EXPECT_EQ(runs[7]->result.totalCycles, T2[1] + row2 + alu(2 * 2 * 2) + U(tile(1), io, 32) +
                                               gb.transferCycles(32, SramAccess::Write));
    // Memory writes: the input's 4 rows x 32 bits into tile 0, 2 rows x 16 bits into tile 1, and conv2's 2 output
    // rows x 32 bits into the global buffer.
    EXPECT_EQ(runs[7]->result.ledger.total(action::kSramWriteBit), 4u * 32u + 2u * 16u + 2u * 32u);
    // The stats tree is the module tree: each tile (module "F.tile<k>") registered what its memory stored and
    // read and the arrays it holds; conv2's tile read its 2 rows of 16 bits once per output row's vectors.
    const StatsTree& st = runs[7]->result.stats;
    EXPECT_EQ(st.at("F.tile0.memory.bits_written"), 4 * 32);
    EXPECT_EQ(st.at("F.tile1.memory.bits_written"), 2 * 16);
    EXPECT_EQ(st.at("F.tile0.arrays.count"), 1);
    EXPECT_EQ(st.at("F.tile1.arrays.count"), 1);
    EXPECT_EQ(st.at("F.tile1.memory.capacity_bits"), 4096 * 8);
    EXPECT_EQ(st.at("F.tile1.memory.bits_read"),
              static_cast<double>(runs[7]->plan.steps[1].tiles.at(0).memoryReadBits) * 2);  // per row, 2 rows
    EXPECT_EQ(st.at("F.tile1.arrays.busy_array_cycles"), 2.0 * static_cast<double>(issue2));  // 2 rows, 1 array
    EXPECT_EQ(st.at("F.global_buffer.busy_cycles"),
              static_cast<double>(4 * read + 2 * gb.transferCycles(32, SramAccess::Write)));
    EXPECT_EQ(st.values().count("F.tile2.memory.bits_written"), 1u);  // an idle tile still reports (zeros)
    EXPECT_EQ(st.at("F.tile2.memory.bits_written"), 0);
  }

  // ---- G: conv x on tile 0 has two consumers, convs on tiles 1 and 2 (joined by an add next to the later of
  // them, on tile 2). Each row of
  // x leaves tile 0 once, as one tree multicast to both tiles: its bit-hops are 32 x the links of the union of
  // the two XY routes, not the sum of two unicasts. Every transfer of the run, in bit-hops: the input rows
  // (io -> tile 0), x's rows (the multicast), the first conv's rows (tile 1 -> tile 2, the add's input) and
  // the add's output rows (tile 2 -> io).
  {
    ASSERT_EQ(cases[8].mapping.layers.size(), 3u);
    ASSERT_EQ(runs[8]->plan.steps[1].site, 1);
    ASSERT_EQ(runs[8]->plan.steps[2].site, 2);
    ASSERT_EQ(runs[8]->plan.steps[3].site, 2);
    PacketNoc fresh(row.noc, row.tiles), rowNoc(row.noc, row.tiles);
    auto hops = [&](int a, int b) { return static_cast<std::uint64_t>(rowNoc.hops(a, b)); };
    const std::uint64_t tree = fresh.multicast(tile(0), {tile(1), tile(2)}, 32, 0).front().bitHops;
    const std::uint64_t unicasts = 32u * (hops(tile(0), tile(1)) + hops(tile(0), tile(2)));
    ASSERT_LT(tree, unicasts) << "the two routes must share a link for this case to tell them apart";
    const std::uint64_t expected = 4u * (32u * hops(io, tile(0)) + tree + 32u * (hops(tile(1), tile(2)) + hops(tile(2), io)));
    EXPECT_EQ(runs[8]->result.ledger.total(action::kNocBitHop), expected);
  }
}

}  // namespace
}  // namespace mxsim
