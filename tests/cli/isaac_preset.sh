#!/usr/bin/env bash
# The ISAAC preset (sim/presets/isaac.yaml, docs/isaac.md) reproduces ISAAC's Table I: `inspect --json` gives
# every component's power at full load and its area, and each is checked here against Table I's row x the
# instance counts, written out independently of the preset (a typo in one of the preset's derived
# per-action energies or per-instance areas fails this test), within 5 % per row and for the chip totals
# (65.8 W, 85.4 mm2). A short run then completes with the dataflow model.
source "$(dirname "$0")/common.bash"
ARCH="$SRC/sim/presets/isaac.yaml"
if ! "$MXSIM" inspect --arch "$ARCH" >"$WORK/inspect.out" 2>"$WORK/inspect.err"; then
  fail "inspect failed: $(cat "$WORK/inspect.err")"
elif ! grep -q "of 16128 arrays" "$WORK/inspect.out"; then
  fail "inspect does not report 168 x 96 = 16128 arrays: $(tail -1 "$WORK/inspect.out")"
else
  pass "inspect loads the preset"
fi
if ! "$MXSIM" inspect --arch "$ARCH" --json >"$WORK/inspect.json" 2>"$WORK/inspect.err"; then
  fail "inspect --json failed: $(cat "$WORK/inspect.err")"; finish
fi
if "$PY" - "$WORK/inspect.json" <<'PYEOF'; then pass "Table I reproduced within 5 %"; else fail "Table I"; fi
import json, sys
rows = {c["component"]: c for c in json.load(open(sys.argv[1]))["chip_components"]}
T, I = 168, 168 * 12  # tiles, IMAs
mW = 1e-3
# ISAAC Table I (docs/isaac.md): mxsim component -> (Table I row, chip power W, chip area mm2).
table = {
    "adc": ("ADC 8 per IMA", I * 16 * mW, I * 0.0096),
    "dac": ("DAC 8x128 per IMA", I * 4 * mW, I * 0.00017),
    "sample_hold": ("S+H 8x128 per IMA", I * 0.01 * mW, I * 0.00004),
    "crossbar": ("memristor arrays 8 per IMA", I * 2.4 * mW, I * 0.0002),
    "digital": ("S+A 4 per IMA", I * 0.2 * mW, I * 0.00024),
    "tile_buffer": ("IR 2 KB per IMA", I * 1.24 * mW, I * 0.0021),
    "output_buffer": ("OR 256 B per IMA", I * 0.23 * mW, I * 0.00077),
    "sram": ("eDRAM 64 KB per tile", T * 20.7 * mW, T * 0.083),
    "bus": ("eDRAM-to-IMA bus per tile", T * 7 * mW, T * 0.090),
    "noc": ("router per 4 tiles", T / 4 * 42 * mW, T / 4 * 0.151),
    "activation": ("sigmoid 2 per tile", T * 0.52 * mW, T * 0.0006),
    "accumulator": ("S+A 1 per tile", T * 0.05 * mW, T * 0.00006),
    "pool": ("max-pool 1 per tile", T * 0.4 * mW, T * 0.00024),
    "output_register": ("OR 3 KB per tile", T * 1.68 * mW, T * 0.0032),
    "io": ("HyperTransport 4 links", 10.4, 22.88),
}
ok = True
for c, (name, watts, mm2) in table.items():
    got = rows[c]
    for what, want, have in (("power", watts, got["full_load_w"]), ("area", mm2, got["area_mm2"])):
        if abs(have / want - 1) > 0.05:
            print("%s (%s) %s: mxsim %.5g, ISAAC %.5g (%.3f)" % (c, name, what, have, want, have / want))
            ok = False
extra = set(rows) - set(table)
assert not extra, "components without a Table I row: %s" % extra
pw = sum(r["full_load_w"] for r in rows.values())
ar = sum(r["area_mm2"] for r in rows.values())
for what, have, want in (("chip power W", pw, 65.8), ("chip area mm2", ar, 85.4)):
    if abs(have / want - 1) > 0.05:
        print("%s: mxsim %.4g, ISAAC %.4g" % (what, have, want)); ok = False
print("ISAAC Table I: chip %.4g W (ISAAC 65.8), %.4g mm2 (ISAAC 85.4)" % (pw, ar))
sys.exit(0 if ok else 1)
PYEOF
OUT="$WORK/isaac.json"
if ! "$MXSIM" run --arch "$ARCH" --data random --images 2 --set noise.calibration_images=8 --no-progress \
    --out "$OUT" >"$WORK/run.out" 2>"$WORK/run.err"; then
  fail "run failed: $(cat "$WORK/run.err")"; finish
fi
# The run's summary prints the full-load power table too (Table I's chip power, 65.8 W, within 5 %).
if grep -Eq "^full load  6[3-8]\.[0-9]+ W with every instance at its peak rate: .*adc 3[0-9]\.[0-9]+ W" "$WORK/run.out"; then
  pass "run prints the full-load table"
else
  fail "run summary lacks the full-load table: $(grep -E '^full load' "$WORK/run.out")"
fi
if "$PY" - "$OUT" <<'PYEOF'; then pass "isaac preset report"; else fail "report checks"; fi
import json, math, sys
r = json.load(open(sys.argv[1]))
a = r["arch"]
assert (a["clock_hz"], a["tiles"], a["arrays_per_tile"], a["array_rows"], a["array_cols"]) == (1.2e9, 168, 96, 128, 128), a
assert r["schedule"] == "pipelined", r["schedule"]
assert r["latency"]["cycles"] > 0 and r["energy"]["total_j"] > 0
mm2 = 1e-6
got = r["area"]["by_component_m2"]
assert abs(r["area"]["total_m2"] - sum(got.values())) <= 1e-12 * r["area"]["total_m2"]
# The run prices the actions at the preset's energies: one ADC conversion = 16 mW per 8 ADCs / 1.2 GS/s.
per_conversion = r["energy"]["by_action"]["adc.convert"] / r["energy"]["action_counts"]["adc.convert"]
assert math.isclose(per_conversion, 16e-3 / 8 / 1.2e9, rel_tol=1e-6), per_conversion
# Every component's average power over the run is at most its full-load power.
for c, j in r["energy"]["by_component"].items():
    if c in r["power"]["full_load_by_component_w"]:
        assert j / r["latency"]["seconds"] <= r["power"]["full_load_by_component_w"][c] * (1 + 1e-9), c
# The dataflow model ran (per-tile memories) and reports throughput.
t = r["throughput"]
assert t["model"] == "dataflow" and t["images_per_s"] > 0 and t["tops"] > 0, t
assert t["initiation_interval_cycles"] >= t["bottleneck_cycles_per_image"] > 0, t
assert r["power"]["leakage_w"] == 0 and r["energy"]["by_component"]["leakage"] == 0
print("isaac preset run: area %.3f mm2, ADC %.4g pJ per conversion" % (r["area"]["total_m2"] / mm2, per_conversion * 1e12))
PYEOF
finish
