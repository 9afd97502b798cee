#!/usr/bin/env bash
# One command: reproduce Paper A and Paper B through the simulator from the committed zoo
# (workloads/zoo) and regenerate docs/reproduction.md with its plots. Installs what is missing and
# builds mxsim first; extra arguments go to tools/reproduce.py (e.g. --chips 10, --quick).
# Simulations are cached in build/reproduce-cache: a rerun only simulates what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --training
tools/build.sh
exec /usr/bin/python3 tools/reproduce.py "$@"
