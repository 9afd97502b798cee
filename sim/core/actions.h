// Contract: energy accounting by named action counts (Timeloop/Accelergy style). Cores and shells only
// count; the energy table prices counts at report time. Counts are attributed to the current scope
// (a layer name) so reports can break energy down by layer and by component.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace mxsim {

/// Action names used across blocks. Component = text before the first '.'.
namespace action {
inline constexpr const char* kDacConvert = "dac.convert";          // one input-line conversion
inline constexpr const char* kXbarCellRead = "crossbar.cell_read";  // one cell taking part in one MVM
inline constexpr const char* kXbarCellWrite = "crossbar.cell_write";  // one device programmed (reprogramming)
inline constexpr const char* kAdcConvert = "adc.convert";          // one column conversion
inline constexpr const char* kSramReadBit = "sram.read_bit";
inline constexpr const char* kSramWriteBit = "sram.write_bit";
inline constexpr const char* kDigitalAdd = "digital.add";    // one shift-and-add merging bit slices / input passes
inline constexpr const char* kDigitalOp = "digital.op";      // scale, bias, multiply, affine (general ALU op)
inline constexpr const char* kSampleHold = "sample_hold.sample";  // one column sampled for its ADC (one per conversion)
inline constexpr const char* kAccumulatorAdd = "accumulator.add";  // partial sums of row blocks, offset term, residual add
inline constexpr const char* kActivationOp = "activation.op";      // one op of an activation / softmax unit
inline constexpr const char* kPoolOp = "pool.op";                  // one compare or add of a pooling unit
inline constexpr const char* kBusBit = "bus.bit";                  // one bit between a tile memory and its arrays/units
inline constexpr const char* kOutputBufferReadBit = "output_buffer.read_bit";    // arrays' output registers
inline constexpr const char* kOutputBufferWriteBit = "output_buffer.write_bit";
inline constexpr const char* kOutputRegisterReadBit = "output_register.read_bit";  // a tile's output register
inline constexpr const char* kOutputRegisterWriteBit = "output_register.write_bit";
inline constexpr const char* kIoBit = "io.bit";                    // one bit over the chip's off-chip links
}  // namespace action

/// Counts per (scope, action). Plain counters; no pricing here.
class ActionLedger {
 public:
  void setScope(std::string scope) { m_scope = std::move(scope); }
  const std::string& scope() const { return m_scope; }
  void add(const std::string& actionName, std::uint64_t n) {
    if (n) m_counts[m_resolver ? m_resolver() : m_scope][actionName] += n;
  }
  /// When set, decides the scope of every add() (e.g. by the simulation process making it, so steps that run
  /// concurrently are attributed correctly); setScope() then only names the fallback.
  void setScopeResolver(std::function<std::string()> resolver) { m_resolver = std::move(resolver); }
  /// Share of the current scope's counts that one image pays (1 unless set): work done once for a batch of
  /// images, e.g. reprogramming the arrays once per chip.mapping.multiplex_batch images, is counted whole
  /// and priced at 1/batch per image.
  void setScopeShare(double share) { m_share[m_scope] = share; }
  double share(const std::string& scope) const {
    auto it = m_share.find(scope);
    return it == m_share.end() ? 1.0 : it->second;
  }
  /// Data-aware pricing: the energy of `actionName` in `scope` is its count × price × `factor` (e.g. crossbar
  /// reads priced by the input power and conductances the functional run saw; docs/chip.md).
  void setActionScale(const std::string& scope, const std::string& actionName, double factor) {
    m_scale[scope][actionName] = factor;
  }
  double actionScale(const std::string& scope, const std::string& actionName) const {
    const auto s = m_scale.find(scope);
    if (s == m_scale.end()) return 1.0;
    const auto a = s->second.find(actionName);
    return a == s->second.end() ? 1.0 : a->second;
  }
  /// scope -> action -> count
  const std::map<std::string, std::map<std::string, std::uint64_t>>& counts() const { return m_counts; }
  std::uint64_t total(const std::string& actionName) const {
    std::uint64_t t = 0;
    for (const auto& [s, m] : m_counts) {
      auto it = m.find(actionName);
      if (it != m.end()) t += it->second;
    }
    return t;
  }
  void clear() {
    m_counts.clear();
    m_share.clear();
    m_scale.clear();
  }

 private:
  std::string m_scope = "chip";
  std::function<std::string()> m_resolver;
  std::map<std::string, std::map<std::string, std::uint64_t>> m_counts;
  std::map<std::string, double> m_share;
  std::map<std::string, std::map<std::string, double>> m_scale;
};

inline std::string componentOf(const std::string& actionName) {
  return actionName.substr(0, actionName.find('.'));
}

}  // namespace mxsim
