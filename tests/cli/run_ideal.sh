#!/usr/bin/env bash
# `mxsim run --ideal`: only the exact float model's accuracy. On the bundled model and 500 images it reports
# the same accuracy.ideal_top1 as a normal run (same engine path, so exactly equal), its report holds only
# model, arch, run and accuracy.{ideal_top1, images} (no chip sections, no CSV), and combining it with the
# chip-instance flags --chips, --times or --vcd is a command-line error (exit 2, one line, nothing written).
source "$(dirname "$0")/common.bash"
NORMAL="$WORK/normal.json"
IDEAL="$WORK/ideal.json"
if ! "$MXSIM" run --images 500 --chips 1 --no-progress --out "$NORMAL" >"$WORK/normal.stdout" 2>"$WORK/normal.stderr"; then
  fail "normal run failed: $(cat "$WORK/normal.stderr")"; finish
fi
if ! "$MXSIM" run --ideal --images 500 --no-progress --out "$IDEAL" >"$WORK/ideal.stdout" 2>"$WORK/ideal.stderr"; then
  fail "ideal run failed: $(cat "$WORK/ideal.stderr")"; finish
fi
if "$PY" - "$NORMAL" "$IDEAL" <<'PYEOF'; then pass "ideal report"; else fail "ideal report checks"; fi
import json, sys
normal, ideal = (json.load(open(p)) for p in sys.argv[1:3])
assert set(ideal) == {"mxsim_version", "model", "arch", "run", "accuracy"}, sorted(ideal)
assert ideal["accuracy"] == {"ideal_top1": normal["accuracy"]["ideal_top1"], "images": 500}, \
    (ideal["accuracy"], normal["accuracy"]["ideal_top1"])
assert 80 <= ideal["accuracy"]["ideal_top1"] <= 100, ideal["accuracy"]
assert ideal["run"]["ideal"] is True and ideal["run"]["chips"] == 0, ideal["run"]
assert ideal["model"] == normal["model"], (ideal["model"], normal["model"])
print("ideal_top1 %.2f in both; wall %.2f s (ideal) vs %.2f s (1 chip)" % (
    ideal["accuracy"]["ideal_top1"], ideal["run"]["wall_seconds"], normal["run"]["wall_seconds"]))
PYEOF
[[ -e "$WORK/ideal.csv" ]] && fail "--ideal wrote a per-layer CSV"
grep -q "ideal" "$WORK/ideal.stdout" || fail "no ideal accuracy printed: $(cat "$WORK/ideal.stdout")"

# expect_ideal_conflict NAME FLAG -- CMD...: a usage error (exit 2, one stderr line) naming FLAG and --ideal,
# and no report written.
expect_ideal_conflict() {
  local name="$1" flag="$2"
  expect_exit 2 "$name" "$flag" "$WORK/$name.json" "${@:3}" || return
  grep -qF -- "--ideal" "$WORK/$name.stderr" || fail "$name: stderr does not name --ideal: $(cat "$WORK/$name.stderr")"
}
expect_ideal_conflict ideal_chips --chips -- "$MXSIM" run --ideal --chips 2 --images 10 --out "$WORK/ideal_chips.json"
expect_ideal_conflict ideal_times --times -- "$MXSIM" run --times 1s,1h --ideal --images 10 --out "$WORK/ideal_times.json"
expect_ideal_conflict ideal_vcd --vcd -- "$MXSIM" run --ideal --vcd "$WORK/w.vcd" --images 10 --out "$WORK/ideal_vcd.json"
# Unlabelled data leaves --ideal nothing to report: a bad-input error (exit 1).
expect_user_error ideal_random "has no labels" "$WORK/ideal_random.json" -- \
  "$MXSIM" run --ideal --data random --images 10 --out "$WORK/ideal_random.json"
finish
