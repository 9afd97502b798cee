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

TEST(FunctionalEngine, SameSeedSameBitsAnyThreadCount) {
  Fixture f;
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const int n = 3 * FunctionalEngine::kChunkImages + 17;
  const RowMatrix x = randomImages(n, f.program.buffers[0], 14);
  ChipInstance a = eng.programChip(42), b = eng.programChip(42), c = eng.programChip(43);
  eng.calibrate(a, x.topRows(64));
  eng.calibrate(b, x.topRows(64));
  eng.calibrate(c, x.topRows(64));
  ASSERT_TRUE(a.layers[0].gEff == b.layers[0].gEff);
  EXPECT_FALSE(a.layers[0].gEff == c.layers[0].gEff);
  const RowMatrix one = eng.logits(x, &a, 1);
  const RowMatrix two = eng.logits(x, &b, 2);
  EXPECT_TRUE(one == two) << "results depend on the thread count";
  EXPECT_FALSE(one == eng.logits(x, &c, 2)) << "different chip seeds gave identical results";
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
