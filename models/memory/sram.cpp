#include "models/memory/sram.h"

namespace mxsim {

SramParams SramParams::fromConfig(ConfigReader& r) {
  SramParams p;
  p.capacityBytes = r.getQuantity("capacity", Dimension::Bytes, 2.0 * 1024 * 1024, 1024.0, 1024.0 * 1024 * 1024 * 4,
                                  "global activation buffer capacity");
  p.wordBits = static_cast<int>(r.getInt("word_bits", 256, 8, 8192, "bits per access per port", "bits",
                                         {"ISAAC eDRAM buffer: 256-bit bus"}));
  p.ports = static_cast<int>(r.getInt("ports", 2, 1, 64, "independent access ports", "ports"));
  p.accessCycles = static_cast<int>(r.getInt("access_cycles", 1, 1, 1024, "latency of one access", "cycles"));
  p.activationBits = static_cast<int>(r.getInt("activation_bits", 8, 1, 32, "stored bits per activation", "bits"));
  r.finish();
  return p;
}

}  // namespace mxsim
