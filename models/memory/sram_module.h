// Contract: SystemC shell of the global SRAM: read()/write() wait for the transfer's cycles and count
// sram.read_bit / sram.write_bit. Transfers serialise on the ports (one transfer at a time).
#pragma once
#include "models/common/shell.h"
#include "models/memory/sram.h"

namespace mxsim {

class SramModule : public Shell<SramCore> {
 public:
  using Shell::Shell;
  void read(std::uint64_t bits) { transfer(bits, action::kSramReadBit); }
  void write(std::uint64_t bits) { transfer(bits, action::kSramWriteBit); }

 private:
  void transfer(std::uint64_t bits, const char* act) {
    count(act, bits);
    occupy(m_core.transferCycles(bits));
  }
};

}  // namespace mxsim
