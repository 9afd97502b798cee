#!/usr/bin/env bash
# Every model of the zoo (workloads/zoo/manifest.tsv: tab-separated, header row, column `file`)
# has committed PyTorch references tests/data/<stem>_ref_input.npy and <stem>_ref_logits.npy, and
# `mxsim infer --ideal` reproduces those logits: max|mxsim - torch| / max|torch| <= 1e-3.
# One line per model (file, error, time); one FAIL line per model that fails, saying why.
source "$(dirname "$0")/common.bash"
ZOO="$SRC/workloads/zoo"
DATA="$SRC/tests/data"
# Ideal mode does not depend on the chip size: a chip big enough for any zoo model, and activation
# buffers that spill rather than fail.
CHIP=(--set chip.tiles=65536 --set chip.sram.capacity_policy=spill)
TOL=1e-3
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# The `file` column of the manifest, one entry per model row.
if ! "$PY" - "$ZOO/manifest.tsv" >"$WORK/files.txt" 2>"$WORK/manifest.err" <<'PYEOF'; then
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f, delimiter="\t"))
header = rows[0]
if "file" not in header:
    sys.exit("%s: header has no 'file' column: %s" % (sys.argv[1], header))
col = header.index("file")
for k, row in enumerate(rows[1:], start=2):
    if not row or not "".join(row).strip():
        continue
    if len(row) <= col or not row[col].endswith(".onnx"):
        sys.exit("%s: line %d: 'file' is not an .onnx file: %s" % (sys.argv[1], k, row))
    print(row[col])
PYEOF
  fail "manifest: $(cat "$WORK/manifest.err")"
  finish
fi
mapfile -t FILES <"$WORK/files.txt"
((${#FILES[@]} > 0)) || { fail "manifest lists no models"; finish; }

for file in "${FILES[@]}"; do
  stem="${file%.onnx}"
  model="$ZOO/$file"
  in="$DATA/${stem}_ref_input.npy"
  ref="$DATA/${stem}_ref_logits.npy"
  missing=()
  for f in "$model" "$in" "$ref"; do [[ -f $f ]] || missing+=("${f#"$SRC/"}"); done
  if ((${#missing[@]} > 0)); then
    fail "$file: missing ${missing[*]} (every manifest row needs the model and its reference input/logits)"
    continue
  fi
  ts=$EPOCHREALTIME
  out="$WORK/$stem.logits.npy"
  if ! "$MXSIM" infer --ideal --model "$model" "${CHIP[@]}" --input "$in" --output "$out" \
      >/dev/null 2>"$WORK/$stem.stderr"; then
    fail "$file: mxsim infer --ideal failed: $(head -c 600 "$WORK/$stem.stderr")"
    continue
  fi
  if relerr=$(logits_relerr "$out" "$ref" "$TOL"); then
    pass "$file: max relative error $relerr over $("$PY" -c 'import numpy, sys; print(numpy.load(sys.argv[1], mmap_mode="r").shape[0])' "$in") images, $(elapsed "$ts") s"
  else
    fail "$file: mxsim infer --ideal differs from ${ref#"$SRC/"}: max relative error $relerr > $TOL"
  fi
done
finish
