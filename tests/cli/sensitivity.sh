#!/usr/bin/env bash
# tools/sensitivity.py (docs/sensitivity.md): one-at-a-time changes are reported relative to the base run and
# point the way physics says they must — narrower links lengthen the latency, wider ones shorten it, a
# 10-bit ADC costs more energy than the default 8-bit one; a rejected value fails its own row (exit 2) without
# stopping the sweep.
source "$(dirname "$0")/common.bash"
SENS=("$PY" "$SRC/tools/sensitivity.py" --mxsim "$MXSIM" --images 20)
if ! "${SENS[@]}" --param chip.noc.link_width=16,128 --param chip.tile.array.adc.bits=10 \
    --markdown "$WORK/t.md" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
  fail "sensitivity run failed: $(tail -3 "$WORK/err.txt")"; finish
fi
if "$PY" - "$WORK/t.md" <<'PYEOF'; then pass "directions and table"; else fail "sensitivity table"; fi
import sys
rows = [l.strip("|\n").split("|") for l in open(sys.argv[1]) if l.startswith("| chip.")]
assert len(rows) == 3, rows
val = {(r[0].strip(), r[1].strip()): [c.strip() for c in r[2:]] for r in rows}
pct = lambda s: float(s.split()[0])
assert pct(val[("chip.noc.link_width", "16")][1]) > 0, val  # latency
assert pct(val[("chip.noc.link_width", "128")][1]) < 0, val
assert pct(val[("chip.tile.array.adc.bits", "10")][0]) > 0, val  # energy
assert val[("chip.tile.array.adc.bits", "10")][5].startswith("adc"), val  # the ADC drove it
PYEOF
"${SENS[@]}" --param chip.noc.link_width=16,0 >"$WORK/bad.txt" 2>&1
rc=$?
if [[ $rc -eq 2 ]] && grep -q "failed:" "$WORK/bad.txt" && grep -q "^chip.noc.link_width  *16 " "$WORK/bad.txt"; then
  pass "a rejected value fails its row only (exit 2)"
else
  fail "bad value: exit $rc, $(cat "$WORK/bad.txt")"
fi
finish
