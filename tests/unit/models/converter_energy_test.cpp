// Energy and area models of the DAC, the crossbar read and the ADC (docs/models.md, docs/converters.md): each
// function against its equation at two parameter points, and against a cited data point where one exists.
#include <gtest/gtest.h>

#include <cmath>

#include "models/converters/adc.h"
#include "models/converters/adc_survey.h"
#include "models/converters/dac.h"
#include "models/crossbar/crossbar.h"
#include "sim/core/config.h"
#include "sim/core/error.h"

namespace mxsim {
namespace {

// ---------------------------------------------------------------------------------------------------
// ADC: the scaled 32 nm SAR table (Kull et al. ISSCC 2013 scaled per Saberi et al. TCAS-I 2011)

constexpr double kClock = 1e9;    // the default chip's clock
constexpr double kNode32 = 32.0;  // the scaled SAR table's node: no node scaling

AdcParams sar(int bits) {
  AdcParams p;
  p.bits = bits;
  p.type = AdcType::Sar;
  p.energyModel = AdcEnergyModel::ScaledSar;
  return p;
}

TEST(AdcEnergyAreaTest, ScaledSarIsTheTableAtTwoResolutions) {
  EXPECT_DOUBLE_EQ(AdcCore(sar(4)).energyPerConversionJ(kClock, kNode32), 0.79e-12);
  EXPECT_DOUBLE_EQ(AdcCore(sar(4)).areaM2(kClock, kNode32), 361.04e-12);
  EXPECT_DOUBLE_EQ(AdcCore(sar(10)).energyPerConversionJ(kClock, kNode32), 2.379e-12);
  EXPECT_DOUBLE_EQ(AdcCore(sar(10)).areaM2(kClock, kNode32), 3002.0e-12);
}

TEST(AdcEnergyAreaTest, EightBitRowIsIsaacsAdc) {
  // ISAAC (Shafiee et al. ISCA 2016) Table: 8 ADCs of 8 bits take 0.0096 mm² -> 1200 µm² each.
  EXPECT_NEAR(AdcCore(sar(8)).areaM2(kClock, kNode32), 0.0096e-6 / 8, 1e-18);
  // Within 7 % of ISAAC's 2 mW / 1.28 GS/s = 1.5625 pJ per conversion (the table prices 1.67 pJ).
  EXPECT_NEAR(AdcCore(sar(8)).energyPerConversionJ(kClock, kNode32), 2e-3 / 1.28e9, 0.07 * 2e-3 / 1.28e9);
}

TEST(AdcEnergyAreaTest, AreaAndEnergyGrowWithEveryBit) {
  for (int b = 2; b < 16; ++b) {
    EXPECT_LT(AdcCore(sar(b)).areaM2(kClock, kNode32), AdcCore(sar(b + 1)).areaM2(kClock, kNode32)) << b;
    EXPECT_LT(AdcCore(sar(b)).energyPerConversionJ(kClock, kNode32), AdcCore(sar(b + 1)).energyPerConversionJ(kClock, kNode32)) << b;
  }
}

TEST(AdcEnergyAreaTest, OutsideTheTableExtendsWithTheEndRatio) {
  const double e11 = 2.379e-12 * (2.379 / 1.969), a12 = 3002.0e-12 * std::pow(3002.0 / 1827.9, 2);
  EXPECT_NEAR(AdcCore(sar(11)).energyPerConversionJ(kClock, kNode32), e11, 1e-24);
  EXPECT_NEAR(AdcCore(sar(12)).areaM2(kClock, kNode32), a12, 1e-21);
  EXPECT_NEAR(AdcCore(sar(3)).energyPerConversionJ(kClock, kNode32), 0.79e-12 * (0.79 / 0.99), 1e-24);
  EXPECT_NEAR(AdcCore(sar(2)).areaM2(kClock, kNode32), 361.04e-12 * std::pow(361.04 / 476.91, 2), 1e-21);
}

TEST(AdcEnergyAreaTest, FlashTakesTheSurveyAreaAndNoScaledSarEnergy) {
  AdcParams f = sar(4);
  f.type = AdcType::Flash;
  f.energyModel = AdcEnergyModel::Walden;
  // A flash ADC converts once per cycle: the survey area at the full clock rate.
  EXPECT_DOUBLE_EQ(AdcCore(f).areaM2(kClock, kNode32), adcsurvey::areaM2(4, kClock, kNode32));
  ConfigReader r(YAML::Load("type: flash\nbits: 4\n"), "adc");
  EXPECT_THROW(AdcParams::fromConfig(r), ConfigError);  // default scaled_sar energy needs a SAR ADC
  ConfigReader w(YAML::Load("type: flash\nbits: 4\nenergy_model: walden\n"), "adc");
  EXPECT_EQ(AdcParams::fromConfig(w).type, AdcType::Flash);
}

// ---------------------------------------------------------------------------------------------------
// DAC: word-line driver and capacitive multibit DAC

DacCore dac(int bits, DacMode mode, double unitCapF = 1e-15) {
  DacParams p;
  p.bits = bits;
  p.mode = mode;
  p.unitCapacitanceF = unitCapF;
  return DacCore(p);
}

TEST(DacEnergyTest, BitSerialDriverChargesItsWordLine) {
  // E = C_line · V_read².
  EXPECT_NEAR(dac(8, DacMode::BitSerial).energyPerConversionJ(2e-15, 0.2), 2e-15 * 0.04, 1e-30);
  EXPECT_NEAR(dac(4, DacMode::BitSerial).energyPerConversionJ(10e-15, 0.5), 10e-15 * 0.25, 1e-30);
}

TEST(DacEnergyTest, MultibitSwitchesAllUnitsAtFullScalePlusTheLine) {
  // E = (2^bits − 1)·C_u·V_read² + C_line·V_read².
  EXPECT_NEAR(dac(4, DacMode::Multibit).energyPerConversionJ(2e-15, 0.2), 15 * 1e-15 * 0.04 + 2e-15 * 0.04, 1e-30);
  EXPECT_NEAR(dac(8, DacMode::Multibit, 0.5e-15).energyPerConversionJ(3e-15, 0.5),
              255 * 0.5e-15 * 0.25 + 3e-15 * 0.25, 1e-30);
  // One more bit roughly doubles the capacitive part.
  const double e6 = dac(6, DacMode::Multibit).energyPerConversionJ(0.0, 0.2);
  const double e7 = dac(7, DacMode::Multibit).energyPerConversionJ(0.0, 0.2);
  EXPECT_NEAR(e7 / e6, 127.0 / 63.0, 1e-12);
}

TEST(DacEnergyTest, DefaultUnitCapacitorIsAboveTheThermalNoiseBound) {
  // kT/C ≤ LSB²/12 over V_read = 0.2 V at 8 bits: C_total ≥ 12·kT·4^8/V² (k = 1.380649e-23 J/K, T = 300 K).
  const double bound = 12 * 1.380649e-23 * 300 * std::pow(4.0, 8) / 0.04 / 255;
  EXPECT_NEAR(bound, 0.32e-15, 0.01e-15);  // the number quoted in docs/converters.md
  EXPECT_GT(DacParams::kDefaultUnitCapacitanceF, bound);
}

// ---------------------------------------------------------------------------------------------------
// Crossbar read

TEST(CrossbarEnergyTest, CellReadIsVSquaredGmaxTime) {
  CrossbarParams p;
  p.readVoltageV = 0.2;
  p.gMaxS = 25e-6;
  EXPECT_NEAR(p.cellReadEnergyJ(10e-9), 0.04 * 25e-6 * 10e-9, 1e-30);
  p.readVoltageV = 0.5;
  p.gMaxS = 100e-6;
  EXPECT_NEAR(p.cellReadEnergyJ(100e-9), 0.25 * 100e-6 * 100e-9, 1e-30);
}

TEST(CrossbarEnergyTest, WordLineCapacitanceCountsEveryDeviceOfTheRow) {
  CrossbarParams p;
  p.cols = 128;
  p.wireCapacitanceF = 8e-18;
  p.mapping = WeightMapping::Differential;
  EXPECT_NEAR(p.wordLineCapacitanceF(), 8e-18 * 256, 1e-30);
  p.mapping = WeightMapping::Offset;
  p.cols = 64;
  EXPECT_NEAR(p.wordLineCapacitanceF(), 8e-18 * 64, 1e-30);
  // NeuroSim's 0.2 fF/µm wire capacitance at a 39.06 nm pitch (ISAAC's 25 µm² per 128 × 128 array).
  EXPECT_NEAR(CrossbarParams::kDefaultWireCapacitanceF, 0.2e-15 * 39.06e-3, 1e-24);
  EXPECT_NEAR(std::sqrt(25e-12 / (128.0 * 128.0)), 39.06e-9, 0.01e-9);
}

double meanConductance(WeightMapping m, float w) {
  CrossbarParams p;
  p.gMinS = 1e-6;
  p.gMaxS = 21e-6;
  p.mapping = m;
  DeviceNoiseParams ideal;
  ideal.sigma = 0.0;  // no programming variation: every device at its target
  const CrossbarCore core(p, ideal);
  const ColMatrix wn = ColMatrix::Constant(4, 3, w);
  const ProgrammedBlock b = core.program(wn, 1, 0.0);
  EXPECT_EQ(b.devices, 12.0 * p.devicesPerWeight());
  return b.conductanceSumS / b.devices;
}

TEST(CrossbarEnergyTest, ProgrammedConductanceIncludesGminAndTheMappingsOffset) {
  // Differential: a zero weight is two devices at Gmin; a weight of 1 is Gmax and Gmin.
  EXPECT_NEAR(meanConductance(WeightMapping::Differential, 0.0f), 1e-6, 1e-15);
  EXPECT_NEAR(meanConductance(WeightMapping::Differential, 1.0f), 11e-6, 1e-15);
  EXPECT_NEAR(meanConductance(WeightMapping::Differential, -0.5f), (1e-6 + 11e-6) / 2, 1e-15);
  // Offset: a zero weight sits mid-range (Gmin + ΔG/2), not at zero; −1 at Gmin, +1 at Gmax.
  EXPECT_NEAR(meanConductance(WeightMapping::Offset, 0.0f), 11e-6, 1e-15);
  EXPECT_NEAR(meanConductance(WeightMapping::Offset, -1.0f), 1e-6, 1e-15);
  EXPECT_NEAR(meanConductance(WeightMapping::Offset, 1.0f), 21e-6, 1e-15);
}

}  // namespace
}  // namespace mxsim
