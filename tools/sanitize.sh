#!/usr/bin/env bash
# The sanitizer tier (docs/reliability.md, "Sanitizers"): builds mxsim and its tests with clang, AddressSanitizer
# (with LeakSanitizer) and UndefinedBehaviorSanitizer in build-asan/ (MXSIM_FUZZ_BUILD_DIR), then runs the unit,
# SystemC (tests/sim) and CLI tiers under them (the block testbenches too with MXSIM_SANITIZE_TB=ON: they passed
# under ASan when the tier was set up and are left out of CI's build for its time budget). Undefined behaviour
# stops the program (-fno-sanitize-recover), so any finding fails its test. The long tiers (zoo, torch, training, conformance, reproduce, regression) stay
# release-only: under ASan they would take tens of minutes and exercise no code the others do not.
#   tools/sanitize.sh                  build + test
#   tools/sanitize.sh --configure-only configure build-asan/ (used by tools/fuzz.sh)
#   tools/sanitize.sh -R NAME          extra ctest arguments
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${MXSIM_FUZZ_BUILD_DIR:-build-asan}
configure_only=0
if [[ "${1:-}" == "--configure-only" ]]; then configure_only=1; shift; fi
if ! command -v clang++ >/dev/null || ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  echo "sanitize: installing clang and its sanitizer runtimes (clang, libclang-rt-dev)" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-dev
fi
# -O1: ASan's recommended level (a -O0 Eigen build runs the tests ~5x slower); Debug keeps assert() on.
if [[ ! -f "$builddir/build.ninja" ]]; then
  cmake -S . -B "$builddir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DMXSIM_NATIVE=OFF -DMXSIM_FUZZ=ON \
    -DMXSIM_BUILD_TB="${MXSIM_SANITIZE_TB:-OFF}" \
    ${MXSIM_CMAKE_ARGS:-}
fi
((configure_only)) && exit 0
cmake --build "$builddir" -j "$(nproc)"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
# Release-only: the zoo, PyTorch, training and reproduction CLI tests run the real networks over datasets, and
# config_base (ISAAC-sized chips: 15 min under ASan), presets_aging (1,000 images at several times),
# sensitivity (sweeps) and threads_identical (the same runs at several thread counts) repeat whole runs whose
# code the other CLI tests already cover (docs/reliability.md).
exclude='zoo|torch|training|reproduce|conformance|config_base|presets_aging|sensitivity|threads_identical'
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}:suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
ctest --test-dir "$builddir" --output-on-failure -j "$(nproc)" -L '^(unit|tb|sim|cli)$' \
  -E "$exclude" "$@"
