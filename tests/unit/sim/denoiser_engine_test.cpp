// The functional engine runs denoiser blocks through the denoiser engine's core (issue 15):
//  * planDenoiserBlocks finds the block's buffers and weights, with and without a logσ² head, and rejects
//    a block of another structure with a ModelError naming the block;
//  * ideal mode is the exact float block (the ONNX graph's math); on a chip, mean mode is the fixed-point core
//    and stays within the bound derived from chip.denoiser's widths (tests/support/denoiser_bound.h), and
//    differs from float (so the arithmetic is really applied);
//  * sample mode: ε per (chip seed, image, block): the same bits for any thread count, other bits for another
//    seed, for an ideal Gaussian and for a GRNG with its sqrt bypassed; without a logσ² head it is a
//    ConfigError naming the model and the block.
#include <gtest/gtest.h>

#include "sim/core/error.h"
#include "sim/engine/functional_engine.h"
#include "tests/support/denoiser_bound.h"
#include "tests/support/error_matchers.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

using testing::contains;

constexpr int kC = 6, kH = 5, kW = 5, kR = 2;

wl::Step conv(const std::string& name, int in, int out, int k, const RowMatrix& outByIn, const Eigen::VectorXf& bias,
              int input, int output) {
  wl::Step s;
  s.kind = wl::StepKind::AnalogGemm;
  s.name = name;
  s.op = "Conv";
  s.denoiserBlock = 0;
  s.isConv = true;
  Window& w = s.window;
  w.kernelH = w.kernelW = k;
  w.padTop = w.padLeft = w.padBottom = w.padRight = k / 2;
  w.inC = in;
  w.inH = w.outH = kH;
  w.inW = w.outW = kW;
  s.weight = outByIn.transpose();
  s.bias = bias;
  s.inputs = {input};
  s.inShape = {in, kH, kW};
  s.outShape = {out, kH, kW};
  s.output = output;
  return s;
}

wl::Step relu(const std::string& name, int c, int input, int output) {
  wl::Step s;
  s.kind = wl::StepKind::Activation;
  s.name = name;
  s.op = "Relu";
  s.denoiserBlock = 0;
  s.inputs = {input};
  s.inShape = s.outShape = {c, kH, kW};
  s.output = output;
  return s;
}

DenoiserWeights weights() {
  auto m = [](int r, int c, std::uint64_t seed, float scale) {
    return RowMatrix(testing::randomMatrix(r, c, seed) * scale);
  };
  DenoiserWeights w;
  w.reduce = m(kR, kC, 1, 0.6f);
  w.reduceBias = m(kR, 1, 2, 0.2f).col(0);
  w.conv3x3 = m(kR, 9 * kR, 3, 0.4f);
  w.conv3x3Bias = m(kR, 1, 4, 0.2f).col(0);
  w.mean = m(kC, kR, 5, 0.5f);
  w.meanBias = m(kC, 1, 6, 0.2f).col(0);
  w.logVar = m(kC, kR, 7, 0.3f);
  w.logVarBias = Eigen::VectorXf::Constant(kC, -1.0f);
  return w;
}

/// x (buffer 0) → one denoiser block → y (the graph output), as the importer lowers a zoo block.
wl::Program blockProgram(const DenoiserWeights& w, bool logVarHead, int pad3x3 = 1) {
  wl::Program p;
  p.modelPath = "block.onnx";
  p.buffers = {{kC, kH, kW}, {kR, kH, kW}, {kR, kH, kW}, {kR, kH, kW}, {kR, kH, kW}, {kC, kH, kW}, {kC, kH, kW}};
  p.steps.push_back(conv("dn/reduce/Conv", kC, kR, 1, w.reduce, w.reduceBias, 0, 1));
  p.steps.push_back(relu("dn/Relu", kR, 1, 2));
  p.steps.push_back(conv("dn/conv3/Conv", kR, kR, 3, w.conv3x3, w.conv3x3Bias, 2, 3));
  p.steps.back().window.padTop = p.steps.back().window.padBottom = pad3x3;
  p.steps.push_back(relu("dn/Relu_1", kR, 3, 4));
  p.steps.push_back(conv("dn/mu/Conv", kR, kC, 1, w.mean, w.meanBias, 4, 5));
  if (logVarHead) {
    p.buffers.push_back({kC, kH, kW});
    p.steps.push_back(conv("dn/logvar/Conv", kR, kC, 1, w.logVar, w.logVarBias, 4, 7));
  }
  wl::Step sub;
  sub.kind = wl::StepKind::Binary;
  sub.binary = wl::BinaryOp::Sub;
  sub.name = "dn/Sub";
  sub.op = "Sub";
  sub.denoiserBlock = 0;
  sub.inputs = {0, 5};
  sub.inShape = sub.outShape = {kC, kH, kW};
  sub.output = 6;
  p.steps.push_back(sub);
  p.input = 0;
  p.output = 6;
  return p;
}

ChipParams exactChip(DenoiserMode mode) {
  ChipParams c;
  c.arrayModel = ArrayModel::Ideal;
  c.activationNoise.mode = ActivationNoiseMode::None;
  c.denoiser.mode = mode;
  return c;
}

RowMatrix images(int n, std::uint64_t seed) {
  return RowMatrix(testing::randomMatrix(n, kC * kH * kW, seed) * 2.0f);
}

struct BlockRun {
  BlockRun(const wl::Program& prog, ChipParams c) : program(prog), chip(std::move(c)) {
    mapping = mapProgram(program, chip);
    engine = std::make_unique<FunctionalEngine>(program, chip, mapping);
  }
  RowMatrix onChip(const RowMatrix& x, std::uint64_t seed, int threads = 1) const {
    ChipInstance inst = engine->programChip(seed, 0.0, threads);
    engine->calibrate(inst, x, threads);
    return engine->logits(x, &inst, threads);
  }
  wl::Program program;
  ChipParams chip;
  Mapping mapping;
  std::unique_ptr<FunctionalEngine> engine;
};

TEST(DenoiserEngine, PlanFindsBuffersWeightsAndTheLogVarHead) {
  const DenoiserWeights w = weights();
  const auto plans = planDenoiserBlocks(blockProgram(w, true));
  ASSERT_EQ(plans.size(), 1u);
  const DenoiserBlockPlan& b = plans[0];
  EXPECT_EQ(b.input, 0);
  EXPECT_EQ(b.output, 6);
  EXPECT_EQ(b.firstStep, 0u);
  EXPECT_EQ(b.steps.size(), 7u);
  EXPECT_EQ(b.shape.channels, kC);
  EXPECT_EQ(b.shape.reducedChannels, kR);
  EXPECT_TRUE(b.weights.conv3x3.isApprox(w.conv3x3));
  EXPECT_TRUE(b.weights.mean.isApprox(w.mean));
  ASSERT_TRUE(b.hasLogVar());
  EXPECT_TRUE(b.weights.logVar.isApprox(w.logVar));
  EXPECT_FALSE(planDenoiserBlocks(blockProgram(w, false))[0].hasLogVar());
}

TEST(DenoiserEngine, ABlockOfAnotherStructureIsAModelErrorNamingIt) {
  try {
    planDenoiserBlocks(blockProgram(weights(), false, 0));  // 3x3 conv without vertical padding
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_TRUE(contains(e.what(), "block.onnx: denoiser block 0 (step 'dn/reduce/Conv')")) << e.what();
    EXPECT_TRUE(contains(e.what(), "3x3 conv")) << e.what();
  }
}

TEST(DenoiserEngine, IdealIsTheFloatBlockAndMeanModeOnAChipIsTheFixedPointCoreWithinItsBound) {
  const DenoiserWeights w = weights();
  const BlockRun run(blockProgram(w, false), exactChip(DenoiserMode::Mean));
  const RowMatrix x = images(40, 3);
  const RowMatrix ideal = run.engine->logits(x, nullptr, 1);
  RowMatrix ref;
  DenoiserRanges r;
  const DenoiserCore core(run.chip.denoiser);
  const DenoiserBlockShape shape{kC, kH, kW, kR, DenoiserMode::Mean};
  core.run(shape, x, w, nullptr, ref, &r);
  EXPECT_EQ((ideal - ref).cwiseAbs().maxCoeff(), 0.0f);  // the exact float block

  const RowMatrix chip = run.onChip(x, 1);
  const double err = (chip - ideal).cwiseAbs().maxCoeff();
  const double bound = testing::denoiserMeanModeBound(core, shape, w, core.formatsFor(r), r);
  EXPECT_LE(err, bound + 1e-5);
  EXPECT_GT(err, 0.0);  // 8-bit arithmetic really applied
  // Wider words on the chip: closer to float.
  ChipParams wide = exactChip(DenoiserMode::Mean);
  wide.denoiser.activationBits = wide.denoiser.weightBits = 14;
  const BlockRun wider(blockProgram(w, false), wide);
  EXPECT_LT((wider.onChip(x, 1) - ideal).cwiseAbs().maxCoeff(), err / 16);
}

TEST(DenoiserEngine, SampleModeEpsilonIsPerChipImageAndBlockWhateverTheThreads) {
  const DenoiserWeights w = weights();
  const BlockRun run(blockProgram(w, true), exactChip(DenoiserMode::Sample));
  const RowMatrix x = images(300, 5);  // 3 chunks of kChunkImages
  const RowMatrix a = run.onChip(x, 7, 1);
  EXPECT_EQ((run.onChip(x, 7, 2) - a).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_GT((run.onChip(x, 8, 1) - a).cwiseAbs().maxCoeff(), 0.1f);  // another chip, other ε
  const BlockRun mean(blockProgram(w, true), exactChip(DenoiserMode::Mean));
  EXPECT_GT((mean.onChip(x, 7, 1) - a).cwiseAbs().maxCoeff(), 0.1f);
  ChipParams ideal = exactChip(DenoiserMode::Sample);
  ideal.denoiser.epsilon = EpsilonSource::Ideal;
  EXPECT_GT((BlockRun(blockProgram(w, true), ideal).onChip(x, 7, 1) - a).cwiseAbs().maxCoeff(), 0.1f);
  // A GRNG whose sqrt stage is bypassed: its ε reach the output.
  ChipParams broken = exactChip(DenoiserMode::Sample);
  broken.denoiser.grng.fault = GrngFault::SqrtIdentity;
  const RowMatrix b = BlockRun(blockProgram(w, true), broken).onChip(x, 7, 1);
  EXPECT_GT((b - a).cwiseAbs().maxCoeff(), 0.1f);
  // ... and widen y − (x − μ): z = e·cos θ has E z² = E e²/2 = 4 against 1 for the healthy GRNG.
  const RowMatrix m = mean.onChip(x, 7, 1);
  const double healthy = (a - m).squaredNorm(), faulty = (b - m).squaredNorm();
  EXPECT_GT(faulty, 2.5 * healthy) << faulty << " vs " << healthy;
}

TEST(DenoiserEngine, SampleModeWithoutALogVarHeadIsAConfigErrorNamingModelAndBlock) {
  const wl::Program p = blockProgram(weights(), false);
  const ChipParams chip = exactChip(DenoiserMode::Sample);
  const Mapping mapping = mapProgram(p, chip);
  try {
    FunctionalEngine engine(p, chip, mapping);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "chip.denoiser.mode")) << e.what();
    EXPECT_TRUE(contains(e.what(), "block.onnx has none in denoiser block 0")) << e.what();
  }
}

}  // namespace
}  // namespace mxsim
