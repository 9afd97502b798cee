#!/usr/bin/env bash
# Results do not depend on the thread count: `mxsim run` reports (accuracy per chip, ideal accuracy, every
# energy, cycle and power figure, the per-layer CSV) and `mxsim infer` logits are bit-identical between
# --threads 1 and --threads 2 (and 3), on the zoo's VGG-8 and ResNet-20 with the default noisy chip, in
# multibit and bit-serial DAC modes, and with activation noise and an aged PCM chip. Only the wall times
# (run.wall_seconds, run.timing_wall_seconds), run.threads and the output path may differ. Not vacuous: a different seed must change the accuracies.
source "$(dirname "$0")/common.bash"

compare_reports() {  # A.json B.json: exit 0 when equal except the run's wall time, thread count and path
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for k in ("wall_seconds", "timing_wall_seconds", "threads", "out"):
        d.get("run", {}).pop(k, None)
if a != b:
    diffs = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    print("differs in:", ", ".join(diffs))
    sys.exit(1)
PYEOF
}

run_case() {  # NAME MODEL IMAGES CHIPS [extra args...]
  local name=$1 model=$2 images=$3 chips=$4
  shift 4
  local t
  for t in 1 2 3; do
    if ! "$MXSIM" run --model "$SRC/workloads/zoo/$model.onnx" --images "$images" --chips "$chips" --threads $t \
        --no-progress --out "$WORK/${name}_t$t.json" "$@" >"$WORK/${name}_t$t.log" 2>&1; then
      fail "$name --threads $t failed: $(tail -2 "$WORK/${name}_t$t.log")"
      return
    fi
  done
  for t in 2 3; do
    if msg=$(compare_reports "$WORK/${name}_t1.json" "$WORK/${name}_t$t.json"); then
      pass "$name: report at --threads $t equals --threads 1"
    else
      fail "$name: report at --threads $t differs from --threads 1: $msg"
    fi
    if cmp -s "$WORK/${name}_t1.csv" "$WORK/${name}_t$t.csv"; then
      pass "$name: per-layer CSV at --threads $t equals --threads 1"
    else
      fail "$name: per-layer CSV at --threads $t differs"
    fi
  done
}

# 300 images = 3 forChunks chunks of 128 (the last partial), so the threads really split the work.
run_case vgg8 vgg8_baseline 300 2
run_case resnet20 resnet20_baseline 300 2
run_case resnet20_bitserial resnet20_baseline 150 1 --set chip.tile.array.dac.mode=bit_serial
run_case vgg8_pcm_actnoise vgg8_baseline 200 2 --arch "$SRC/sim/presets/pcm.yaml" --times 1d \
  --set noise.activation.mode=relative_std --set noise.activation.sigma=0.1

# Not vacuous: another seed gives other chips.
"$MXSIM" run --model "$SRC/workloads/zoo/vgg8_baseline.onnx" --images 300 --chips 2 --seed 9 --threads 2 \
  --no-progress --out "$WORK/seed9.json" >/dev/null 2>&1 || fail "seed 9 run failed"
if compare_reports "$WORK/vgg8_t1.json" "$WORK/seed9.json" >/dev/null; then
  fail "a different seed gave an identical report: the comparison cannot fail"
else
  pass "a different seed changes the report"
fi

# infer: logits of a noisy chip, bit for bit.
"$PY" - "$WORK/in.npy" <<'PYEOF'
import sys
import numpy as np
rng = np.random.default_rng(3)
np.save(sys.argv[1], rng.random((300, 1, 28, 28), dtype=np.float32))
PYEOF
for t in 1 2; do
  "$MXSIM" infer --model "$SRC/workloads/zoo/resnet20_baseline.onnx" --input "$WORK/in.npy" \
    --output "$WORK/logits_t$t.npy" --threads $t >"$WORK/infer_t$t.log" 2>&1 || fail "infer --threads $t failed"
done
if cmp -s "$WORK/logits_t1.npy" "$WORK/logits_t2.npy"; then
  pass "infer logits identical at --threads 1 and 2"
else
  fail "infer logits differ between --threads 1 and 2"
fi
finish
