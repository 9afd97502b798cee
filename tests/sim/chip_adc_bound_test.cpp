// SystemC scenario: a layer whose ADC stage is the array pipeline's bottleneck (64 columns shared by few
// ADCs, an 8-bit SAR taking bits + 1 = 9 cycles per conversion, signed inputs: 2 passes). Two chips side by
// side (tests/support/chip_runs.h) differ only in chip.tile.array.adc.per_array: 4 and 2. Per vector the
// stages take DAC 1·2, read 10·2 and ADC ceil(64 / A)·9·2 cycles, so with n vectors the stream phase is
// DAC + read + n·ADC: halving the ADCs doubles the ADC term, the stream phase becomes exactly
// 2·stream − (DAC + read), and the layer (every other stage unchanged) grows by n·ADC(A = 4) cycles.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/chip_runs.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::ceilDiv;

ChipParams chipWithAdcs(int adcsPerArray) {
  ChipParams chip;
  chip.clockHz = 1e9;
  chip.tiles = 2;  // 3 nodes on a 2 x 2 mesh: tile 0 = node 1, one hop from the global buffer
  chip.arraysPerTile = 1;
  chip.array.xbar.rows = 32;
  chip.array.xbar.cols = 64;
  chip.array.xbar.readCycles = 10;
  chip.array.dac.cycles = 1;
  chip.array.adc.bits = 8;
  chip.array.adc.type = AdcType::Sar;
  chip.array.adc.conversionCycles = 0;  // derive: SAR bits + 1
  chip.array.adc.perArray = adcsPerArray;
  chip.sram.wordBits = 256;
  chip.sram.ports = 2;
  chip.sram.accessCycles = 1;
  chip.sram.activationBits = 8;
  chip.digital.lanes = 64;
  chip.tile.bufferWordBits = 128;
  chip.tile.partialSumBits = 16;
  chip.noc.topology = NocTopology::Mesh;
  chip.noc.linkWidthBits = 32;
  chip.noc.hopLatencyCycles = 2;
  return chip;
}

TEST(ChipAdcBound, HalvingTheAdcsDoublesTheStreamPhase) {
  // conv 3x6x6 -> 64x6x6, 3x3, pad 1: K = 27 rows x 64 columns, one block on one array; n = 36 vectors.
  const wl::Program p = testing::groupedConv(/*C=*/3, /*H=*/6, /*outC=*/64, /*groups=*/1);
  const std::vector<int> adcs = {4, 2};
  std::vector<testing::ChipCase> cases;
  for (int a : adcs) {
    testing::ChipCase c;
    c.name = "chip_" + std::to_string(a) + "_adcs";
    c.program = &p;
    c.chip = chipWithAdcs(a);
    c.mapping = mapProgram(p, c.chip);
    c.signedInputs = {true};
    ASSERT_EQ(c.mapping.layers[0].blocks.size(), 1u);
    cases.push_back(std::move(c));
  }
  const std::vector<TimingResult> runs = testing::runSideBySide(cases);

  const std::uint64_t n = 36, rows = 27, cols = 64, passes = 2;
  const std::uint64_t dac = 1 * passes, read = 10 * passes;
  auto adc = [&](std::uint64_t perArray) { return ceilDiv(cols, perArray) * (8 + 1) * passes; };
  auto stream = [&](std::uint64_t perArray) {
    const std::uint64_t a = adc(perArray);
    return dac + read + a + (n - 1) * std::max({dac, read, a});
  };
  // Every other stage of the flow (sim/timing/chip_top.h), the same on both chips.
  const std::uint64_t inBits = 3 * 36 * 8, psumBits = n * cols * 16, outBits = 64 * 36 * 8;
  const std::uint64_t sramRead = ceilDiv(inBits, 256 * 2) + 1 - 1;
  const std::uint64_t nocIn = 1 * 2 + ceilDiv(inBits, 32);
  const std::uint64_t bufIn = ceilDiv(inBits, 128);
  const std::uint64_t feed = ceilDiv(n * rows * 8, 128);
  const std::uint64_t bufOut = 2 * ceilDiv(psumBits, 128);
  const std::uint64_t nocBack = 1 * 2 + ceilDiv(psumBits, 32);
  const std::uint64_t digital = ceilDiv(2 * n * cols, 64);  // one row block: no accumulation; passes merged in the tile
  const std::uint64_t sramWrite = ceilDiv(outBits, 256 * 2) + 1 - 1;
  const std::uint64_t rest = sramRead + nocIn + bufIn + bufOut + nocBack + digital + sramWrite;

  for (std::size_t i = 0; i < adcs.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const auto a = static_cast<std::uint64_t>(adcs[i]);
    ASSERT_GT(adc(a), read);     // the ADC is the bottleneck stage ...
    ASSERT_GT(stream(a), feed);  // ... and the arrays, not the input buffer, set the tile's pace
    EXPECT_EQ(runs[i].layers.at(0).cycles, rest + stream(a));
    // The ADC stage was busy n x ADC cycles.
    EXPECT_NEAR(testing::activityOf(runs[i], "adc").busySeconds * 1e9, static_cast<double>(n * adc(a)), 1e-6);
  }
  // The measured stream phases (layer minus the other stages): exactly doubled, less one DAC + read.
  const std::uint64_t stream4 = runs[0].layers.at(0).cycles - rest, stream2 = runs[1].layers.at(0).cycles - rest;
  EXPECT_EQ(stream2, 2 * stream4 - (dac + read));
  // Halving the ADCs: the layer grows by exactly n x ADC(4) = 36 x 288 cycles, and the ADCs' busy time doubles.
  EXPECT_EQ(runs[1].layers.at(0).cycles - runs[0].layers.at(0).cycles, n * adc(4));
  EXPECT_EQ(n * adc(4), 36u * 288u);
  EXPECT_NEAR(testing::activityOf(runs[1], "adc").busySeconds, 2 * testing::activityOf(runs[0], "adc").busySeconds,
              1e-15);
  // Same work on both: identical action counts.
  EXPECT_EQ(runs[0].ledger.counts(), runs[1].ledger.counts());
}

}  // namespace
}  // namespace mxsim
