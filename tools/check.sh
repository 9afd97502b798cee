#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, run every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --training  # the conformance and model tests need python3-onnx and python3-torch
tools/build.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
