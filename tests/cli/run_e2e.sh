#!/usr/bin/env bash
# End-to-end: `mxsim run` on 500 Fashion-MNIST images writes a JSON report with every promised field,
# consistent with itself.
source "$(dirname "$0")/common.bash"
OUT="$WORK/report.json"
if ! "$MXSIM" run --images 500 --chips 2 --no-progress --out "$OUT" >"$WORK/stdout" 2>"$WORK/stderr"; then
  fail "run failed: $(cat "$WORK/stderr")"; finish
fi
"$PY" - "$OUT" <<'PYEOF' || fail "report checks"
import json, math, sys
r = json.load(open(sys.argv[1]))
def get(path):
    node = r
    for k in path.split("."):
        node = node[k]
    return node
for f in ["accuracy.top1", "accuracy.ideal_top1", "accuracy.images", "latency.cycles", "latency.seconds",
          "energy.total_j", "energy.by_component", "power.average_w", "layers"]:
    get(f)  # KeyError fails the test
assert get("accuracy.images") == 500, get("accuracy.images")
assert 0 <= get("accuracy.top1") <= 100 and 80 <= get("accuracy.ideal_top1") <= 100
assert len(get("accuracy.per_chip")) == 2
comp = get("energy.by_component")
for k in ["crossbar", "dac", "adc", "sram", "digital", "leakage"]:
    assert comp[k] > 0, (k, comp[k])
total = get("energy.total_j")
assert math.isclose(sum(comp.values()), total, rel_tol=1e-9), (sum(comp.values()), total)
layers = get("layers")
assert layers and all({"name", "op", "cycles", "energy_j", "arrays"} <= set(l) for l in layers)
assert sum(l["cycles"] for l in layers) == get("latency.cycles")
assert math.isclose(sum(l["energy_j"] for l in layers), total, rel_tol=1e-9)
assert math.isclose(get("latency.seconds"), get("latency.cycles") / r["arch"]["clock_hz"], rel_tol=1e-12)
assert math.isclose(get("power.average_w"), total / get("latency.seconds"), rel_tol=1e-9)
assert any(l["arrays"] > 0 for l in layers) and any(l["op"].startswith("Conv") for l in layers)
print("report ok: top1 %.2f ideal %.2f cycles %d energy %.3g J" % (get("accuracy.top1"),
      get("accuracy.ideal_top1"), get("latency.cycles"), total))
PYEOF
grep -q "accuracy" "$WORK/stdout" || fail "no summary printed"
pass "e2e report"
finish
