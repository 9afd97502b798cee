// Noise and device physics in the functional engine (sim/engine): reproducibility of noisy chips across
// thread counts and batch splits (per-image keyed noise streams), read noise and activation noise against
// their models, noise.array: ideal (exact layers plus activation noise), drift and its compensation,
// DAC/ADC/slicing modes against ideal inference, and percentile ADC calibration. Statistics use bounds of
// 4-5 standard errors for the sample size; seeds are fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/engine/functional_engine.h"
#include "tests/support/program_fixtures.h"

namespace mxsim {
namespace {

constexpr double kYear = 365.25 * 86400.0;

RowMatrix randomImages(int n, const wl::Shape& shape, std::uint64_t seed, float lo = 0.0f) {
  return testing::randomMatrix(n, static_cast<int>(wl::numel(shape)), seed, lo, 1.0f).cast<float>();
}

/// One analog Gemm (K inputs → C outputs), built like smallCnn's fc step.
wl::Program oneLayer(int K = 64, int C = 16, std::uint64_t seed = 9) {
  wl::Program p;
  p.modelPath = "<test>";
  p.buffers.push_back({K});
  p.input = 0;
  wl::Step fc;
  fc.kind = wl::StepKind::AnalogGemm;
  fc.name = "fc";
  fc.op = "Gemm";
  fc.weight = testing::randomMatrix(K, C, seed);
  fc.bias = testing::randomMatrix(C, 1, seed + 1, -0.1f, 0.1f).col(0);
  fc.inputs = {0};
  fc.inShape = {K};
  fc.outShape = {C};
  p.buffers.push_back(fc.outShape);
  fc.output = 1;
  p.steps.push_back(fc);
  p.output = 1;
  return p;
}

struct Fixture {
  explicit Fixture(ChipParams c = {}, wl::Program prog = testing::smallCnn()) : chip(c), program(std::move(prog)) {
    mapping = mapProgram(program, chip);
  }
  ChipParams chip;
  wl::Program program;
  Mapping mapping;
};

ChipParams preciseChip() {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.0;
  chip.array.dac.bits = 16;
  chip.array.adc.bits = 16;
  return chip;
}

ChipParams noisyChip() {
  ChipParams chip;
  chip.deviceNoise.sigma = 0.03;
  chip.deviceNoise.read = ReadNoiseModel::Absolute;
  chip.deviceNoise.readSigma = 0.02;
  chip.activationNoise.mode = ActivationNoiseMode::Absolute;
  chip.activationNoise.sigma = 0.05;
  chip.array.adc.offsetSigmaLsb = 0.5;
  chip.array.adc.gainSigma = 0.01;
  return chip;
}

double relMaxError(const RowMatrix& a, const RowMatrix& ref) {
  return (a - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
}

/// Sample mean within 5·sd/√N and sample variance within 5·√(2/(N − 1)) relative of sd² (normal data).
void expectNormal(const std::vector<double>& v, double sd, const char* what) {
  const double n = static_cast<double>(v.size());
  double mean = 0;
  for (double x : v) mean += x;
  mean /= n;
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  var /= n - 1;
  EXPECT_NEAR(mean, 0.0, 5.0 * sd / std::sqrt(n)) << what;
  EXPECT_NEAR(var / (sd * sd), 1.0, 5.0 * std::sqrt(2.0 / (n - 1))) << what << ": std " << std::sqrt(var) << " vs " << sd;
}

// ------------------------------------------------------------------------------------- reproducibility

TEST(EngineNoiseTest, NoisyChipIsThreadCountInvariant) {
  Fixture f(noisyChip());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(300, f.program.buffers[0], 21);
  ChipInstance inst = eng.programChip(42);
  eng.calibrate(inst, x.topRows(64));
  ASSERT_FALSE(inst.layers[0].adcs.empty()) << "ADC static errors are drawn";
  ASSERT_GT(inst.layers[0].uniformReadVar, 0.0f);
  ASSERT_NEAR(inst.layers[0].activationSigma, 0.05f, 1e-7f);
  const RowMatrix one = eng.logits(x, &inst, 1);
  const RowMatrix two = eng.logits(x, &inst, 2);
  const RowMatrix three = eng.logits(x, &inst, 3);
  EXPECT_TRUE(one == two) << "max diff " << (one - two).cwiseAbs().maxCoeff();
  EXPECT_TRUE(one == three) << "max diff " << (one - three).cwiseAbs().maxCoeff();
  // Not vacuous: the noise is there.
  ChipInstance quiet = inst;
  for (auto& l : quiet.layers) {
    l.uniformReadVar = 0.0f;
    l.activationSigma = 0.0f;
  }
  EXPECT_GT((one - eng.logits(x, &quiet, 2)).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(EngineNoiseTest, NoiseIsKeyedPerImageNotPerBatch) {
  // Image n's read and activation noise come from streams keyed by firstImage + n, so a batch's rows must
  // not depend on which other images share the batch.
  Fixture f(noisyChip());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(128, f.program.buffers[0], 22);
  ChipInstance inst = eng.programChip(7);
  eng.calibrate(inst, x.topRows(64));
  const RowMatrix all = eng.forward(x, &inst, 0);
  const RowMatrix head = eng.forward(x.topRows(50), &inst, 0);
  const RowMatrix mid = eng.forward(x.middleRows(50, 30), &inst, 50);
  // Bit-exact equality (what the engine's contract promises). If float GEMM blocking ever differed between
  // batch sizes this would fail while the noise keying is right; the second check below, 1e-6 relative,
  // separates the two causes (noise drawn from the wrong stream changes outputs by ~1e-2).
  EXPECT_TRUE(head == all.topRows(50)) << "max diff " << (head - all.topRows(50)).cwiseAbs().maxCoeff();
  EXPECT_TRUE(mid == all.middleRows(50, 30)) << "max diff " << (mid - all.middleRows(50, 30)).cwiseAbs().maxCoeff();
  const double scale = all.cwiseAbs().maxCoeff();
  EXPECT_LE((head - all.topRows(50)).cwiseAbs().maxCoeff(), 1e-6 * scale);
  EXPECT_LE((mid - all.middleRows(50, 30)).cwiseAbs().maxCoeff(), 1e-6 * scale);
}

// ------------------------------------------------------------------------------------------ read noise

TEST(EngineNoiseTest, ReadNoiseChangesOutputsAndDependsOnImageIndex) {
  ChipParams chip = preciseChip();
  chip.deviceNoise.read = ReadNoiseModel::Absolute;
  chip.deviceNoise.readSigma = 0.02;
  Fixture f(chip);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(40, f.program.buffers[0], 23);
  ChipInstance inst = eng.programChip(5);
  eng.calibrate(inst, x);
  ChipInstance quiet = inst;
  for (auto& l : quiet.layers) l.uniformReadVar = 0.0f;
  const RowMatrix a = eng.forward(x, &inst, 0);
  EXPECT_TRUE(a == eng.forward(x, &inst, 0)) << "same images, same index: same noise";
  const RowMatrix b = eng.forward(x, &inst, 1000);
  const RowMatrix clean = eng.forward(x, &quiet, 0);
  EXPECT_GT(relMaxError(a, clean), 1e-3) << "read noise changes outputs";
  EXPECT_GT(relMaxError(b, clean), 1e-3);
  // Different image indices draw different noise for every image.
  for (int n = 0; n < x.rows(); ++n) EXPECT_FALSE(a.row(n) == b.row(n)) << "image " << n;
}

TEST(EngineNoiseTest, ReadNoiseOnOneLayerHasModelStd) {
  // One Gemm, unsigned inputs (one DAC pass), no variation, 16-bit converters with a fixed ADC range of 64
  // (no clipping: |p| ≤ K = 64). Each output gains, in partial-sum units, √(v·Σ_i xq_i²)·z with
  // v = 2(σ·Gmax/ΔG)² (absolute read noise, differential pair) and xq the normalised input x/max|x|; the
  // digital side multiplies by max|x|·max|W|. So (noisy − clean)/(max|x|·max|W|·√(v·Σ xq²)) ~ N(0, 1).
  // N = 400 × 16 = 6400: variance bound ±5·√(2/6399) = ±0.088, mean ±0.0625. ADC rounding (LSB 2e-3 vs
  // noise std ~0.13 in partial-sum units) adds < 1e-4 to the variance.
  const int K = 64, C = 16, N = 400;
  ChipParams chip = preciseChip();
  chip.deviceNoise.read = ReadNoiseModel::Absolute;
  chip.deviceNoise.readSigma = 0.02;
  chip.array.adc.range = AdcRange::Fixed;
  chip.array.adc.fullScaleValue = static_cast<float>(K);
  Fixture f(chip, oneLayer(K, C));
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(N, f.program.buffers[0], 24);
  ChipInstance inst = eng.programChip(6);
  eng.calibrate(inst, x.topRows(32));
  ASSERT_FALSE(inst.layers[0].signedInput);
  const double dG = chip.array.xbar.gMaxS - chip.array.xbar.gMinS;
  const double v = 2.0 * std::pow(0.02 * chip.array.xbar.gMaxS / dG, 2);
  ASSERT_NEAR(inst.layers[0].uniformReadVar, v, 1e-6 * v);
  ChipInstance quiet = inst;
  quiet.layers[0].uniformReadVar = 0.0f;
  const RowMatrix noisy = eng.forward(x, &inst, 0), clean = eng.forward(x, &quiet, 0);
  const double wScale = f.program.steps[0].weight.cwiseAbs().maxCoeff();
  std::vector<double> zs;
  for (int n = 0; n < N; ++n) {
    const double xMax = x.row(n).cwiseAbs().maxCoeff();
    const double sumSq = (x.row(n).cast<double>() / xMax).squaredNorm();
    const double sd = xMax * wScale * std::sqrt(v * sumSq);
    for (int c = 0; c < C; ++c) zs.push_back((noisy(n, c) - clean(n, c)) / sd);
  }
  expectNormal(zs, 1.0, "standardised read-noise deviation");
}

// ------------------------------------------------------------------------------------ activation noise

TEST(EngineNoiseTest, AbsoluteActivationNoiseHasSigma) {
  // y' = y + σ·ε on the layer output: noisy − clean = σ·ε exactly (to float rounding of y ~ 1e-7).
  // N = 400 × 16 = 6400 samples: mean ±5σ/√N = ±0.0031, variance ±5·√(2/6399) = ±8.8 % relative.
  const int N = 400;
  ChipParams chip = preciseChip();
  chip.activationNoise.mode = ActivationNoiseMode::Absolute;
  chip.activationNoise.sigma = 0.05;
  Fixture f(chip, oneLayer());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(N, f.program.buffers[0], 25);
  ChipInstance inst = eng.programChip(8);
  eng.calibrate(inst, x.topRows(64));
  ASSERT_EQ(inst.layers[0].activationSigma, 0.05f);
  ChipInstance quiet = inst;
  quiet.layers[0].activationSigma = 0.0f;
  const RowMatrix dev = eng.forward(x, &inst, 0) - eng.forward(x, &quiet, 0);
  std::vector<double> d(dev.data(), dev.data() + dev.size());
  expectNormal(d, 0.05, "activation noise");
}

TEST(EngineNoiseTest, RelativeActivationNoiseScalesWithCalibrationStatistics) {
  // relative_std: σ_l = sigma·std(y) and relative_max: sigma·max|y|, with y the layer's (noise-free) outputs
  // on the calibration images, all elements pooled (population std).
  const RowMatrix cal = randomImages(64, {64}, 26, -1.0f);
  for (ActivationNoiseMode mode : {ActivationNoiseMode::RelativeStd, ActivationNoiseMode::RelativeMax}) {
    ChipParams chip = preciseChip();
    chip.activationNoise.mode = mode;
    chip.activationNoise.sigma = 0.1;
    Fixture f(chip, oneLayer());
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    ChipInstance inst = eng.programChip(9);
    eng.calibrate(inst, cal);
    ChipInstance quiet = inst;
    quiet.layers[0].activationSigma = 0.0f;
    const RowMatrix y = eng.forward(cal, &quiet, 0);
    const double n = static_cast<double>(y.size());
    double mean = 0, ss = 0;
    for (int i = 0; i < y.size(); ++i) mean += y.data()[i];
    mean /= n;
    for (int i = 0; i < y.size(); ++i) ss += (y.data()[i] - mean) * (y.data()[i] - mean);
    const double stat = mode == ActivationNoiseMode::RelativeStd ? std::sqrt(ss / n) : y.cwiseAbs().maxCoeff();
    EXPECT_NEAR(inst.layers[0].activationSigma, 0.1 * stat, 1e-4 * 0.1 * stat)
        << (mode == ActivationNoiseMode::RelativeStd ? "relative_std" : "relative_max");
  }
  // A per-layer override replaces sigma for that layer.
  ChipParams chip = preciseChip();
  chip.activationNoise.mode = ActivationNoiseMode::Absolute;
  chip.activationNoise.sigma = 0.05;
  chip.activationNoise.perLayer["fc"] = 0.2;
  Fixture f(chip, oneLayer());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  ChipInstance inst = eng.programChip(9);
  eng.calibrate(inst, cal);
  EXPECT_EQ(inst.layers[0].activationSigma, 0.2f);
}

// ---------------------------------------------------------------------------- noise.array: ideal

/// Sample mean and (unbiased) std of noisy − ideal against σ: |mean| < 4σ/√n; s²(n−1)/σ² ~ χ²(n−1), so for
/// large n s/σ ≈ N(1, 1/(2n)) and |s/σ − 1| < 4/√(2n).
void expectDeviationHasSigma(const RowMatrix& noisy, const RowMatrix& ideal, double sigma, const char* what) {
  const RowMatrix dev = noisy - ideal;
  const double n = static_cast<double>(dev.size());
  double mean = 0;
  for (Eigen::Index i = 0; i < dev.size(); ++i) mean += dev.data()[i];
  mean /= n;
  double ss = 0;
  for (Eigen::Index i = 0; i < dev.size(); ++i) ss += (dev.data()[i] - mean) * (dev.data()[i] - mean);
  const double s = std::sqrt(ss / (n - 1));
  EXPECT_LT(std::abs(mean), 4.0 * sigma / std::sqrt(n)) << what;
  EXPECT_LT(std::abs(s / sigma - 1.0), 4.0 / std::sqrt(2.0 * n)) << what << ": std " << s << " vs " << sigma;
}

TEST(EngineNoiseTest, IdealArrayWithoutActivationNoiseEqualsIdealInference) {
  // noise.array: ideal bypasses DAC, devices and ADC: with no activation noise a (noisy) chip's logits are
  // the ideal ones bit for bit, since both run the same exact x·W + b.
  ChipParams chip = noisyChip();
  chip.activationNoise.mode = ActivationNoiseMode::None;
  chip.arrayModel = ArrayModel::Ideal;
  Fixture f(chip);
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(200, f.program.buffers[0], 32, -1.0f);
  ChipInstance inst = eng.programChip(14);
  eng.calibrate(inst, x.topRows(64));
  const RowMatrix ideal = eng.logits(x, nullptr, 2);
  const RowMatrix onChip = eng.logits(x, &inst, 2);
  EXPECT_TRUE(onChip == ideal) << "max diff " << (onChip - ideal).cwiseAbs().maxCoeff();
  for (const auto& l : inst.layers) {
    EXPECT_EQ(l.activationSigma, 0.0f);
    EXPECT_EQ(l.dacActivity, 1.0) << "DAC activity keeps its default";
    EXPECT_EQ(l.inputPower, 1.0);
  }
  // Not vacuous: the same chip with physical arrays differs.
  chip.arrayModel = ArrayModel::Physical;
  Fixture g(chip);
  FunctionalEngine physical(g.program, g.chip, g.mapping);
  ChipInstance pinst = physical.programChip(14);
  physical.calibrate(pinst, x.topRows(64));
  EXPECT_GT(relMaxError(physical.logits(x, &pinst, 2), ideal), 1e-3);
}

TEST(EngineNoiseTest, IdealArrayAbsoluteActivationNoiseHasSigma) {
  // One Gemm on a noisy chip with ideal arrays and absolute σ = 0.05: noisy − ideal = σ·ε exactly (to float
  // rounding of y ~ 1e-7). n = 400 × 16 = 6400: |mean| < 4σ/√n = 0.0025, |s/σ − 1| < 4/√(2n) = 0.035.
  const int N = 400;
  ChipParams chip = noisyChip();
  chip.arrayModel = ArrayModel::Ideal;
  chip.activationNoise.mode = ActivationNoiseMode::Absolute;
  chip.activationNoise.sigma = 0.05;
  Fixture f(chip, oneLayer());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(N, f.program.buffers[0], 33, -1.0f);
  ChipInstance inst = eng.programChip(15);
  eng.calibrate(inst, x.topRows(64));
  ASSERT_EQ(inst.layers[0].activationSigma, 0.05f);
  expectDeviationHasSigma(eng.forward(x, &inst, 0), eng.forward(x, nullptr, 0), 0.05, "ideal array, absolute");
}

TEST(EngineNoiseTest, IdealArrayRelativeStdCalibratesOnExactOutputs) {
  // relative_std with ideal arrays: σ_l = sigma × the population std of the exact layer output x·W + b over
  // all elements of the calibration images (computed here in double), and the noise has that std on other
  // images (same bounds as above, n = 6400).
  const int N = 400;
  const double sigma = 0.1;
  ChipParams chip = noisyChip();
  chip.arrayModel = ArrayModel::Ideal;
  chip.activationNoise.mode = ActivationNoiseMode::RelativeStd;
  chip.activationNoise.sigma = sigma;
  Fixture f(chip, oneLayer());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix cal = randomImages(64, f.program.buffers[0], 34, -1.0f);
  ChipInstance inst = eng.programChip(16);
  eng.calibrate(inst, cal);
  const wl::Step& fc = f.program.steps[0];
  const Eigen::MatrixXd y =
      (cal.cast<double>() * fc.weight.cast<double>()).rowwise() + fc.bias.cast<double>().transpose();
  const double mean = y.mean();
  const double sd = std::sqrt((y.array() - mean).square().mean());
  ASSERT_GT(sd, 0.1);
  EXPECT_NEAR(inst.layers[0].activationSigma, sigma * sd, 1e-4 * sigma * sd);
  const RowMatrix x = randomImages(N, f.program.buffers[0], 35, -1.0f);
  expectDeviationHasSigma(eng.forward(x, &inst, 0), eng.forward(x, nullptr, 0), inst.layers[0].activationSigma,
                          "ideal array, relative_std");
}

// ----------------------------------------------------------------------------------------------- drift

ChipParams driftingChip() {
  ChipParams chip = preciseChip();
  chip.deviceNoise.drift = DriftModel::Constant;
  chip.deviceNoise.nuMean = 0.05;
  chip.deviceNoise.nuStd = 0.0;
  return chip;
}

TEST(EngineNoiseTest, DriftShrinksOneLayerOutputsByThePowerLaw) {
  // Every weight drifts by f = ((t + t0)/t0)^(−ν) (both devices of a pair alike), so with calibration from
  // t = 0 and no compensation the Gemm output is f·(y − b) + b; 16-bit ADC rounding is ~3e-5 relative.
  Fixture f(driftingChip(), oneLayer());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(100, f.program.buffers[0], 27, -1.0f);
  ChipInstance fresh = eng.programChip(3, 0.0);
  eng.calibrate(fresh, x);
  ChipInstance aged = eng.programChip(3, kYear);
  eng.adoptCalibration(fresh, aged, false);
  const double fac = std::pow((kYear + 20.0) / 20.0, -0.05);  // 0.4899
  const RowMatrix bias = f.program.steps[0].bias.transpose().replicate(x.rows(), 1);
  const RowMatrix y0 = eng.forward(x, &fresh), ya = eng.forward(x, &aged);
  const RowMatrix expected = fac * (y0 - bias) + bias;
  EXPECT_LT((ya - expected).cwiseAbs().maxCoeff(), 1e-3 * (y0 - bias).cwiseAbs().maxCoeff());
  EXPECT_GT((ya - y0).cwiseAbs().maxCoeff(), 0.3 * (y0 - bias).cwiseAbs().maxCoeff());
}

TEST(EngineNoiseTest, DriftCompensationRestoresFreshLogits) {
  // The compensation factor is the ratio of all-ones reference reads, Σ|colsum(t=0)|/Σ|colsum(t)| = 1/f
  // exactly when every weight drifts by the same f; compensated logits then equal the fresh ones up to
  // converter rounding (ADC ranges calibrated at t = 0, 16-bit).
  Fixture f(driftingChip());
  FunctionalEngine eng(f.program, f.chip, f.mapping);
  const RowMatrix x = randomImages(64, f.program.buffers[0], 28, -1.0f);
  ChipInstance fresh = eng.programChip(4, 0.0);
  eng.calibrate(fresh, x);
  ChipInstance aged = eng.programChip(4, kYear), comp = eng.programChip(4, kYear);
  eng.adoptCalibration(fresh, aged, false);
  eng.adoptCalibration(fresh, comp, true);
  const double fac = std::pow((kYear + 20.0) / 20.0, -0.05);
  for (size_t l = 0; l < comp.layers.size(); ++l) {
    EXPECT_EQ(aged.layers[l].outputScale, 1.0f);
    EXPECT_NEAR(comp.layers[l].outputScale, 1.0 / fac, 1e-5 / fac) << "layer " << l;
    EXPECT_EQ(comp.layers[l].adcFullScale, fresh.layers[l].adcFullScale);
  }
  const RowMatrix y0 = eng.forward(x, &fresh);
  const double relAged = relMaxError(eng.forward(x, &aged), y0), relComp = relMaxError(eng.forward(x, &comp), y0);
  EXPECT_LT(relComp, 1e-3);
  EXPECT_GT(relAged, 0.05);
  EXPECT_GT(relAged, 10 * relComp);
}

// ------------------------------------------------------------------------------ converter and cell modes

TEST(EngineNoiseTest, DacAdcAndSlicingModesApproachIdeal) {
  struct Case {
    const char* name;
    void (*set)(ChipParams&);
  };
  const Case cases[] = {
      {"dac bit_serial", [](ChipParams& c) { c.array.dac.mode = DacMode::BitSerial; c.array.dac.bits = 12; }},
      {"dac offset", [](ChipParams& c) { c.array.dac.signedInputs = SignedInputs::Offset; c.array.dac.bits = 14; }},
      {"slicing 8/2", [](ChipParams& c) { c.array.xbar.weightBits = 8; c.array.xbar.cellBits = 2; c.array.adc.bits = 14; }},
      {"adc fixed", [](ChipParams& c) { c.array.adc.range = AdcRange::Fixed; c.array.adc.fullScaleValue = 48.0f; }},
  };
  for (const Case& k : cases) {
    ChipParams chip = preciseChip();
    k.set(chip);
    Fixture f(chip);
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    const RowMatrix x = randomImages(40, f.program.buffers[0], 29, -1.0f);  // signed: both phases / offset
    ChipInstance inst = eng.programChip(11);
    eng.calibrate(inst, x);
    if (chip.array.xbar.weightBits) {
      EXPECT_EQ(inst.layers[0].slices(), 4) << k.name;
    }
    const RowMatrix ideal = eng.forward(x, nullptr);
    const double rel = relMaxError(eng.forward(x, &inst), ideal);
    EXPECT_LT(rel, 1e-2) << k.name;
    EXPECT_GT(rel, 0.0) << k.name << ": finite converters still round";
  }
}

// ------------------------------------------------------------------------------------ ADC calibration

TEST(EngineNoiseTest, CalibrationPercentileIsNearestRankOfPartialSums) {
  // One Gemm (K = 64 ≤ 128 rows: one block, one slice), unsigned inputs: the calibration samples are the
  // pre-ADC partial sums p = xq·gEff of every image and column. Full scale = nearest-rank percentile of |p|
  // (sort ascending, a_k with k = ⌈P/100·n⌉), computed here in double; order statistics move by at most the
  // float rounding of p (~1e-6 relative), so they agree within 1e-5 relative.
  const int K = 64, C = 16, N = 200;
  const RowMatrix cal = randomImages(N, {K}, 30);
  auto fullScale = [&](int percentile, std::vector<double>* expected) {
    ChipParams chip = preciseChip();
    chip.array.adc.calibrationPercentile = percentile;
    Fixture f(chip, oneLayer(K, C));
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    ChipInstance inst = eng.programChip(12);
    eng.calibrate(inst, cal);
    EXPECT_FALSE(inst.layers[0].signedInput);
    const ColMatrix g = inst.layers[0].sliceWeights(0);
    std::vector<double> absP;
    for (int n = 0; n < N; ++n) {
      const float inv = 1.0f / cal.row(n).cwiseAbs().maxCoeff();
      const float L = 65535.0f;
      for (int c = 0; c < C; ++c) {
        double p = 0;
        for (int i = 0; i < K; ++i) p += static_cast<double>(std::round(cal(n, i) * inv * L) * (1.0f / L)) * g(i, c);
        absP.push_back(std::abs(p));
      }
    }
    std::sort(absP.begin(), absP.end());
    const std::size_t k = (static_cast<std::size_t>(percentile) * absP.size() + 99) / 100;  // ⌈P·n/100⌉, integer P
    expected->push_back(absP[k - 1]);
    return static_cast<double>(inst.layers[0].adcFullScale[0]);
  };
  std::vector<double> expected;
  const double f100 = fullScale(100, &expected), f99 = fullScale(99, &expected);
  EXPECT_LT(f99, f100);
  EXPECT_NEAR(f100, expected[0], 1e-5 * expected[0]);
  EXPECT_NEAR(f99, expected[1], 1e-5 * expected[1]);
}

TEST(EngineNoiseTest, CalibrationPercentileShrinksFullScaleOnSmallCnn) {
  std::vector<float> fs[2];
  const double pct[2] = {100.0, 99.0};
  for (int i = 0; i < 2; ++i) {
    ChipParams chip;
    chip.array.adc.calibrationPercentile = pct[i];
    Fixture f(chip);
    FunctionalEngine eng(f.program, f.chip, f.mapping);
    const RowMatrix x = randomImages(64, f.program.buffers[0], 31, -1.0f);
    ChipInstance inst = eng.programChip(13);
    eng.calibrate(inst, x);
    for (const auto& l : inst.layers) fs[i].insert(fs[i].end(), l.adcFullScale.begin(), l.adcFullScale.end());
  }
  ASSERT_EQ(fs[0].size(), fs[1].size());
  for (size_t i = 0; i < fs[0].size(); ++i) EXPECT_LT(fs[1][i], fs[0][i]) << "layer/slice " << i;
}

// ------------------------------------------------------------------------------------ ideal converters

TEST(EngineNoiseTest, IdealConvertersLeaveOnlyTheCellsError) {
  // 2-bit converters are coarse; with dac.ideal and adc.ideal the same chip computes x·W through its cells
  // alone. Analog cells (weight_bits 0) without noise: the float model up to float rounding. Quantised cells
  // (8 bits in 2-bit slices), bit-serial DAC: only the 8-bit weight rounding remains (≤ ½ LSB of max |W|
  // per weight, Σ over the fan-in: a few 1e-3 relative), far below the 2-bit converters' error.
  for (bool quantisedCells : {false, true}) {
    ChipParams coarse = preciseChip();
    coarse.array.dac.bits = 2;
    coarse.array.adc.bits = 2;
    if (quantisedCells) {
      coarse.array.xbar.weightBits = 8;
      coarse.array.xbar.cellBits = 2;
      coarse.array.dac.mode = DacMode::BitSerial;
    }
    ChipParams ideal = coarse;
    ideal.array.dac.ideal = true;
    ideal.array.adc.ideal = true;
    const std::string what = quantisedCells ? "8-bit cells, bit-serial DAC" : "analog cells";
    double err[2];
    int i = 0;
    for (const ChipParams* chip : {&coarse, &ideal}) {
      Fixture f(*chip);
      FunctionalEngine eng(f.program, f.chip, f.mapping);
      const RowMatrix x = randomImages(30, f.program.buffers[0], 31, -1.0f);  // signed inputs: both phases
      ChipInstance inst = eng.programChip(3);
      eng.calibrate(inst, x);
      err[i++] = relMaxError(eng.forward(x, &inst), eng.forward(x, nullptr));
      if (chip == &ideal) {
        EXPECT_EQ(eng.exactPassChunks(), 0u) << what << ": an ideal ADC has no codes to decide";
      }
    }
    EXPECT_GT(err[0], 5e-2) << what << ": 2-bit converters are lossy";
    EXPECT_LT(err[1], quantisedCells ? 2e-2 : 1e-5) << what;
    EXPECT_LT(err[1], err[0] / 5) << what;
  }
}

}  // namespace
}  // namespace mxsim
