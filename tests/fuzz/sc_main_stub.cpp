// libsystemc.so refers to sc_main; the fuzz harnesses that link mxsim_sim never elaborate a SystemC design,
// and libFuzzer supplies main().
extern "C" int sc_main(int, char*[]) { return 0; }
