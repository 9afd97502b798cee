// Functional engine: ideal mode equals an independent reference; the analog path converges to it as
// converters get precise and variation vanishes; chip instances are reproducible whatever the thread count.
#include <gtest/gtest.h>

#include "sim/engine/functional_engine.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

RowMatrix randomImages(int n, const wl::Shape& shape, std::uint64_t seed, float lo = 0.0f) {
  return testing::randomMatrix(n, static_cast<int>(wl::numel(shape)), seed, lo, 1.0f).cast<float>();
}

struct Fixture {
  explicit Fixture(ChipParams c = {}, wl::Program prog = testing::smallCnn()) : chip(c), program(std::move(prog)) {
    mapping = mapProgram(program, chip);
  }
  ChipParams chip;
  wl::Program program;
  Mapping mapping;
};

TEST(FunctionalEngine, IdealEqualsNaiveReference) {
  Fixture f;
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(7, f.program.buffers[0], 11);
  const RowMatrix y = eng.forward(x, nullptr);
  ASSERT_EQ(y.rows(), 7);
  ASSERT_EQ(y.cols(), 4);
  for (int n = 0; n < 7; ++n) {
    const auto ref = testing::referenceForward(f.program, x.row(n).data());
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(y(n, c), ref[c], 1e-4 * (1 + std::abs(ref[c]))) << n << "," << c;
  }
}

TEST(FunctionalEngine, PreciseConvertersAndNoVariationApproachIdeal) {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.0;
  chip.array.dac.bits = 16;
  chip.array.adc.bits = 16;
  chip.array.xbar.rows = 16;  // several row blocks per layer: exercises partial-sum accumulation
  chip.array.xbar.cols = 3;
  Fixture f(chip);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(20, f.program.buffers[0], 12, -1.0f);  // signed inputs: two phases
  ChipInstance inst = eng.programChip(1);
  eng.calibrate(inst, x);
  EXPECT_TRUE(inst.layers[0].signedInput);
  EXPECT_FALSE(inst.layers[1].signedInput);  // after ReLU and max pooling
  const RowMatrix ideal = eng.forward(x, nullptr);
  const RowMatrix analog = eng.forward(x, &inst);
  const double rel = (analog - ideal).cwiseAbs().maxCoeff() / ideal.cwiseAbs().maxCoeff();
  EXPECT_LT(rel, 2e-3);
  EXPECT_GT(rel, 0.0);  // 16-bit converters still round
}

TEST(FunctionalEngine, CoarseConvertersDegradeGracefully) {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.0;
  chip.array.dac.bits = 3;
  chip.array.adc.bits = 3;
  Fixture f(chip);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(20, f.program.buffers[0], 13);
  ChipInstance inst = eng.programChip(1);
  eng.calibrate(inst, x);
  const RowMatrix ideal = eng.forward(x, nullptr);
  const double rel3 = (eng.forward(x, &inst) - ideal).cwiseAbs().maxCoeff() / ideal.cwiseAbs().maxCoeff();
  EXPECT_GT(rel3, 1e-2);  // 3-bit converters are visibly lossy
}

/// The same programmed weights in every slice (float weights or levels-only layers alike).
bool sameWeights(const AnalogLayerState& a, const AnalogLayerState& b) {
  if (a.slices() != b.slices()) return false;
  for (int s = 0; s < a.slices(); ++s)
    if (!(a.sliceWeights(s) == b.sliceWeights(s))) return false;
  return true;
}

TEST(FunctionalEngine, SameSeedSameBitsAnyThreadCount) {
  Fixture f;
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const int n = 3 * FunctionalEngine::kChunkImages + 17;
  const RowMatrix x = randomImages(n, f.program.buffers[0], 14);
  // b is programmed on 3 threads (layers in parallel): the same instance.
  ChipInstance a = eng.programChip(42), b = eng.programChip(42, 0.0, 3), c = eng.programChip(43);
  for (size_t l = 0; l < a.layers.size(); ++l) ASSERT_TRUE(sameWeights(a.layers[l], b.layers[l])) << "layer " << l;
  eng.calibrate(a, x.topRows(64));
  eng.calibrate(b, x.topRows(64), 3);  // the layer's image chunks (42 images each here) on 3 threads
  eng.calibrate(c, x.topRows(64));
  for (size_t l = 0; l < a.layers.size(); ++l) {
    EXPECT_EQ(a.layers[l].adcFullScale, b.layers[l].adcFullScale) << "layer " << l;
    EXPECT_EQ(a.layers[l].dacActivity, b.layers[l].dacActivity) << "layer " << l;
    EXPECT_EQ(a.layers[l].inputPower, b.layers[l].inputPower) << "layer " << l;
  }
  {  // and over many chunks
    ChipInstance one = eng.programChip(42), two = eng.programChip(42);
    eng.calibrate(one, x, 1);
    eng.calibrate(two, x, 2);
    for (size_t l = 0; l < one.layers.size(); ++l) {
      EXPECT_EQ(one.layers[l].adcFullScale, two.layers[l].adcFullScale) << "layer " << l;
      EXPECT_EQ(one.layers[l].dacActivity, two.layers[l].dacActivity) << "layer " << l;
    }
  }
  ASSERT_TRUE(sameWeights(a.layers[0], b.layers[0]));
  EXPECT_FALSE(sameWeights(a.layers[0], c.layers[0]));
  const RowMatrix one = eng.logits(x, &a, 1);
  const RowMatrix two = eng.logits(x, &b, 2);
  EXPECT_TRUE(one == two) << "results depend on the thread count";
  EXPECT_FALSE(one == eng.logits(x, &c, 2)) << "different chip seeds gave identical results";
}

// --- Exact integer passes (bit-serial DAC on quantised, noise-free cells): the same bits as the float path.

ChipParams bitSerialChip(int rows, int cellBits, WeightMapping mapping, SignedInputs signedInputs, int adcBits) {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.0;
  chip.array.xbar.rows = rows;
  chip.array.xbar.cols = 5;
  chip.array.xbar.weightBits = 16;
  chip.array.xbar.cellBits = cellBits;
  chip.array.xbar.mapping = mapping;
  chip.array.dac.mode = DacMode::BitSerial;
  chip.array.dac.bits = 8;
  chip.array.dac.signedInputs = signedInputs;
  chip.array.adc.bits = adcBits;  // few bits: many exact ties, which the float sums must decide
  return chip;
}

/// Calibration (ADC ranges, activity) and logits with exact passes equal those of the float GEMM bit for bit,
/// and the exact passes were taken.
void expectExactEqualsFloat(const ChipParams& chip, const wl::Program& program, int images, int threads,
                            const std::string& what) {
  Fixture f(chip, program);
  FunctionalEngine exact(f.program, f.chip, f.mapping), plain(f.program, f.chip, f.mapping);
  plain.setExactPasses(false);
  const RowMatrix x = randomImages(images, f.program.buffers[0], 21, -1.0f);  // signed first layer
  ChipInstance a = exact.programChip(5), b = plain.programChip(5);
  ASSERT_FALSE(a.layers[0].levels.empty()) << what << ": the cells are integer levels";
  for (size_t l = 0; l < a.layers.size(); ++l) {
    // Programmed straight to digits (no float weights) against the float weights: the same cells.
    EXPECT_TRUE(a.layers[l].gEff.empty()) << what << ", layer " << l;
    EXPECT_FALSE(b.layers[l].gEff.empty()) << what << ", layer " << l;
    EXPECT_TRUE(sameWeights(a.layers[l], b.layers[l])) << what << ", layer " << l;
  }
  exact.calibrate(a, x, threads);
  plain.calibrate(b, x, threads);
  EXPECT_GT(exact.exactPassChunks(), 0u) << what;
  EXPECT_EQ(plain.exactPassChunks(), 0u) << what;
  for (size_t l = 0; l < a.layers.size(); ++l) {
    EXPECT_EQ(a.layers[l].adcFullScale, b.layers[l].adcFullScale) << what << ", layer " << l;
    EXPECT_EQ(a.layers[l].dacActivity, b.layers[l].dacActivity) << what << ", layer " << l;
    EXPECT_EQ(a.layers[l].inputPower, b.layers[l].inputPower) << what << ", layer " << l;
  }
  const RowMatrix ya = exact.logits(x, &a, threads), yb = plain.logits(x, &b, threads);
  EXPECT_TRUE(ya == yb) << what << ": max |difference| " << (ya - yb).cwiseAbs().maxCoeff();
  // A levels-only instance on the float path (exact passes turned off after programming) builds its weights.
  exact.setExactPasses(false);
  const std::uint64_t before = exact.exactPassChunks();
  const RowMatrix yc = exact.logits(x, &a, threads);
  EXPECT_EQ(exact.exactPassChunks(), before) << what;
  EXPECT_TRUE(yc == yb) << what << ": max |difference| " << (yc - yb).cwiseAbs().maxCoeff();
}

TEST(FunctionalEngine, ExactPassesEqualFloatPath) {
  // ISAAC-like: 2-bit cells, offset mapping, two-phase signed inputs; 20-row arrays (not a multiple of the
  // 4-row groups): several row blocks per layer.
  expectExactEqualsFloat(bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8), testing::smallCnn(),
                         9, 1, "offset, 2-bit cells");
  // 100 images are 3 chunks: calibration measures and quantises in two walks (one chunk fuses them).
  expectExactEqualsFloat(bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8), testing::smallCnn(),
                         100, 2, "offset, 2-bit cells, 3 chunks");
  // Differential pairs, 1-bit cells (16 slices), offset-coded signed inputs, 4-bit ADC, 128-row arrays.
  expectExactEqualsFloat(bitSerialChip(128, 1, WeightMapping::Differential, SignedInputs::Offset, 4),
                         testing::smallCnn(3, 10, 70, 3, 1, 1, 4, 6), 4, 2, "differential, 1-bit cells");
  // Stride 2 (explicit im2col), per-array weight scaling, 4-bit cells, 7-row arrays.
  ChipParams perArray = bitSerialChip(7, 4, WeightMapping::Offset, SignedInputs::TwoPhase, 5);
  perArray.array.xbar.weightScaling = WeightScaling::Array;
  expectExactEqualsFloat(perArray, testing::smallCnn(2, 9, 4, 3, 2, 1), 5, 2, "per-array scaling, stride 2");
  // A grouped conv (weights between the groups on no array) and a dense chain with 3 cells per weight.
  expectExactEqualsFloat(bitSerialChip(16, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 6),
                         testing::groupedConv(), 3, 1, "grouped conv");
  ChipParams dense = bitSerialChip(33, 3, WeightMapping::Differential, SignedInputs::TwoPhase, 8);
  dense.array.xbar.weightBits = 8;
  expectExactEqualsFloat(dense, testing::denseChain({50, 70, 10}), 6, 2, "dense chain");
  // 128-row arrays under a 168-row layer: a full block, then a 40-row block whose rows fit in one mask word
  // (the float sums of its ties must not read the previous block's second word).
  expectExactEqualsFloat(bitSerialChip(128, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 4),
                         testing::denseChain({168, 30, 10}), 7, 1, "a short last row block");
  // ADC range full_scale: no measured range, every pass quantised against rows × 1.
  ChipParams full = bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8);
  full.array.adc.range = AdcRange::FullScale;
  expectExactEqualsFloat(full, testing::smallCnn(), 4, 1, "full-scale ADC range");
}

TEST(FunctionalEngine, ExactPassesNotTakenWhereTheyDoNotApply) {
  // Variation makes the cells non-integer: no levels, the float path runs (and noise keeps it non-trivial).
  ChipParams varied = bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8);
  varied.deviceNoise.sigma = 0.01;
  Fixture f(varied);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  ChipInstance inst = eng.programChip(5);
  EXPECT_TRUE(inst.layers[0].levels.empty());
  eng.calibrate(inst, randomImages(3, f.program.buffers[0], 22));
  EXPECT_EQ(eng.exactPassChunks(), 0u);
  // A multibit DAC drives multi-level inputs: the levels are kept but no pass is exact.
  ChipParams multibit = bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8);
  multibit.array.dac.mode = DacMode::Multibit;
  Fixture g(multibit);
  FunctionalEngine eng2(g.program, g.chip, g.mapping);
  ChipInstance inst2 = eng2.programChip(5);
  eng2.calibrate(inst2, randomImages(3, g.program.buffers[0], 22));
  EXPECT_EQ(eng2.exactPassChunks(), 0u);
}

TEST(FunctionalEngine, OneImageCalibrationSameBitsAnyThreadCount) {
  // One image is one chunk: its vectors are split over the threads inside the exact passes.
  const ChipParams chip = bitSerialChip(20, 2, WeightMapping::Offset, SignedInputs::TwoPhase, 8);
  Fixture f(chip, testing::smallCnn(3, 16, 8, 3, 1, 1, 4, 8));  // 256 vectors per image
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(1, f.program.buffers[0], 23, -1.0f);
  std::vector<ChipInstance> inst;
  for (int threads : {1, 2, 3}) {
    inst.push_back(eng.programChip(9, 0.0, threads));
    eng.calibrate(inst.back(), x, threads);
  }
  EXPECT_GE(eng.exactPassChunks(), 3u);
  for (size_t t = 1; t < inst.size(); ++t)
    for (size_t l = 0; l < inst[0].layers.size(); ++l) {
      EXPECT_EQ(inst[0].layers[l].adcFullScale, inst[t].layers[l].adcFullScale) << "layer " << l;
      EXPECT_EQ(inst[0].layers[l].dacActivity, inst[t].layers[l].dacActivity) << "layer " << l;
      EXPECT_EQ(inst[0].layers[l].inputPower, inst[t].layers[l].inputPower) << "layer " << l;
      EXPECT_EQ(inst[0].layers[l].activationSigma, inst[t].layers[l].activationSigma) << "layer " << l;
    }
}

TEST(FunctionalEngine, VariationChangesResultsAndScalesWithSigma) {
  auto deviation = [](double sigma) {
    ChipParams chip;
    chip.deviceNoise.sigma = sigma;
    chip.array.dac.bits = 16;
    chip.array.adc.bits = 16;
    Fixture f(chip);
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    const RowMatrix x = randomImages(64, f.program.buffers[0], 15);
    ChipInstance inst = eng.programChip(3);
    eng.calibrate(inst, x);
    return (eng.forward(x, &inst) - eng.forward(x, nullptr)).norm();
  };
  const double d1 = deviation(0.01), d4 = deviation(0.04);
  EXPECT_GT(d1, 0.0);
  EXPECT_GT(d4, 2.5 * d1);  // ~4x for a linear effect; clearly more than the 1 % case
}

TEST(FunctionalEngine, CountCorrectMatchesArgmaxOfLogits) {
  Fixture f;
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(300, f.program.buffers[0], 16);
  const RowMatrix logits = eng.logits(x, nullptr, 2);
  std::vector<int> labels(300);
  for (int i = 0; i < 300; ++i) labels[i] = i % 4;
  std::uint64_t expected = 0;
  for (int i = 0; i < 300; ++i) {
    Eigen::Index arg;
    logits.row(i).maxCoeff(&arg);
    expected += arg == labels[i];
  }
  std::uint64_t progressed = 0;
  EXPECT_EQ(eng.countCorrect(x, labels, nullptr, 2, [&](std::uint64_t k) { progressed += k; }), expected);
  EXPECT_EQ(progressed, 300u);
}

}  // namespace
}  // namespace mxsim

namespace mxsim {
namespace {

TEST(FunctionalEngine, CalibratedDacRangeIsTheLayerMaxOverCalibrationImages) {
  ChipParams chip;
  chip.array.dac.range = DacRange::Calibrated;
  Fixture f(chip);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(30, f.program.buffers[0], 21, -1.0f);
  ChipInstance inst = eng.programChip(1);
  eng.calibrate(inst, x);
  EXPECT_FLOAT_EQ(inst.layers[0].inputScale, x.cwiseAbs().maxCoeff());
  // Inputs twice as large as anything seen in calibration clip in the DAC: the output saturates instead of
  // doubling, unlike the dynamic range, where the per-image scale follows the input.
  const RowMatrix big = 2.0f * x;
  const RowMatrix yCal = eng.forward(big, &inst);
  ChipParams dynChip = chip;
  dynChip.array.dac.range = DacRange::Dynamic;
  Fixture g(dynChip);
  FunctionalEngine dyn(g.program, g.chip, g.mapping);
  ChipInstance dinst = dyn.programChip(1);
  dyn.calibrate(dinst, x);
  EXPECT_GT((yCal - dyn.forward(big, &dinst)).norm(), 1e-3 * dyn.forward(big, &dinst).norm());
}

TEST(FunctionalEngine, PerArrayWeightScalingIsExactWithoutNoiseAndHelpsSmallBlocks) {
  // K = 18 rows over 16-row arrays: the second row block (2 rows) gets weights 20x smaller, so with one
  // layer-wide scale it uses 5 % of the conductance range and its variation is relatively 20x larger.
  auto build = [](WeightScaling scaling, double sigma) {
    ChipParams chip;
    chip.array.xbar.rows = 16;
    chip.array.xbar.weightScaling = scaling;
    chip.deviceNoise.sigma = sigma;
    chip.deviceNoise.read = ReadNoiseModel::None;
    chip.array.dac.bits = 16;
    chip.array.adc.bits = 16;
    wl::Program p = testing::smallCnn();
    p.steps[0].weight.bottomRows(2) *= 0.05f;
    return std::make_pair(chip, p);
  };
  auto deviation = [](const ChipParams& chip, const wl::Program& p, std::uint64_t seed) {
    const Mapping m = mapProgram(p, chip);
    FunctionalEngine eng(p, chip, m);
    const RowMatrix x = randomImages(64, p.buffers[0], 22);
    ChipInstance inst = eng.programChip(seed);
    eng.calibrate(inst, x);
    const RowMatrix ideal = eng.forward(x, nullptr);
    return (eng.forward(x, &inst) - ideal).norm() / ideal.norm();
  };
  const auto [exactChip, exactProg] = build(WeightScaling::Array, 0.0);
  EXPECT_LT(deviation(exactChip, exactProg, 1), 2e-3);
  double layerDev = 0, arrayDev = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto [lc, lp] = build(WeightScaling::Layer, 0.05);
    const auto [ac, ap] = build(WeightScaling::Array, 0.05);
    layerDev += deviation(lc, lp, seed);
    arrayDev += deviation(ac, ap, seed);
  }
  EXPECT_LT(arrayDev, layerDev);
}

// ---- grouped convolutions: packs of groups on arrays, nothing between them ----

TEST(FunctionalEngine, GroupedConvIdealEqualsNaiveReference) {
  Fixture f(ChipParams{}, testing::groupedConv());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(3, f.program.buffers[0], 21, -1.0f);
  const RowMatrix y = eng.forward(x, nullptr);
  for (int n = 0; n < 3; ++n) {
    const auto ref = testing::referenceGroupedConv(f.program, x.row(n).data());
    for (std::size_t i = 0; i < ref.size(); ++i)
      ASSERT_NEAR(y(n, static_cast<Eigen::Index>(i)), ref[i], 1e-5 * (1 + std::abs(ref[i]))) << n << "," << i;
  }
}

TEST(FunctionalEngine, GroupedConvOnPacksApproachesIdealAndKeepsGroupsApart) {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.0;
  chip.array.dac.bits = 16;
  chip.array.adc.bits = 16;
  chip.array.xbar.rows = 20;  // 18 rows per group (2 channels x 3x3): one group per pack, 3 packs
  chip.array.xbar.cols = 8;
  Fixture f(chip, testing::groupedConv());
  ASSERT_EQ(f.mapping.layers[0].packs.size(), 3u);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(8, f.program.buffers[0], 22, -1.0f);
  ChipInstance inst = eng.programChip(3);
  eng.calibrate(inst, x);
  const RowMatrix ideal = eng.forward(x, nullptr);
  const RowMatrix analog = eng.forward(x, &inst);
  EXPECT_LT((analog - ideal).cwiseAbs().maxCoeff() / ideal.cwiseAbs().maxCoeff(), 2e-3);

  // With read noise on, group 0's outputs must not see group 1's inputs: permuting channel 2's pixels (same
  // values, so the same calibrated DAC range) leaves them bit-identical; group 1's outputs do change.
  ChipParams noisy = chip;
  noisy.deviceNoise.read = ReadNoiseModel::Absolute;
  noisy.deviceNoise.readSigma = 0.05;
  Fixture g(noisy, testing::groupedConv());
  FunctionalEngine engN(g.program, g.chip, g.mapping);
  ChipInstance instN = engN.programChip(3);
  engN.calibrate(instN, x);
  RowMatrix x2 = x;
  const Eigen::Index plane = 25;
  x2.middleCols(2 * plane, plane) = x.middleCols(2 * plane, plane).rowwise().reverse();
  const RowMatrix a = engN.forward(x, &instN), b = engN.forward(x2, &instN);
  EXPECT_EQ(a.leftCols(2 * plane), b.leftCols(2 * plane));            // group 0: output channels 0, 1
  EXPECT_GT((a.middleCols(2 * plane, 2 * plane) - b.middleCols(2 * plane, 2 * plane)).cwiseAbs().maxCoeff(), 0.0f);
}

// The crossbar's data-aware energy factor is the mean programmed conductance over Gmax: for ideal devices,
// differential pairs average (2·Gmin + ΔG·|ŵ|) / 2 per device and offset devices Gmin + ΔG·(ŵ + 1)/2, with
// ŵ = w / max|W| — not the old mean |ŵ| (which puts an offset-mapped zero weight at zero conductance).
TEST(FunctionalEngine, ConductanceMeanIsTheProgrammedConductanceOverGmax) {
  for (WeightMapping m : {WeightMapping::Differential, WeightMapping::Offset}) {
    ChipParams chip;
    chip.deviceNoise.sigma = 0.0;
    chip.array.xbar.mapping = m;
    chip.array.xbar.gMinS = 2e-6;
    chip.array.xbar.gMaxS = 22e-6;
    Fixture f(chip);
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    const ChipInstance inst = eng.programChip(5);
    ASSERT_FALSE(inst.layers.empty());
    const double gMin = 2e-6, dG = 20e-6, gMax = 22e-6;
    for (size_t l = 0; l < inst.layers.size(); ++l) {
      const ColMatrix& w = f.program.steps[static_cast<size_t>(f.mapping.layers[l].step)].weight;
      const double scale = w.cwiseAbs().maxCoeff();
      double sum = 0;
      for (Eigen::Index i = 0; i < w.size(); ++i) {
        const double u = w.data()[i] / scale;
        sum += m == WeightMapping::Differential ? (2 * gMin + dG * std::abs(u)) / 2 : gMin + dG * (u + 1) / 2;
      }
      const double expected = sum / static_cast<double>(w.size()) / gMax;
      EXPECT_NEAR(inst.layers[l].conductanceMean, expected, 1e-6 * expected) << "layer " << l;
      if (m == WeightMapping::Offset) {
        EXPECT_GT(inst.layers[l].conductanceMean, 0.3);  // zeros sit mid-range
      }
    }
  }
}

}  // namespace
}  // namespace mxsim
