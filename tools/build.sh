#!/usr/bin/env bash
# Configures and builds mxsim in build/ (Release, -O3 -march=native). Warnings are reported but never stop
# this build: it is the README's path and must work on any x86-64 and compiler. Warnings as errors are for
# developers and CI: MXSIM_WERROR=1 tools/build.sh (or the `ci` CMake preset).
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [[ "${MXSIM_WERROR:-0}" == 1 ]]; then werror=ON; fi
builddir=${MXSIM_BUILD_DIR:-build}
native=${MXSIM_NATIVE:-ON}
# Configure when the tree is new or an option differs from the cached one (cheap, keeps the script idempotent).
if [[ ! -f "$builddir/build.ninja" ]] ||
   ! grep -q "^MXSIM_WERROR:BOOL=$werror\$" "$builddir/CMakeCache.txt" ||
   ! grep -q "^MXSIM_NATIVE:BOOL=$native\$" "$builddir/CMakeCache.txt"; then
  cmake -S . -B "$builddir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXSIM_NATIVE="$native" \
    -DMXSIM_WERROR="$werror" ${MXSIM_CMAKE_ARGS:-}
fi
cmake --build "$builddir" -j "$(nproc)"
