#!/usr/bin/env bash
# Real PyTorch exports through mxsim: tools/mxsim_py/export_models.py writes torchvision ResNet-18
# (opset 11), MobileNet-V2 (13), a VGG-11 variant (17) and an op-coverage net (11, 13, 17) with seeded
# random weights, 2 reference inputs and PyTorch's logits into the scratch dir (nothing large is
# committed). For every model:
#   - `mxsim inspect` exits 0; `inspect --json` parses, every analog layer has arrays > 0,
#     total_macs > 0 and total_macs is within 1% of the Conv2d/Linear/MatMul MACs that
#     export_models.py counted with PyTorch forward hooks (for ResNet-18: ~1.81e9);
#   - `mxsim infer --ideal` logits match PyTorch's: max|mxsim - torch| / max|torch| <= 1e-3.
# One summary line per model (file, opset, ops, error, time); one FAIL line per failed check, with
# mxsim's message and the ONNX op types `mxsim ops` does not list.
source "$(dirname "$0")/common.bash"
MODELS="$WORK/models"
# Ideal mode does not depend on the chip size; a chip big enough for any of these models, and
# activation buffers that spill instead of failing (VGG's first layers exceed the 2 MiB default).
CHIP=(--set chip.tiles=65536 --set chip.sram.capacity_policy=spill)
TOL=1e-3
# elapsed START: seconds since START (an $EPOCHREALTIME value), two decimals.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

t0=$EPOCHREALTIME
if ! "$PY" "$SRC/tools/mxsim_py/export_models.py" --out "$MODELS" >"$WORK/export.log" 2>"$WORK/export.err"; then
  fail "export_models.py failed: $(tail -n 3 "$WORK/export.err")"
  finish
fi
echo "exported $(grep -c ': opset' "$WORK/export.log") models in $(elapsed "$t0") s"
"$MXSIM" ops >"$WORK/ops.txt" || { fail "mxsim ops failed"; finish; }

# Stems, in export order.
mapfile -t STEMS < <("$PY" -c 'import json, sys; [print(m["stem"]) for m in json.load(open(sys.argv[1]))]' \
  "$MODELS/models.json")
((${#STEMS[@]} > 0)) || { fail "models.json lists no models"; finish; }

# meta STEM: "opset<TAB>ops<TAB>ops mxsim does not list" for the summary and failure messages.
meta() {
  "$PY" - "$MODELS/$1_meta.json" "$WORK/ops.txt" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
supported = set(open(sys.argv[2]).read().split())
ops = m["ops"]
print("%d\t%s\t%s" % (m["opset"], " ".join("%s×%d" % (k, v) if v > 1 else k for k, v in ops.items()),
                      ", ".join(k for k in ops if k not in supported) or "-"))
PYEOF
}

for stem in "${STEMS[@]}"; do
  model="$MODELS/$stem.onnx"
  IFS=$'\t' read -r opset ops missing < <(meta "$stem")
  ts=$EPOCHREALTIME
  status="ok"
  relerr="-"
  err="$WORK/$stem.stderr"

  # 1. inspect (text) must succeed.
  if ! "$MXSIM" inspect --model "$model" "${CHIP[@]}" >"$WORK/$stem.inspect.txt" 2>"$err"; then
    fail "$stem (opset $opset): mxsim inspect failed: $(head -c 600 "$err") [ops mxsim ops does not list: $missing]"
    status="inspect failed"
  # 2. inspect --json: layer table sanity and MACs against PyTorch's hook count.
  elif ! "$MXSIM" inspect --json --model "$model" "${CHIP[@]}" >"$WORK/$stem.inspect.json" 2>"$err"; then
    fail "$stem (opset $opset): mxsim inspect --json failed: $(head -c 600 "$err")"
    status="inspect --json failed"
  elif ! "$PY" - "$WORK/$stem.inspect.json" "$MODELS/${stem}_meta.json" >"$WORK/$stem.json_check" 2>&1 <<'PYEOF'
import json, sys
report = json.load(open(sys.argv[1]))
meta = json.load(open(sys.argv[2]))
problems = []
layers = report.get("layers") or []
if not layers:
    problems.append("no layers")
for layer in layers:
    if layer.get("unit") == "analog" and not layer.get("arrays", 0) > 0:
        problems.append("analog layer '%s' has arrays=%s" % (layer.get("name"), layer.get("arrays")))
total = report.get("total_macs", 0)
want = meta["macs_per_image"]
if not total > 0:
    problems.append("total_macs=%s" % total)
elif abs(total - want) > 0.01 * want:
    problems.append("total_macs=%d but PyTorch's Conv2d/Linear/MatMul hooks count %d MACs/image (%+.2f%%)"
                    % (total, want, 100.0 * (total - want) / want))
print("; ".join(problems) if problems else "total_macs=%d (PyTorch %d)" % (total, want))
sys.exit(1 if problems else 0)
PYEOF
  then
    fail "$stem (opset $opset): inspect --json: $(cat "$WORK/$stem.json_check" | tail -n 3)"
    status="inspect --json check failed"
  else
    pass "$stem: inspect --json: $(cat "$WORK/$stem.json_check")"
  fi

  # 3. infer --ideal against PyTorch (attempted even if inspect failed, to report its message too).
  out="$WORK/$stem.logits.npy"
  if ! "$MXSIM" infer --ideal --model "$model" "${CHIP[@]}" --input "$MODELS/${stem}_input.npy" \
      --output "$out" >/dev/null 2>"$err"; then
    [[ $status == ok ]] && fail "$stem (opset $opset): mxsim infer --ideal failed: $(head -c 600 "$err")"
    [[ $status == ok ]] && status="infer failed"
  elif ! relerr=$(logits_relerr "$out" "$MODELS/${stem}_logits.npy" "$TOL"); then
    fail "$stem (opset $opset): mxsim infer --ideal logits differ from PyTorch: max relative error $relerr > $TOL"
    status="logits differ"
  fi
  secs=$(elapsed "$ts")
  printf '%-24s opset %-2s  %-27s rel.err %-9s %6s s  ops: %s\n' "$stem.onnx" "$opset" "$status" "$relerr" \
    "$secs" "$ops"
done
finish
