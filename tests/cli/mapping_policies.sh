#!/usr/bin/env bash
# chip.mapping policies end to end on the bundled model: a chip smaller than the model is an error naming
# both numbers unless chip.mapping.overflow: time_multiplex, which runs in rounds and reports the
# reprogramming cost (its own rows, so per-layer sums still equal the totals); multiplex_batch divides it;
# replication: auto uses spare arrays and lowers the latency.
source "$(dirname "$0")/common.bash"

# The chip: one tile of as many arrays as the model's largest layer, so it fits no model with several layers.
"$MXSIM" inspect --json >"$WORK/inspect.json" 2>"$WORK/inspect.stderr" || { fail "inspect: $(cat "$WORK/inspect.stderr")"; finish; }
read -r ARRAYS NEEDED < <("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
arrays = [l["arrays"] for l in d["layers"] if l["unit"] == "analog"]
print(max(arrays), sum(arrays))' "$WORK/inspect.json")
((NEEDED > ARRAYS)) || { fail "fixture: the bundled model needs $NEEDED arrays, no overflow on $ARRAYS"; finish; }
SMALL=(--set chip.tiles=1 --set "chip.tile.arrays=$ARRAYS")
RUN=(run --data random --images 4 --no-progress)

expect_user_error overflow_error "needs $NEEDED arrays of 128x128 but the chip has $ARRAYS (1 tiles x $ARRAYS arrays)" \
  "$WORK/none.json" -- "$MXSIM" "${RUN[@]}" "${SMALL[@]}" --out "$WORK/none.json"
grep -qF "chip.mapping.overflow: time_multiplex" "$WORK/overflow_error.stderr" || fail "overflow_error: no hint at the policy"

if ! "$MXSIM" "${RUN[@]}" "${SMALL[@]}" --set chip.mapping.overflow=time_multiplex --out "$WORK/tm.json" \
  >"$WORK/tm.stdout" 2>"$WORK/tm.stderr"; then
  fail "time_multiplex run failed: $(cat "$WORK/tm.stderr")"; finish
fi
if ! "$MXSIM" "${RUN[@]}" "${SMALL[@]}" --set chip.mapping.overflow=time_multiplex \
  --set chip.mapping.multiplex_batch=4 --out "$WORK/tm4.json" >"$WORK/tm4.stdout" 2>"$WORK/tm4.stderr"; then
  fail "time_multiplex batch 4 run failed: $(cat "$WORK/tm4.stderr")"; finish
fi
"$PY" - "$WORK/tm.json" "$WORK/tm4.json" "$WORK/inspect.json" "$ARRAYS" <<'PYEOF' || fail "time_multiplex report checks"
import json, math, sys
r, r4, ins, cap = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), int(sys.argv[4])
m = r["mapping"]
# Rounds re-derived: analog layers in program order, a new round when the next layer does not fit.
rounds, used = [[]], 0
for l in ins["layers"]:
    if l["unit"] != "analog":
        continue
    if used + l["arrays"] > cap:
        rounds.append([]); used = 0
    rounds[-1].append(l["name"]); used += l["arrays"]
assert m["policy"] == "time_multiplex" and m["rounds"] == len(rounds) >= 2, (m["rounds"], rounds)
assert m["arrays_available"] == cap and m["arrays_used"] <= cap and m["arrays_needed"] > cap, m
assert {x["name"]: x["round"] for x in m["layers"]} == {n: k for k, names in enumerate(rounds) for n in names}
assert all(x["replicas"] == 1 for x in m["layers"])
layers = r["layers"]
reprog = [l for l in layers if l["op"] == "Reprogram"]
assert [l["name"] for l in reprog] == ["reprogram round %d" % k for k in range(len(rounds))]
for k, l in enumerate(reprog):  # each precedes the first layer of its round
    nxt = layers[layers.index(l) + 1:]
    first = next(x for x in nxt if x["unit"] == "analog")
    assert first["name"] == rounds[k][0] and l["round"] == k, (l, first)
    assert l["cycles"] > 0 and l["energy_j"] > 0
assert m["reprogram_cycles_per_image"] == sum(l["cycles"] for l in reprog) > 0
assert math.isclose(m["reprogram_energy_j_per_image"], sum(l["energy_j"] for l in reprog), rel_tol=1e-12)
assert m["cell_writes_per_reload"] > 0
# Report invariants hold with the reprogramming rows.
assert sum(l["cycles"] for l in layers) == r["latency"]["cycles"]
assert math.isclose(sum(l["energy_j"] for l in layers), r["energy"]["total_j"], rel_tol=1e-9)
assert math.isclose(sum(r["energy"]["by_component"].values()), r["energy"]["total_j"], rel_tol=1e-9)
# multiplex_batch = 4: each reprogramming takes ceil(cycles / 4) and a quarter of the write energy.
reprog4 = [l for l in r4["layers"] if l["op"] == "Reprogram"]
assert [(l["cycles"] + 3) // 4 for l in reprog] == [l["cycles"] for l in reprog4], (reprog, reprog4)
w1, w4 = r["energy"]["by_action"]["crossbar.cell_write"], r4["energy"]["by_action"]["crossbar.cell_write"]
assert math.isclose(w4, w1 / 4, rel_tol=1e-12), (w1, w4)
assert r4["mapping"]["multiplex_batch"] == 4 and r4["mapping"]["cell_writes_per_reload"] == m["cell_writes_per_reload"]
steps = lambda rep: [(l["name"], l["cycles"]) for l in rep["layers"] if l["op"] != "Reprogram"]
assert steps(r) == steps(r4)  # the layers themselves do not change
print("time_multiplex ok: %d rounds, reprogramming %d cycles/image (batch 4: %d), latency %d"
      % (m["rounds"], m["reprogram_cycles_per_image"], r4["mapping"]["reprogram_cycles_per_image"], r["latency"]["cycles"]))
PYEOF
grep -qF "rounds (time-multiplexed" "$WORK/tm.stdout" || fail "run summary does not mention the rounds"
grep -q "^reprogram round 0" "$WORK/tm.stdout" || fail "run table lacks the reprogramming rows"

"$MXSIM" inspect --json "${SMALL[@]}" --set chip.mapping.overflow=time_multiplex >"$WORK/inspect_tm.json" \
  || fail "inspect time_multiplex failed"
"$MXSIM" inspect "${SMALL[@]}" --set chip.mapping.overflow=time_multiplex >"$WORK/inspect_tm.txt" || fail "inspect table failed"
grep -qE "^total: .*[0-9]+ rounds \(time-multiplexed" "$WORK/inspect_tm.txt" || fail "inspect totals lack the rounds"
"$PY" - "$WORK/inspect_tm.json" <<'PYEOF' || fail "inspect --json rounds/replicas"
import json, sys
d = json.load(open(sys.argv[1]))
analog = [l for l in d["layers"] if l["unit"] == "analog"]
assert all(isinstance(l["round"], int) and l["replicas"] == 1 for l in analog)
assert all(l["round"] is None and l["replicas"] is None for l in d["layers"] if l["unit"] != "analog")
assert d["rounds"] == max(l["round"] for l in analog) + 1 >= 2
print("inspect ok")
PYEOF

# Replication on the default chip: spare arrays hold copies; never more arrays than the chip has.
"$MXSIM" "${RUN[@]}" --out "$WORK/base.json" >/dev/null 2>"$WORK/base.stderr" || fail "base run: $(cat "$WORK/base.stderr")"
"$MXSIM" "${RUN[@]}" --set chip.mapping.replication=auto --out "$WORK/rep.json" >"$WORK/rep.stdout" 2>"$WORK/rep.stderr" \
  || fail "replication run: $(cat "$WORK/rep.stderr")"
"$PY" - "$WORK/base.json" "$WORK/rep.json" <<'PYEOF' || fail "replication report checks"
import json, math, sys
b, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
m = r["mapping"]
assert m["replication"] == "auto" and m["rounds"] == 1 and m["reprogram_cycles_per_image"] == 0
assert b["mapping"]["arrays_used"] < m["arrays_used"] <= m["arrays_available"], m
# Vectors per image: output pixels of a conv (C x H x W), one for a Gemm.
shape = {l["name"]: l["out_shape"] for l in r["layers"]}
vectors = {n: (s[1] * s[2] if len(s) == 3 else 1) for n, s in shape.items()}
assert any(x["replicas"] > 1 for x in m["layers"])
assert all(1 <= x["replicas"] <= vectors[x["name"]] for x in m["layers"]), m["layers"]
assert sum(x["arrays"] for x in m["layers"]) == m["arrays_used"]
for x in m["layers"]:
    base = next(l for l in b["mapping"]["layers"] if l["name"] == x["name"])
    assert x["arrays"] == base["arrays"] * x["replicas"], (x, base)
assert r["latency"]["cycles"] < b["latency"]["cycles"], (r["latency"], b["latency"])
assert sum(l["cycles"] for l in r["layers"]) == r["latency"]["cycles"]
assert math.isclose(sum(l["energy_j"] for l in r["layers"]), r["energy"]["total_j"], rel_tol=1e-9)
print("replication ok: %d -> %d arrays, latency %d -> %d cycles" % (b["mapping"]["arrays_used"], m["arrays_used"],
      b["latency"]["cycles"], r["latency"]["cycles"]))
PYEOF
pass "mapping policies"
finish
