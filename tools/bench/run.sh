#!/usr/bin/env bash
# mxsim performance benchmark: one command, prints one table (also written to build/bench/results.txt,
# and every row's value to build/bench/results.json).
#
#   tools/bench/run.sh
#
# Rows (method in docs/performance.md). R, R2, S, S1 once; the T and M rows once per network of
# BENCH_NETS (default: the zoo's VGG-style and ResNet-style nets, vgg8 and resnet20), labelled
# "T vgg8", "M vgg8", ...; network <arch> is workloads/zoo/<arch>_baseline.onnx.
#   R     Eigen sgemm GFLOP/s, 2048^3, project Release flags, 1 thread
#   R2    the same as 2 concurrent single-threaded processes, summed
#   T     PyTorch noise-free ms/image (/usr/bin/python3, torch.set_num_threads(2), batch 256, the 10,000
#         Fashion-MNIST test images, one warm-up pass, median of 3 timed passes) of the net built by
#         tools/mxsim_py (training.load_backbone: BN-free arch + the ONNX weights); top-1 checked against
#         clean_top1 of workloads/zoo/manifest.tsv. The table header records OPENBLAS_NUM_THREADS (left
#         as found; unset by default), torch.get_num_threads() and whether conv runs on mkldnn.
#   M     mxsim ms/image of one noisy chip pass, 2 threads, default preset:
#         (wall(--chips 3) - wall(--chips 1)) / (2 * images), run.wall_seconds of the JSON reports
#   T/M   T / M (target >= 2)          M GF   2 * MACs / M as % of R2 (target >= 50 %)
#   M1 GF 2 * MACs / M1 as % of R      M1     as M with --threads 1        M1/M  (target >= 1.8)
#   ident accuracy.top1/per_chip/ideal_top1 equal between --threads 1 and --threads 2 (same --chips)
#   Mbs   M with --set chip.tile.array.dac.mode=bit_serial, ratio to M (target <= 10x)
#   fixed wall(--chips 1) - images * M at 2 threads (load, mapping, ideal pass, timing run)
#   chip  diagnostic: the per-chip setup that (wall3 - wall1) also holds (mostly ADC calibration on 256
#         training images, once per chip) = (wall3 - wall1) / 2 of extra runs with --images 1
#   M0    diagnostic: M, M1 and Mbs with the per-chip setup subtracted, and their ratios
#   S     wall time and peak RSS of `mxsim run --data random --images 1` on a ResNet-18 224x224 ONNX
#         (S1, diagnostic: the same with --set noise.calibration_images=1)
# Exit status: 0 when the table was produced (targets met or not); non-zero, with one
# "bench: error: ..." line, on errors (missing model or tool, bad knob, failed build or run).
#
# Environment knobs. The defaults keep the whole run at roughly 8 minutes on 2 idle cores (measured
# 2026-11-24: mxsim one-pass runs ~2.5 min, bit-serial runs ~3.5 min, T ~1 min, S and R ~0.5 min);
# BENCH_REPS=2 adds ~6 min, BENCH_IMAGES=5000 saves ~3 min:
#   BUILD_DIR          CMake build dir holding mxsim (default: <repo>/build; built, never reconfigured)
#   BENCH_NETS         networks for the T and M rows (default "vgg8 resnet20"); each name <arch> must be an
#                      architecture of tools/mxsim_py/nets.py with workloads/zoo/<arch>_baseline.onnx
#   BENCH_IMAGES       test images for the one-pass M runs             (default 10000; >= 2)
#   BENCH_BS_IMAGES    test images for the bit-serial M runs   (default: BENCH_IMAGES, so that the
#                      per-chip calibration weighs the same in Mbs as in M; >= 2)
#   BENCH_REPS         repetitions of every mxsim M run; the minimum wall time is used (default 1)
#   BENCH_T_IMAGES     test images for T (default 10000 = all; fewer only for quick tests: then top-1
#                      is not compared with the manifest)
#   BENCH_S_TIMEOUT    seconds before the ResNet-18 S run is stopped;   (default 30; 0 = no limit)
#                      a stopped run is reported as "> limit" and its RSS as a lower bound
#   BENCH_SGEMM_N      sgemm size (default 2048)
#   BENCH_NO_BUILD     1 = skip `cmake --build` of mxsim and use the binary as it is (e.g. while another
#                      build of the same tree is running); default 0
# Quick functional check (~3 min on idle cores, numbers meaningless):
#   BENCH_IMAGES=300 BENCH_BS_IMAGES=100 BENCH_S_TIMEOUT=5 BENCH_SGEMM_N=512 tools/bench/run.sh
# Raw outputs: build/bench/ (sgemm, ResNet-18 S runs, results.txt/.json) and build/bench/<arch>/
# (torch.json, inspect.json, the mxsim JSON/CSV reports, stdout .log and stderr .err of every run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
OUT="$BUILD_DIR/bench"
PY=/usr/bin/python3
MXSIM="$BUILD_DIR/mxsim"
NETS="${BENCH_NETS-vgg8 resnet20}"
IMAGES="${BENCH_IMAGES:-10000}"
BS_IMAGES="${BENCH_BS_IMAGES:-$IMAGES}"
T_IMAGES="${BENCH_T_IMAGES:-10000}"
S_TIMEOUT="${BENCH_S_TIMEOUT:-30}"
REPS="${BENCH_REPS:-1}"
SGEMM_N="${BENCH_SGEMM_N:-2048}"
NO_BUILD="${BENCH_NO_BUILD:-0}"
cd "$ROOT"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
# Last non-empty line of a file (the error message of a failed run), or a fallback.
last_line() { local l; l="$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1)"; printf '%s' "${l:-$2}"; }

# ---- arguments and prerequisites (all checked before anything long runs) ---------------------
for v in IMAGES BS_IMAGES T_IMAGES REPS SGEMM_N; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "BENCH_$v must be a non-negative integer, got '${!v}'"
done
[[ "$S_TIMEOUT" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_S_TIMEOUT must be a number of seconds, got '$S_TIMEOUT'"
for v in T_IMAGES REPS SGEMM_N; do
    [ "${!v}" -ge 1 ] || die "BENCH_$v must be >= 1"
done
for v in IMAGES BS_IMAGES; do
    [ "${!v}" -ge 2 ] || die "BENCH_$v must be >= 2"
done
read -r -a NET_LIST <<< "$NETS"
[ "${#NET_LIST[@]}" -ge 1 ] || die "BENCH_NETS is empty (expected e.g. \"vgg8 resnet20\")"
declare -A MODEL=()
for net in "${NET_LIST[@]}"; do
    [[ "$net" =~ ^[A-Za-z0-9_]+$ ]] || die "BENCH_NETS: bad network name '$net'"
    [ -z "${MODEL[$net]:-}" ] || die "BENCH_NETS: '$net' given twice"
    MODEL[$net]="$ROOT/workloads/zoo/${net}_baseline.onnx"
    [ -f "${MODEL[$net]}" ] || die "BENCH_NETS: no model for '$net': ${MODEL[$net]#"$ROOT/"} not found"
done
[ -x "$PY" ] || die "$PY not found"
"$PY" -c 'import torch, torchvision, onnx' 2>/dev/null || die "$PY lacks torch/torchvision/onnx"
ARCH_CHECK="$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); from mxsim_py import nets
bad = [a for a in sys.argv[2:] if a not in nets.ARCHITECTURES]
print(f"{bad[0]!r} is not an architecture of tools/mxsim_py/nets.py ({sorted(nets.ARCHITECTURES)})" if bad else "")' \
    "$ROOT/tools" "${NET_LIST[@]}")" || die "cannot import tools/mxsim_py with $PY"
[ -z "$ARCH_CHECK" ] || die "BENCH_NETS: $ARCH_CHECK"
if ! dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q 'install ok installed'; then
    log "libopenblas0-pthread missing: installing with apt-get"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get install -y libopenblas0-pthread >&2 || die "could not install libopenblas0-pthread"
fi
OPENBLAS_VER="$(dpkg-query -W -f='${Version}' libopenblas0-pthread)"
LIBBLAS="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo '?')"
mkdir -p "$OUT"
# Outputs of the single-model layout (before build/bench/<arch>/), so nobody reads them as current.
rm -f "$OUT"/torch.json "$OUT"/inspect.json "$OUT"/m_t[12]_c[13]_r*.* "$OUT"/bs_t2_c[13]_r*.*

if [ "$NO_BUILD" = 1 ]; then
    log "BENCH_NO_BUILD=1: using $MXSIM as it is"
else
    log "building mxsim in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target mxsim >&2 || die "mxsim build failed"
fi
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

# ---- per network: T (PyTorch) and M (mxsim) --------------------------------------------------
mx_run() {  # dir name threads chips images [--set ...]
    local dir=$1 name=$2 threads=$3 chips=$4 images=$5; shift 5
    local model=${MODEL[$net]} rc=0
    log "M $net: $name (--threads $threads --chips $chips --images $images $*)"
    "$MXSIM" run --model "$model" --images "$images" --chips "$chips" --threads "$threads" --no-progress \
        --out "$dir/$name.json" "$@" > "$dir/$name.log" 2> "$dir/$name.err" || rc=$?
    [ "$rc" = 0 ] || die "mxsim run failed for $net ($name, exit $rc): $(last_line "$dir/$name.err" "no message") \
[${dir#"$ROOT/"}/$name.err]"
}
for net in "${NET_LIST[@]}"; do
    NOUT="$OUT/$net"
    mkdir -p "$NOUT"
    rm -f "$NOUT"/*.json "$NOUT"/*.csv "$NOUT"/*.log "$NOUT"/*.err  # no stale results from earlier runs
    model_rel="${MODEL[$net]#"$ROOT/"}"

    log "T $net: PyTorch reference ($model_rel, 2 threads, batch 256, $T_IMAGES test images)"
    rc=0
    "$PY" "$ROOT/tools/bench/torch_ref.py" --arch "$net" --model "${MODEL[$net]}" --threads 2 --batch 256 \
        --reps 3 --images "$T_IMAGES" > "$NOUT/torch.json" 2> "$NOUT/torch.err" || rc=$?
    [ "$rc" = 0 ] || die "torch_ref.py failed for $net (exit $rc): $(last_line "$NOUT/torch.err" "no message")"

    rc=0
    "$MXSIM" inspect --model "${MODEL[$net]}" --json > "$NOUT/inspect.json" 2> "$NOUT/inspect.err" || rc=$?
    [ "$rc" = 0 ] || die "mxsim inspect failed for $net (exit $rc): $(last_line "$NOUT/inspect.err" "no message")"
    # Each configuration runs BENCH_REPS times (interleaved); report.py takes the minimum wall time of each.
    # The *_n1 runs (--images 1) measure the per-chip cost that (wall3 - wall1) also contains (ADC
    # calibration on noise.calibration_images = 256 training images runs once per chip); report.py
    # subtracts it for the diagnostic rows "chip" and "M0" only (M, M1, Mbs keep the issue's definition).
    BS=(--set chip.tile.array.dac.mode=bit_serial)
    for rep in $(seq 1 "$REPS"); do
        mx_run "$NOUT" "m_t2_c1_r$rep" 2 1 "$IMAGES"
        mx_run "$NOUT" "m_t2_c3_r$rep" 2 3 "$IMAGES"
        mx_run "$NOUT" "m_t1_c1_r$rep" 1 1 "$IMAGES"
        mx_run "$NOUT" "m_t1_c3_r$rep" 1 3 "$IMAGES"
        mx_run "$NOUT" "bs_t2_c1_r$rep" 2 1 "$BS_IMAGES" "${BS[@]}"
        mx_run "$NOUT" "bs_t2_c3_r$rep" 2 3 "$BS_IMAGES" "${BS[@]}"
        mx_run "$NOUT" "m_t2_c1_n1_r$rep" 2 1 1
        mx_run "$NOUT" "m_t2_c3_n1_r$rep" 2 3 1
        mx_run "$NOUT" "m_t1_c1_n1_r$rep" 1 1 1
        mx_run "$NOUT" "m_t1_c3_n1_r$rep" 1 3 1
        mx_run "$NOUT" "bs_t2_c1_n1_r$rep" 2 1 1 "${BS[@]}"
        mx_run "$NOUT" "bs_t2_c3_n1_r$rep" 2 3 1 "${BS[@]}"
    done
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
rc=0
"$PY" "$ROOT/tools/bench/report.py" --dir "$OUT" --nets "${NET_LIST[@]}" --images "$IMAGES" \
    --bs-images "$BS_IMAGES" --reps "$REPS" --s-timeout "$S_TIMEOUT" --sgemm-n "$SGEMM_N" \
    --openblas "$OPENBLAS_VER" --libblas "$LIBBLAS" --cxxflags "$CXXFLAGS_BENCH" \
    --json "$OUT/results.json" > "$OUT/results.txt" 2> "$OUT/report.err" || rc=$?
[ "$rc" = 0 ] || die "report.py failed (exit $rc): $(last_line "$OUT/report.err" "no message")"
cat "$OUT/results.txt"
log "table: ${OUT#"$ROOT/"}/results.txt, values: ${OUT#"$ROOT/"}/results.json"
