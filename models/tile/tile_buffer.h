// Contract: a tile-local buffer (input or output register file/SRAM of a tile): one access of `word_bits`
// per cycle. The functional data path does not pass through it (the arrays read their inputs directly in
// the accuracy engine); its shell counts its read/write bits (tile_buffer.* for an input register,
// output_buffer.* once made an output register with pricedAs()) and holds the buffer for
// ceil(bits / word_bits) cycles, one transfer at a time (a second requester waits: a stall).
#pragma once
#include <cstdint>

#include "models/common/shell.h"
#include "sim/core/actions.h"

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
  /// The actions its accesses are priced as (an output register has its own prices and area).
  void pricedAs(const char* readAction, const char* writeAction) {
    m_read = readAction;
    m_write = writeAction;
  }
  void write(std::uint64_t bits) {
    count(m_write, bits);
    exclusive(m_core.cycles(bits));
  }
  void read(std::uint64_t bits) {
    count(m_read, bits);
    exclusive(m_core.cycles(bits));
  }

 private:
  const char* m_read = action::kTileBufferReadBit;
  const char* m_write = action::kTileBufferWriteBit;
};

}  // namespace mxsim
