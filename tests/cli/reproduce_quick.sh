#!/usr/bin/env bash
# tools/reproduce.py --quick (200 images, 2 chips, the sweep's end points) on the committed VGG-8 models,
# into a scratch file: the script must run end to end through mxsim, fill every section's table from simulator
# runs, draw both plots, and a second run must come entirely from its cache.
source "$(dirname "$0")/common.bash"
[[ -d /usr/share/datasets/fashion-mnist ]] || { fail "Fashion-MNIST not installed (tools/setup.sh installs it)"; finish; }
OUT="$WORK/docs/reproduction.md"
ARGS=(--mxsim "$MXSIM" --quick --archs vgg8 --out "$OUT" --cache "$WORK/cache")
if ! "$PY" "$SRC/tools/reproduce.py" "${ARGS[@]}" >"$WORK/run1.log" 2>&1; then
  fail "reproduce.py --quick failed: $(tail -5 "$WORK/run1.log")"; finish
fi
if "$PY" - "$OUT" "$SRC/workloads/zoo/manifest.tsv" >"$WORK/check.out" 2>&1 <<'PYEOF'; then
import csv, os, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
rows = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
archs = {"VGG-8"}
sections = ["### 1.", "### 2.", "### 3.", "### 4.", "### 5."]
for s in sections:
    assert s in text, f"section {s} missing"
def table_after(head):
    part = text.split(head, 1)[1]
    lines = [l for l in part.splitlines() if l.startswith("| ") and not l.startswith("| architecture |")
             and not l.startswith("| model |")]
    return lines
for head in sections:
    body = table_after(head)
    assert body, f"{head}: empty table"
for a in archs:
    assert any(l.startswith(f"| {a} |") for l in table_after("### 1.")), f"Paper A table lacks {a}"
    assert any(l.startswith(f"| {a} |") for l in table_after("### 3.")), f"overhead table lacks {a}"
assert "nan" not in text.lower().replace("nanos", ""), "a table has NaN"
assert re.search(r"\d+\.\d\d ± \d+\.\d\d", text), "no mean ± std entries"
for png in ("reproduction_paper_a.png", "reproduction_paper_b.png"):
    p = os.path.join(os.path.dirname(sys.argv[1]), png)
    assert os.path.getsize(p) > 5000, f"{png} missing or empty"
print(f"{len(text.splitlines())} lines, Paper A rows for {sorted(archs)}")
PYEOF
  pass "report: $(cat "$WORK/check.out")"
else
  fail "report: $(cat "$WORK/check.out")"
fi
if "$PY" "$SRC/tools/reproduce.py" "${ARGS[@]}" >"$WORK/run2.log" 2>&1 && grep -q "(0 simulations" "$WORK/run2.log"; then
  pass "second run served from the cache"
else
  fail "second run: $(tail -2 "$WORK/run2.log")"
fi
finish
