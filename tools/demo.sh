#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, and run the main job — the bundled
# default model on the default architecture over the full Fashion-MNIST test set (10,000 images).
# Writes build/demo-report.json. Extra arguments are passed to `mxsim run` (e.g. --chips 5).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
exec build/mxsim run --out build/demo-report.json "$@"
