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

# expect_usage_error NAME -- CMD...: exit 2, one stderr line naming --ideal and the offending flag, no report.
expect_usage_error() {
  local name="$1" flag="$2"
  shift 3
  local err="$WORK/$name.stderr"
  "$@" >"$WORK/$name.stdout" 2>"$err"
  local rc=$?
  if [[ $rc -ne 2 ]]; then fail "$name: exit code $rc, expected 2 (stderr: $(cat "$err"))"; return; fi
  if [[ $(wc -l <"$err") -ne 1 ]]; then fail "$name: expected one stderr line: $(cat "$err")"; return; fi
  if ! grep -qF -- "--ideal" "$err" || ! grep -qF -- "$flag" "$err"; then
    fail "$name: stderr does not name --ideal and $flag: $(cat "$err")"; return
  fi
  if [[ -e "$WORK/$name.json" ]]; then fail "$name: report written"; return; fi
  pass "$name: $(cat "$err")"
}
expect_usage_error ideal_chips --chips -- "$MXSIM" run --ideal --chips 2 --images 10 --out "$WORK/ideal_chips.json"
expect_usage_error ideal_times --times -- "$MXSIM" run --times 1s,1h --ideal --images 10 --out "$WORK/ideal_times.json"
expect_usage_error ideal_vcd --vcd -- "$MXSIM" run --ideal --vcd "$WORK/w.vcd" --images 10 --out "$WORK/ideal_vcd.json"
# Unlabelled data leaves --ideal nothing to report: a bad-input error (exit 1).
expect_user_error ideal_random "has no labels" "$WORK/ideal_random.json" -- \
  "$MXSIM" run --ideal --data random --images 10 --out "$WORK/ideal_random.json"
finish
