#!/usr/bin/env bash
# The denoiser overhead comes from two timing runs, with and without the blocks and engine, so it is right in
# any schedule. The zoo's VGG-8 denoiser model is the frozen VGG-8 baseline plus blocks: without its blocks it
# is exactly the baseline, layer for layer. So the overhead's "without" latency and throughput must equal the
# baseline model's own run on the same chip (cycle-exact), and latency_pct must be their relative difference —
# on the global-buffer chip (sequential) and on a chip with tile memories, pipelined, where the blocks' layer
# spans overlap the backbone's (summing them, as a single-run estimate would, gives a different number).
source "$(dirname "$0")/common.bash"
ZOO="$SRC/workloads/zoo"
run() {  # name model extra-args...
  local name=$1 model=$2
  shift 2
  "$MXSIM" run --model "$ZOO/$model.onnx" --data random --images 2 --set noise.calibration_images=2 --no-progress \
    --out "$WORK/$name.json" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || fail "$name: $(cat "$WORK/$name.err")"
}
PIPE=(--set chip.tile.memory=32KiB --set chip.schedule=pipelined --pipeline-images 3)
run seq_dn vgg8_dn_gradnorm_s0.5
run seq_base vgg8_baseline
run pipe_dn vgg8_dn_gradnorm_s0.5 "${PIPE[@]}"
run pipe_base vgg8_baseline "${PIPE[@]}"
if "$PY" - "$WORK" <<'PYEOF'; then pass "overhead = two runs, both schedules"; else fail "overhead checks"; fi
import json, math, sys
w = sys.argv[1]
for kind in ("seq", "pipe"):
    dn = json.load(open(f"{w}/{kind}_dn.json"))
    base = json.load(open(f"{w}/{kind}_base.json"))
    o = dn["denoiser_overhead"]
    assert "denoiser_overhead" not in base, kind
    assert math.isclose(o["latency_s_without"], base["latency"]["seconds"], rel_tol=1e-12), (kind, o, base["latency"])
    assert math.isclose(o["throughput_images_per_s_without"], base["throughput"]["images_per_s"], rel_tol=1e-12), kind
    pct = 100 * (dn["latency"]["seconds"] - base["latency"]["seconds"]) / base["latency"]["seconds"]
    assert math.isclose(o["latency_pct"], pct, rel_tol=1e-9, abs_tol=1e-9), (kind, o["latency_pct"], pct)
    # The blocks' own layer cycles: what a one-run estimate would subtract.
    spans = 100 * o["block_cycles"] / (base["latency"]["cycles"])
    print(f"{kind}: latency +{o['latency_pct']:.3f} % (sum of block spans would say +{spans:.3f} %), "
          f"throughput {o['throughput_pct']:+.3f} %, energy {o['energy_pct']:+.3f} %")
    assert o["latency_pct"] > 0
    if kind == "pipe":
        assert dn["throughput"]["model"] == "dataflow"
PYEOF
finish
