#!/usr/bin/env bash
# mxsim performance benchmark: one command, prints one table (also written to build/bench/results.txt).
#
#   tools/bench/run.sh
#
# Rows (method in docs/performance.md):
#   R  Eigen sgemm GFLOP/s, 2048^3, project Release flags; 1 thread, and 2 concurrent processes summed
#   T  PyTorch (/usr/bin/python3, torch.set_num_threads(2)) noise-free ms/image of the bundled model
#   M  mxsim ms/image of one noisy chip pass = (wall(--chips 3) - wall(--chips 1)) / (2 * images)
#      at --threads 2 and --threads 1; bit-serial DAC variant; achieved GFLOP/s vs R; T/M
#   S  wall time and peak RSS of `mxsim run --data random --images 1` on a ResNet-18 224x224 ONNX
#      (S1, diagnostic: the same with --set noise.calibration_images=1)
#   bit-identical accuracy between --threads 1 and --threads 2
# Exit status: 0 when the table was produced (targets met or not), non-zero on errors.
#
# Environment knobs (defaults keep the whole run at roughly 3.5 minutes on 2 cores):
#   BUILD_DIR          CMake build dir holding mxsim (default: <repo>/build; built, never reconfigured)
#   BENCH_IMAGES       test images for the one-pass M runs             (default 10000)
#   BENCH_BS_IMAGES    test images for the bit-serial M runs           (default 1000)
#   BENCH_S_TIMEOUT    seconds before the ResNet-18 S run is stopped;   (default 30; 0 = no limit)
#                      a stopped run is reported as "> limit" and its RSS as a lower bound
#   BENCH_REPS         repetitions of every mxsim M run; the minimum wall time is used (default 2)
#   BENCH_SGEMM_N      sgemm size (default 2048)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
OUT="$BUILD_DIR/bench"
PY=/usr/bin/python3
MXSIM="$BUILD_DIR/mxsim"
IMAGES="${BENCH_IMAGES:-10000}"
BS_IMAGES="${BENCH_BS_IMAGES:-1000}"
S_TIMEOUT="${BENCH_S_TIMEOUT:-30}"
REPS="${BENCH_REPS:-2}"
SGEMM_N="${BENCH_SGEMM_N:-2048}"
mkdir -p "$OUT"
cd "$ROOT"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# ---- prerequisites ---------------------------------------------------------------------------
[ -x "$PY" ] || die "$PY not found"
"$PY" -c 'import torch, torchvision, onnx' 2>/dev/null || die "$PY lacks torch/torchvision/onnx"
if ! dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q 'install ok installed'; then
    log "libopenblas0-pthread missing: installing with apt-get"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get install -y libopenblas0-pthread >&2 || die "could not install libopenblas0-pthread"
fi
OPENBLAS_VER="$(dpkg-query -W -f='${Version}' libopenblas0-pthread)"
LIBBLAS="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo '?')"

log "building mxsim in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target mxsim >&2 || die "mxsim build failed"
[ -x "$MXSIM" ] || die "$MXSIM not built"

# Release flags copied from CMakeLists.txt (MXSIM_NATIVE=ON: -O3 -march=native -DNDEBUG), C++17.
CXXFLAGS_BENCH="-std=c++17 -O3 -march=native -DNDEBUG"
EIGEN_INC=/usr/include/eigen3
log "building sgemm ($CXXFLAGS_BENCH)"
if [ ! -x "$OUT/sgemm" ] || [ "$ROOT/tools/bench/sgemm.cpp" -nt "$OUT/sgemm" ]; then
    g++ $CXXFLAGS_BENCH -I"$EIGEN_INC" "$ROOT/tools/bench/sgemm.cpp" -o "$OUT/sgemm" || die "sgemm build failed"
fi

# ---- R: Eigen sgemm -------------------------------------------------------------------------
log "R: sgemm ${SGEMM_N}^3, 1 thread"
"$OUT/sgemm" "$SGEMM_N" 3 > "$OUT/sgemm_1.txt" || die "sgemm failed"
log "R: sgemm ${SGEMM_N}^3, 2 concurrent single-threaded processes"
"$OUT/sgemm" "$SGEMM_N" 3 > "$OUT/sgemm_2a.txt" & pa=$!
"$OUT/sgemm" "$SGEMM_N" 3 > "$OUT/sgemm_2b.txt" & pb=$!
wait "$pa" || die "sgemm failed"; wait "$pb" || die "sgemm failed"

# ---- T: PyTorch -----------------------------------------------------------------------------
log "T: PyTorch reference (2 threads, batch 256, 10k test images)"
"$PY" "$ROOT/tools/bench/torch_ref.py" --threads 2 --batch 256 > "$OUT/torch.json" \
    || die "torch_ref.py failed"

# ---- M: mxsim -------------------------------------------------------------------------------
"$MXSIM" inspect --json > "$OUT/inspect.json" || die "mxsim inspect failed"
mx_run() {  # name threads chips images [--set ...]
    local name=$1 threads=$2 chips=$3 images=$4; shift 4
    log "M: $name (--threads $threads --chips $chips --images $images $*)"
    "$MXSIM" run --images "$images" --chips "$chips" --threads "$threads" --no-progress \
        --out "$OUT/$name.json" "$@" > "$OUT/$name.log" || die "mxsim run $name failed (see $OUT/$name.log)"
}
# Each configuration runs BENCH_REPS times (interleaved); report.py takes the minimum wall time of each.
for rep in $(seq 1 "$REPS"); do
    mx_run "m_t2_c1_r$rep" 2 1 "$IMAGES"
    mx_run "m_t2_c3_r$rep" 2 3 "$IMAGES"
    mx_run "m_t1_c1_r$rep" 1 1 "$IMAGES"
    mx_run "m_t1_c3_r$rep" 1 3 "$IMAGES"
    mx_run "bs_t2_c1_r$rep" 2 1 "$BS_IMAGES" --set chip.tile.array.dac.mode=bit_serial
    mx_run "bs_t2_c3_r$rep" 2 3 "$BS_IMAGES" --set chip.tile.array.dac.mode=bit_serial
done

# ---- S: ResNet-18 ---------------------------------------------------------------------------
RESNET="$OUT/resnet18.onnx"
if [ ! -s "$RESNET" ]; then
    log "S: exporting torchvision resnet18 (random init, eval, opset 13, [1,3,224,224])"
    "$PY" - "$RESNET" <<'PYEOF' >&2 || die "resnet18 export failed"
import sys, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18(weights=None).eval()
torch.onnx.export(m, torch.zeros(1, 3, 224, 224), sys.argv[1], opset_version=13,
                  input_names=["input"], output_names=["logits"])
PYEOF
fi
log "S: mxsim run --data random --images 1 on resnet18 (limit ${S_TIMEOUT}s; 0 = none)"
S_CMD=("$MXSIM" run --model "$RESNET" --data random --images 1 --threads 2 --no-progress --out "$OUT/s_resnet18.json")
if [ "$S_TIMEOUT" != 0 ]; then S_CMD=(timeout -s INT "$S_TIMEOUT" "${S_CMD[@]}"); fi
set +e
/usr/bin/time -v -o "$OUT/s_time.txt" "${S_CMD[@]}" > "$OUT/s_resnet18.log" 2> "$OUT/s_resnet18.err"
S_RC=$?
set -e
echo "$S_RC" > "$OUT/s_rc.txt"
# Diagnostic (no target): the same run with one calibration image instead of the default 256, to show
# how much of S is ADC-range calibration.
log "S1: same with --set noise.calibration_images=1 (diagnostic)"
set +e
/usr/bin/time -v -o "$OUT/s1_time.txt" "${S_CMD[@]}" --set noise.calibration_images=1 \
    > "$OUT/s1_resnet18.log" 2> "$OUT/s1_resnet18.err"
echo $? > "$OUT/s1_rc.txt"
set -e

# ---- table ----------------------------------------------------------------------------------
"$PY" "$ROOT/tools/bench/report.py" --dir "$OUT" --images "$IMAGES" --bs-images "$BS_IMAGES" --reps "$REPS" \
    --s-timeout "$S_TIMEOUT" --sgemm-n "$SGEMM_N" --openblas "$OPENBLAS_VER" --libblas "$LIBBLAS" \
    --cxxflags "$CXXFLAGS_BENCH" > "$OUT/results.txt" || die "report.py failed"
cat "$OUT/results.txt"
