#!/usr/bin/env bash
# Every zoo model's clean accuracy in workloads/zoo/manifest.tsv (measured by PyTorch when it was
# trained) is re-measured by `mxsim run --ideal` on the 10,000 Fashion-MNIST test images and must agree
# within 0.2 points. (Exact float math on both sides: a difference means a wrong import, a wrong
# preprocessing or a stale manifest row.)
source "$(dirname "$0")/common.bash"
ZOO="$SRC/workloads/zoo"
TOL=0.2
[[ -d /usr/share/datasets/fashion-mnist ]] || { fail "Fashion-MNIST not installed (tools/setup.sh installs it)"; finish; }

"$PY" - "$ZOO/manifest.tsv" >"$WORK/rows.txt" 2>"$WORK/rows.err" <<'PYEOF' || { fail "manifest: $(cat "$WORK/rows.err")"; finish; }
import csv, sys
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f, delimiter="\t"):
        print(r["file"], r["clean_top1"])
PYEOF

n=0
while read -r file expected; do
  n=$((n + 1))
  report="$WORK/${file%.onnx}.json"
  if ! "$MXSIM" run --ideal --model "$ZOO/$file" --no-progress --out "$report" \
      >"$WORK/$file.stdout" 2>"$WORK/$file.stderr"; then
    fail "$file: mxsim run --ideal failed: $(cat "$WORK/$file.stderr")"; continue
  fi
  got=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["accuracy"]["ideal_top1"])' "$report")
  if awk -v a="$got" -v b="$expected" -v t="$TOL" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
    pass "$file: mxsim $got %, manifest $expected %"
  else
    fail "$file: mxsim run --ideal gives $got %, the manifest says $expected % (tolerance $TOL points)"
  fi
done <"$WORK/rows.txt"
((n > 0)) || fail "the manifest lists no models"
finish
