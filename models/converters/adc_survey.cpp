#include "models/converters/adc_survey.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/technology.h"

namespace mxsim::adcsurvey {
namespace {
void requireDomain(double bits, double sampleRateHz, double nodeNm) {
  if (!(bits >= SurveyFit::kMinBits))
    throw std::invalid_argument(
        fmt::format("the ADC survey model is fitted for {} bits and more (got {:g})", SurveyFit::kMinBits, bits));
  if (!(sampleRateHz > 0.0)) throw std::invalid_argument(fmt::format("ADC sample rate {:g} Hz must be > 0", sampleRateHz));
  if (!(nodeNm > 0.0)) throw std::invalid_argument(fmt::format("technology node {:g} nm must be > 0", nodeNm));
}
}  // namespace

double sndrDb(double bits) { return 20.0 * std::log10(2.0) * bits + 10.0 * std::log10(1.5); }

double schreierFomDb(double bits, double sampleRateHz) {
  const int k = std::clamp(static_cast<int>(std::ceil(bits)), 0, SurveyFit::kFomsMaxBitsIndex);
  const double byRate = SurveyFit::kFomsIntercept + SurveyFit::kFomsPerLnHz * std::log(sampleRateHz);
  const double byBits = SurveyFit::kFomsMaxAt0Bits + SurveyFit::kFomsMaxPerBit * k;
  return std::min(byRate, byBits);
}

double energyPerConversionJ(double bits, double sampleRateHz, double nodeNm) {
  requireDomain(bits, sampleRateHz, nodeNm);
  const double bound = 0.5 * std::pow(10.0, (sndrDb(bits) - schreierFomDb(bits, sampleRateHz)) / 10.0);
  const double correctionPj = std::exp(SurveyFit::kTechIntercept + SurveyFit::kTechPerLnNm * std::log(nodeNm) +
                                       SurveyFit::kPerLnBits * std::log(bits) + SurveyFit::kEnergyResidual);
  return bound * correctionPj * 1e-12;
}

double areaM2(double bits, double sampleRateHz, double nodeNm) {
  const double energyPj = energyPerConversionJ(bits, sampleRateHz, nodeNm) * 1e12;
  const double lnUm2 = SurveyFit::kAreaIntercept + SurveyFit::kAreaPerLnNm * std::log(nodeNm) +
                       SurveyFit::kAreaPerLnHz * std::log(sampleRateHz) + SurveyFit::kAreaPerLnPj * std::log(energyPj);
  return std::exp(lnUm2) * 1e-12;
}

double rampCounterEnergyJ(int bits, double nodeNm) {
  return std::ldexp(1.0, bits) * (bits / 32.0) * RampCounter::kEnergyPerCount32J *
         tech::energyScale(RampCounter::kNodeNm, nodeNm);
}

double rampCounterAreaM2(int bits, double nodeNm) {
  return (bits / 32.0) * RampCounter::kArea32M2 * tech::areaScale(RampCounter::kNodeNm, nodeNm);
}

}  // namespace mxsim::adcsurvey
