#!/usr/bin/env bash
# Installs the Debian packages mxsim needs, only those missing (fast no-op when all are present).
#   tools/setup.sh             build + test dependencies
#   tools/setup.sh --training  also the Python training stack (torch, torchvision, onnx, matplotlib, OpenBLAS)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libsystemc-dev libeigen3-dev libboost-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  libonnx-dev libprotobuf-dev protobuf-compiler nlohmann-json3-dev zlib1g-dev libgtest-dev
  python3-numpy dataset-fashion-mnist
)
if [[ "${1:-}" == "--training" ]]; then
  # OpenBLAS: Debian's default reference BLAS is ~15x slower for torch on CPU.
  packages+=(python3-torch python3-torchvision python3-onnx python3-matplotlib libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
