// Contract: SystemC shell of a Box-Muller GRNG, a blocking resource: generate(out, n) takes n samples from
// the functional core, counts n × grng.sample and occupies the generator for
// pipeline_latency + ceil(n / samples_per_cycle) − 1 cycles (the caller's thread waits).
#pragma once
#include "models/common/shell.h"
#include "models/noise/box_muller.h"

namespace mxsim {

class GrngModule : public Shell<BoxMullerCore> {
 public:
  /// The core is stateful (its uniform source advances), so the shell keeps a mutable reference to it.
  GrngModule(const sc_core::sc_module_name& name, BoxMullerCore& core, ShellContext ctx)
      : Shell(name, core, ctx), m_generator(core) {}

  void generate(float* out, std::size_t n) {
    m_generator.generate(out, n);
    count(action::kGrngSample, n);
    occupy(m_core.cycles(n));
  }

 private:
  BoxMullerCore& m_generator;
};

}  // namespace mxsim
