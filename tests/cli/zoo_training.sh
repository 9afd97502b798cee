#!/usr/bin/env bash
# Smoke test of the training tools on a tiny subset (256 training, 200 test images, 1 epoch): every mode
# of tools/train_zoo.py (baseline, QAT-4, QAT-8, NIT, denoiser blocks with each placement policy) for the
# MobileNet entries, into a scratch root. Each must write its ONNX, reference data and manifest row; mxsim
# must import the result and reproduce the PyTorch reference logits; denoiser blocks must be recognised as
# such and stay within the parameter budget; the QAT export must carry its activation quantizer; and a
# rerun must resume from the checkpoint and give the same bytes.
source "$(dirname "$0")/common.bash"
[[ -d /usr/share/datasets/fashion-mnist ]] || { fail "Fashion-MNIST not installed (tools/setup.sh installs it)"; finish; }
ROOT="$WORK/root"
mkdir -p "$ROOT/workloads/zoo" "$ROOT/tests/data"
TRAIN=("$PY" "$SRC/tools/train_zoo.py" --root "$ROOT" --work-dir "$WORK/ckpt" --train-limit 256 --test-limit 200
       --epochs 1)

# The MobileNet entries of the plan, baseline first.
"$PY" - "$SRC" >"$WORK/stems.txt" <<'PYEOF' || { fail "reading the plan"; finish; }
import sys
sys.path.insert(0, sys.argv[1] + "/tools")
import train_zoo
stems = [s for s, e in train_zoo.PLAN.items() if e.arch == "mobilenet"]
modes = {train_zoo.PLAN[s].mode for s in stems}
need = {"baseline", "qat4", "qat8", "nit", "dn-gradnorm", "dn-uniform", "dn-random", "dn-every"}
assert need <= modes, f"the plan lacks modes {need - modes}"
# one NIT entry is enough here
nit = [s for s in stems if train_zoo.PLAN[s].mode == "nit"][1:]
print("\n".join(s for s in stems if s not in nit))
PYEOF
mapfile -t STEMS <"$WORK/stems.txt"

for stem in "${STEMS[@]}"; do
  if ! "${TRAIN[@]}" --only "$stem" >"$WORK/$stem.log" 2>&1; then
    fail "$stem: training failed: $(tail -5 "$WORK/$stem.log")"; continue
  fi
  model="$ROOT/workloads/zoo/$stem.onnx"
  out="$WORK/$stem.logits.npy"
  if ! "$MXSIM" infer --ideal --model "$model" --input "$ROOT/tests/data/${stem}_ref_input.npy" --output "$out" \
      >/dev/null 2>"$WORK/$stem.stderr"; then
    fail "$stem: mxsim cannot run the export: $(cat "$WORK/$stem.stderr")"; continue
  fi
  if ! relerr=$(logits_relerr "$out" "$ROOT/tests/data/${stem}_ref_logits.npy" 1e-3); then
    fail "$stem: mxsim differs from PyTorch: $relerr"; continue
  fi
  pass "$stem: trained, exported, mxsim matches PyTorch (max rel. error $relerr)"
done

# Manifest rows, denoiser recognition and budget, the QAT quantizer in the graph.
if "$PY" - "$ROOT" "$MXSIM" "${STEMS[@]}" >"$WORK/checks.out" 2>&1 <<'PYEOF'; then
import csv, json, subprocess, sys
import onnx
root, mxsim, stems = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {r["file"]: r for r in csv.DictReader(open(root + "/workloads/zoo/manifest.tsv"), delimiter="\t")}
for s in stems:
    r = rows[s + ".onnx"]
    assert r["command"].endswith("--only " + s), r
    proto = onnx.load(f"{root}/workloads/zoo/{s}.onnx")
    ops = {n.op_type for n in proto.graph.node}
    insp = json.loads(subprocess.run([mxsim, "inspect", "--json", "--model", f"{root}/workloads/zoo/{s}.onnx"],
                                     check=True, capture_output=True, text=True).stdout)
    layers = insp["layers"] if isinstance(insp, dict) else insp
    units = [l.get("unit") for l in layers]
    if r["mode"].startswith("dn-"):
        assert "denoiser" in units, (s, set(units))
        pct = float(r["denoiser_overhead_pct"])
        assert 0 < pct <= 2.5, (s, pct)
        print(f"{s}: {units.count('denoiser')} denoiser steps, {pct} % parameters")
    else:
        assert "denoiser" not in units, s
    if r["mode"].startswith("qat"):
        assert {"Round", "Clip", "Div", "Mul"} <= ops, (s, ops)
        print(f"{s}: activation quantizer exported ({sorted(ops)})")
PYEOF
  pass "manifest, denoiser units and QAT graph: $(tr '\n' ';' <"$WORK/checks.out")"
else
  fail "$(cat "$WORK/checks.out")"
fi

# Resume: the checkpoint of the finished run is picked up, and the result is the same file.
base="${STEMS[0]}"
sum1=$(sha256sum <"$ROOT/workloads/zoo/$base.onnx")
if "${TRAIN[@]}" --only "$base" >"$WORK/resume.log" 2>&1 && grep -q "resumed from" "$WORK/resume.log" &&
    [[ $(sha256sum <"$ROOT/workloads/zoo/$base.onnx") == "$sum1" ]]; then
  pass "$base: rerun resumed from its checkpoint and wrote the same bytes"
else
  fail "$base: resume: $(grep -m2 -E 'resumed|error' "$WORK/resume.log")"
fi
finish
