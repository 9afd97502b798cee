#!/usr/bin/env bash
# The ISAAC preset (sim/presets/isaac.yaml, docs/isaac.md) loads, a short run completes, and the report's area
# per component equals ISAAC's cited numbers x the instance counts, computed here independently of the preset,
# so a typo in one of the preset's derived per-instance numbers fails this test. The ADC energy per busy cycle
# checks the derived conversion energy the same way.
source "$(dirname "$0")/common.bash"
ARCH="$SRC/sim/presets/isaac.yaml"
if ! "$MXSIM" inspect --arch "$ARCH" >"$WORK/inspect.out" 2>"$WORK/inspect.err"; then
  fail "inspect failed: $(cat "$WORK/inspect.err")"
elif ! grep -q "of 16128 arrays" "$WORK/inspect.out"; then
  fail "inspect does not report 168 x 96 = 16128 arrays: $(tail -1 "$WORK/inspect.out")"
else
  pass "inspect loads the preset"
fi
OUT="$WORK/isaac.json"
if ! "$MXSIM" run --arch "$ARCH" --data random --images 2 --set noise.calibration_images=8 --no-progress \
    --out "$OUT" >"$WORK/run.out" 2>"$WORK/run.err"; then
  fail "run failed: $(cat "$WORK/run.err")"; finish
fi
if "$PY" - "$OUT" <<'PYEOF'; then pass "isaac preset report"; else fail "report checks"; fi
import json, math, sys
r = json.load(open(sys.argv[1]))
a = r["arch"]
assert (a["clock_hz"], a["tiles"], a["arrays_per_tile"], a["array_rows"], a["array_cols"]) == (1.2e9, 168, 96, 128, 128), a
assert r["schedule"] == "pipelined", r["schedule"]
assert r["latency"]["cycles"] > 0 and r["energy"]["total_j"] > 0
mm2 = 1e-6
tiles, imas, arrays = 168, 12, 168 * 96
# ISAAC's table (32 nm), as cited in the preset: per IMA 8 crossbars 0.0002 mm2, 8 ADCs 0.0096 mm2,
# 8 x 128 DACs 0.00017 mm2, shift-and-add 0.00024 mm2, 2 KB input register 0.0021 mm2; per tile a 64 KB eDRAM
# 0.083 mm2 (the tile memory); a router 0.151 mm2 shared by 4 tiles: ceil(168 / 4) + 1 = 43 routers on a
# 7 x 7 grid (every grid slot has a router). mxsim adds a 64 KB I/O buffer at eDRAM density and one
# chip-level digital lane. The tile's output registers (12 x 256 B) are priced at the input register's density.
expected = {
    "crossbar": arrays * 0.0002 / 8 * mm2,
    "adc": arrays * 1 * 0.0096 / 8 * mm2,
    "dac": arrays * 128 * 0.00017 / (8 * 128) * mm2,
    "sram": (tiles + 1) * 0.083 * mm2,
    "tile_buffer": tiles * (imas * 2048 + imas * 256) / 2048 * 0.0021 * mm2,
    "digital": (tiles * imas * 8 + 1) * 0.00024 / 8 * mm2,
    "noc": 7 * 7 * 0.151 * mm2,
}
got = r["area"]["by_component_m2"]
for k, v in expected.items():
    assert math.isclose(got[k], v, rel_tol=1e-9), (k, got[k], v)
assert math.isclose(r["area"]["total_m2"], sum(got.values()), rel_tol=1e-12)
# ADC: the price of one conversion is 16 mW per 8 ADCs / 1.28 GS/s.
per_conversion = r["energy"]["by_action"]["adc.convert"] / r["energy"]["action_counts"]["adc.convert"]
assert math.isclose(per_conversion, 16e-3 / 8 / 1.28e9, rel_tol=1e-6), per_conversion
# The dataflow model ran (per-tile memories) and reports throughput.
t = r["throughput"]
assert t["model"] == "dataflow" and t["images_per_s"] > 0 and t["tops"] > 0, t
assert t["initiation_interval_cycles"] >= t["bottleneck_cycles_per_image"] > 0, t
assert r["power"]["leakage_w"] == 0 and r["energy"]["by_component"]["leakage"] == 0
print("isaac preset: area %.3f mm2 (%s), ADC %.4g pJ per conversion" %
      (r["area"]["total_m2"] / mm2, ", ".join("%s %.4f" % (k, got[k] / mm2) for k in sorted(got)),
       per_conversion * 1e12))
PYEOF
finish
