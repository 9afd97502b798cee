#!/usr/bin/env bash
# Configures (once) and builds mxsim in build/ (Release, -O3 -march=native, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMXSIM_NATIVE=ON -DMXSIM_WERROR=ON
fi
cmake --build build -j "$(nproc)"
