#include "models/memory/memory_cost.h"

#include <cmath>

#include "models/common/technology.h"

namespace mxsim::memcost {

double energyPerBitJ(double bankBytes, double nodeNm, MemoryTechnology /*tech*/) {
  const double perBitAtRef = kAccessRefJoules / kAccessRefWordBits;
  return perBitAtRef * std::sqrt(bankBytes / kAccessRefCapacityBytes) * tech::energyScale(kAccessRefNodeNm, nodeNm);
}

double energyPerAccessJ(double bankBytes, int wordBits, double nodeNm, MemoryTechnology tech) {
  return wordBits * energyPerBitJ(bankBytes, nodeNm, tech);
}

double leakageW(double capacityBytes, double nodeNm) {
  return capacityBytes * 8.0 * kLeakageRefW / kStaticRefBits * tech::leakageScale(kStaticRefNodeNm, nodeNm);
}

double refreshW(double capacityBytes, double nodeNm, MemoryTechnology tech) {
  if (tech != MemoryTechnology::Edram) return 0.0;
  return capacityBytes * 8.0 * kRefreshRefW / kStaticRefBits * tech::leakageScale(kStaticRefNodeNm, nodeNm);
}

double staticW(double capacityBytes, double nodeNm, MemoryTechnology tech) {
  return leakageW(capacityBytes, nodeNm) + refreshW(capacityBytes, nodeNm, tech);
}

}  // namespace mxsim::memcost
