// Contract: a tile-local buffer (input or output register file/SRAM of a tile): one access of `word_bits`
// per cycle. The functional data path does not pass through it (the arrays read their inputs directly in
// the accuracy engine); its shell counts tile_buffer.read_bit / write_bit and holds the buffer for
// ceil(bits / word_bits) cycles, one transfer at a time (a second requester waits: a stall).
#pragma once
#include <cstdint>

#include "models/common/shell.h"

namespace mxsim {

namespace action {
inline constexpr const char* kTileBufferReadBit = "tile_buffer.read_bit";
inline constexpr const char* kTileBufferWriteBit = "tile_buffer.write_bit";
}  // namespace action

class TileBufferCore {
 public:
  TileBufferCore(double capacityBytes, int wordBits) : m_capacityBits(capacityBytes * 8), m_wordBits(wordBits) {}
  std::uint64_t cycles(std::uint64_t bits) const { return (bits + m_wordBits - 1) / m_wordBits; }
  double capacityBits() const { return m_capacityBits; }

 private:
  double m_capacityBits;
  std::uint64_t m_wordBits;
};

class TileBufferModule : public Shell<TileBufferCore> {
 public:
  using Shell::Shell;
  void write(std::uint64_t bits) {
    count(action::kTileBufferWriteBit, bits);
    exclusive(m_core.cycles(bits));
  }
  void read(std::uint64_t bits) {
    count(action::kTileBufferReadBit, bits);
    exclusive(m_core.cycles(bits));
  }
};

}  // namespace mxsim
