// GoogleTest inside a SystemC process. libsystemc supplies main() -> sc_elab_and_sim -> sc_main; we must
// not link gtest_main. sc_main runs the tests; SystemC warnings and errors become test failures.
#include <gtest/gtest.h>

#include <systemc>

namespace {
class ScReportToGtest {
 public:
  static void handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
    if (rep.get_severity() >= sc_core::SC_WARNING) {
      ADD_FAILURE() << "SystemC " << (rep.get_severity() == sc_core::SC_WARNING ? "warning" : "error") << ": "
                    << rep.get_msg_type() << ": " << rep.get_msg();
    }
    sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_STOP & ~sc_core::SC_ABORT);
  }
};
}  // namespace

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  sc_core::sc_report_handler::set_handler(&ScReportToGtest::handler);
  return RUN_ALL_TESTS();
}
