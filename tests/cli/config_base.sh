#!/usr/bin/env bash
# Architecture inheritance and the effective configuration (docs/config.md "Presets and base:", docs/cli.md
# "config"): a file with `base: isaac` and one change runs the same chip as the preset with that --set; the
# document `mxsim config` prints runs the same chip as the file and --set it came from; loops, missing presets
# and a bad key inside a base file are one-line errors naming the file or key; the report embeds the document.
source "$(dirname "$0")/common.bash"
run_totals() {  # prints latency cycles, energy and area of a report
  "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['latency']['cycles'], repr(r['energy']['total_j']), repr(r['area']['total_m2']))" "$1"
}
R=("$MXSIM" run --images 4 --threads 1)

cat >"$WORK/wide.yaml" <<'YAML'
base: isaac
chip:
  noc:
    link_width: 512
YAML
"${R[@]}" --arch "$WORK/wide.yaml" --out "$WORK/base.json" >/dev/null 2>"$WORK/base.err" || fail "base: isaac run failed: $(cat "$WORK/base.err")"
"${R[@]}" --arch "$SRC/sim/presets/isaac.yaml" --set chip.noc.link_width=512 --out "$WORK/set.json" >/dev/null 2>&1 ||
  fail "isaac --set run failed"
if [[ "$(run_totals "$WORK/base.json")" == "$(run_totals "$WORK/set.json")" ]]; then
  pass "base: isaac + link_width 512 = isaac --set link_width=512 ($(run_totals "$WORK/set.json"))"
else
  fail "base: and --set differ: $(run_totals "$WORK/base.json") vs $(run_totals "$WORK/set.json")"
fi
# A base chain two deep, with a relative path: the nearer file wins, maps merge key by key.
cat >"$WORK/narrow.yaml" <<'YAML'
base: wide.yaml
chip:
  noc:
    hop_latency: 3
YAML
"$MXSIM" config --arch "$WORK/narrow.yaml" >"$WORK/narrow.txt" 2>&1 || fail "config of a two-deep chain failed"
if grep -q "link_width: 512" "$WORK/narrow.txt" && grep -q "hop_latency: 3" "$WORK/narrow.txt" &&
   grep -q "name: mxsim-isaac" "$WORK/narrow.txt" && ! grep -q "^base:" "$WORK/narrow.txt"; then
  pass "two-deep base chain merged (isaac's name, wide's link width, narrow's hop latency)"
else
  fail "two-deep chain: $(head -20 "$WORK/narrow.txt")"
fi

# The printed document alone reproduces the run it describes.
"$MXSIM" config --arch "$SRC/sim/presets/isaac.yaml" --set chip.tiles=200 >"$WORK/dump.yaml" || fail "config dump failed"
"${R[@]}" --arch "$SRC/sim/presets/isaac.yaml" --set chip.tiles=200 --out "$WORK/orig.json" >/dev/null 2>&1 || fail "orig run"
"${R[@]}" --arch "$WORK/dump.yaml" --out "$WORK/again.json" >/dev/null 2>"$WORK/again.err" || fail "dump run: $(cat "$WORK/again.err")"
if [[ "$(run_totals "$WORK/orig.json")" == "$(run_totals "$WORK/again.json")" ]]; then
  pass "mxsim config's document reproduces the run"
else
  fail "dumped config differs: $(run_totals "$WORK/orig.json") vs $(run_totals "$WORK/again.json")"
fi
if "$PY" - "$WORK/orig.json" "$WORK/again.json" <<'PYEOF'; then pass "report embeds the effective document and its hash"; else fail "effective_yaml/hash"; fi
import json, sys
a, b = (json.load(open(p))["arch"] for p in sys.argv[1:])
assert "tiles: 200" in a["effective_yaml"], a["effective_yaml"][:200]
assert a["effective_hash"] == b["effective_hash"] and len(a["effective_hash"]) == 16
PYEOF
if grep -q "^#   chip.tile.array.dac.unit_capacitance: " "$WORK/dump.yaml"; then pass "defaults listed as comments"; else fail "no default comments"; fi

# Errors.
printf 'base: b.yaml\nchip: {}\n' >"$WORK/a.yaml"
printf 'base: a.yaml\nchip: {}\n' >"$WORK/b.yaml"
expect_user_error base_loop "loops back" "" -- "$MXSIM" inspect --arch "$WORK/a.yaml"
printf 'base: isacc\n' >"$WORK/typo.yaml"
expect_user_error base_missing "no preset 'isacc' (presets: " "" -- "$MXSIM" inspect --arch "$WORK/typo.yaml"
printf 'chip:\n  tilez: 3\n' >"$WORK/badbase.yaml"
printf 'base: badbase.yaml\n' >"$WORK/child.yaml"
expect_user_error base_bad_key "chip.tilez: unknown key" "" -- "$MXSIM" inspect --arch "$WORK/child.yaml"
printf 'base: [isaac]\n' >"$WORK/listbase.yaml"
expect_user_error base_list "base: expected a preset name" "" -- "$MXSIM" inspect --arch "$WORK/listbase.yaml"
finish
