#!/usr/bin/env bash
# Golden regression: the default model's report on the default chip (sequential, global-buffer model) and on the
# default chip with 32 KiB tile memories, pipelined (the dataflow model)
# must match the committed goldens: counters (cycles, action-derived integers, arrays) exactly, energies,
# power and accuracies within 1e-9 relative (compare_report.py; wall time, threads and paths ignored).
# After an intended change of the model, regenerate: MXSIM_UPDATE_GOLDEN=1 ctest -R regression.golden
# and commit the new goldens with the reason in the message.
# Arguments: $1 mxsim binary, $2 source dir, $3 scratch dir.
source "$2/tests/cli/common.bash"
GOLD="$SRC/tests/regression/golden"
mkdir -p "$GOLD"
ARGS=(run --images 500 --chips 2 --seed 7 --no-progress)
for sched in sequential pipelined; do
  out="$WORK/default_$sched.json"
  extra=()
  [[ $sched == pipelined ]] && extra=(--set chip.tile.memory=32KiB --pipeline-images 3)
  if ! "$MXSIM" "${ARGS[@]}" --set chip.schedule=$sched "${extra[@]}" --out "$out" >"$WORK/$sched.stdout" 2>"$WORK/$sched.stderr"; then
    fail "$sched run failed: $(cat "$WORK/$sched.stderr")"
    continue
  fi
  if [[ "${MXSIM_UPDATE_GOLDEN:-0}" == 1 ]]; then
    cp "$out" "$GOLD/default_$sched.json"
    pass "$sched golden regenerated"
    continue
  fi
  if "$PY" "$SRC/tests/regression/compare_report.py" "$GOLD/default_$sched.json" "$out" >"$WORK/$sched.cmp" 2>&1; then
    pass "$sched: $(cat "$WORK/$sched.cmp")"
  else
    fail "$sched differs from the golden: $(cat "$WORK/$sched.cmp")"
  fi
done
# The comparator itself must catch a one-cycle and a 1e-6 relative change (a test that cannot fail is a defect).
if [[ -f "$WORK/default_sequential.json" && "${MXSIM_UPDATE_GOLDEN:-0}" != 1 ]]; then
  "$PY" - "$WORK/default_sequential.json" "$WORK" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["latency"]["cycles"] += 1
json.dump(d, open(sys.argv[2] + "/mut_cycles.json", "w"))
d = json.load(open(sys.argv[1]))
d["energy"]["total_j"] *= 1 + 1e-6
json.dump(d, open(sys.argv[2] + "/mut_energy.json", "w"))
PYEOF
  for m in cycles energy; do
    if "$PY" "$SRC/tests/regression/compare_report.py" "$WORK/default_sequential.json" "$WORK/mut_$m.json" >/dev/null 2>&1; then
      fail "comparator accepted a changed $m"
    else
      pass "comparator rejects a changed $m"
    fi
  done
fi
finish
