#!/usr/bin/env bash
# Command-line conventions (docs/cli.md, issue 18): per-command --help with defaults, --x=v, suggestions for
# misspellings, exit 2 naming the option for every malformed command line, --set errors blamed on --set,
# --quiet, --verbose phase timings, and progress in images and chips.
source "$(dirname "$0")/common.bash"
OUT="$WORK/report.json"

# --- per-command help: that command's options, each with its default; exit 0 on stdout ---
"$MXSIM" run --help >"$WORK/run_help.txt" 2>"$WORK/run_help.err"; rc=$?
if [[ $rc -eq 0 && ! -s "$WORK/run_help.err" ]] && grep -q "^Usage: mxsim run" "$WORK/run_help.txt" &&
   ! grep -q "^Commands:" "$WORK/run_help.txt"; then
  pass "run --help is run's own help"
else
  fail "run --help: rc=$rc, stderr $(cat "$WORK/run_help.err"), head: $(head -3 "$WORK/run_help.txt")"
fi
# Every run option is listed; these carry their default on the same entry (wrapped lines joined).
tr -s ' \n' ' ' <"$WORK/run_help.txt" >"$WORK/run_help.flat"
listed=" $(grep -oE '^  (-[a-z],)?--[a-z-]+' "$WORK/run_help.txt" | sed 's/.*,//; s/^ *//' | tr '\n' ' ')"
for opt in --model --arch --set --data --data-dir --images --chips --seed --threads --out --times --vcd \
           --pipeline-images --ideal --input-shape --progress --no-progress --quiet --verbose; do
  [[ "$listed" == *" $opt "* ]] || fail "run --help lacks $opt (lists:$listed)"
done
for expect in "--chips K Monte-Carlo chip instances (seeds S, S+1, ...) [default: 1]" \
              "[default: fashion-mnist]" "--seed S" "[default: all hardware threads" \
              "--pipeline-images N" "[default: workloads/zoo/fmnist_cnn.onnx]"; do
  grep -qF -- "$expect" "$WORK/run_help.flat" && pass "run --help has '$expect'" || fail "run --help lacks '$expect'"
done
"$MXSIM" infer --help >"$WORK/infer_help.txt" 2>&1 || fail "infer --help exit $?"
tr -s ' \n' ' ' <"$WORK/infer_help.txt" >"$WORK/infer_help.flat"
grep -qF -- "--input X.npy NCHW float32 images (NPY) [required]" "$WORK/infer_help.flat" &&
  ! grep -qF -- "--chips" "$WORK/infer_help.flat" && pass "infer --help: its own options" ||
  fail "infer --help: $(head -12 "$WORK/infer_help.txt")"
"$MXSIM" inspect --help 2>&1 | grep -q -- "--json" && pass "inspect --help lists --json" || fail "inspect --help lacks --json"
"$MXSIM" help run | cmp -s - "$WORK/run_help.txt" && pass "mxsim help run = mxsim run --help" || fail "mxsim help run differs"
# Every option of every command is documented in docs/cli.md.
for c in run infer inspect; do
  for opt in $("$MXSIM" $c --help | grep -oE '^  (-[a-z],)?--[a-z-]+' | sed 's/.*,//; s/^ *//'); do
    grep -qF -- "\`$opt" "$SRC/docs/cli.md" || fail "docs/cli.md does not document $c $opt"
  done
done

# --- --x=v works like --x v ---
if "$MXSIM" run --images=3 --data=random --chips=1 --out="$OUT" --no-progress >/dev/null 2>"$WORK/eq.err" &&
   "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['accuracy']['images']==3, d['accuracy']" "$OUT"; then
  pass "--images=3 --data=random --out=FILE: a 3-image report"
else
  fail "--images=3: $(cat "$WORK/eq.err")"
fi
rm -f "$OUT" "${OUT%.json}.csv"

# --- misspellings: exit 2 with a suggestion ---
expect_usage_error misspelled_option "unknown option '--imags'; did you mean --images?" -- "$MXSIM" run --imags 3
expect_usage_error misspelled_option_eq "did you mean --images?" -- "$MXSIM" run --imags=3
expect_usage_error misspelled_flag "did you mean --no-progress?" -- "$MXSIM" run --no-progres
expect_usage_error misspelled_command "unknown command 'rnu'; did you mean 'run'?" -- "$MXSIM" rnu --images 3
expect_usage_error misspelled_help_topic "help: unknown command 'rn'; did you mean 'run'?" -- "$MXSIM" help rn
expect_usage_error option_before_command "options come after it, e.g. mxsim run --images" -- "$MXSIM" --images 3 run

# --- every malformed command line exits 2 and names the option; nothing is written ---
expect_usage_error unknown_option "--frobnicate" -- "$MXSIM" run --frobnicate --out "$OUT"
expect_usage_error missing_value "--images needs a value" -- "$MXSIM" run --out "$OUT" --images
expect_usage_error empty_value "--out: empty path" -- "$MXSIM" run --out ""
expect_usage_error option_as_value "--out: needs a path, got the option '--images'" -- "$MXSIM" run --out --images 3
expect_usage_error bad_integer "--images: 'ten': expected an integer from 1" -- "$MXSIM" run --images ten --out "$OUT"
expect_usage_error zero_images "--images: '0'" -- "$MXSIM" run --images 0 --out "$OUT"
expect_usage_error bad_enum "--data: 'cifar10' is not a dataset (allowed: fashion-mnist, random)" -- "$MXSIM" run --data cifar10 --out "$OUT"
expect_usage_error bad_times "--times: unit 'year' in '1year'" -- "$MXSIM" run --times 1year --out "$OUT"
expect_usage_error negative_times "--times: '-1s' is negative" -- "$MXSIM" run --times 1d,-1s --out "$OUT"
expect_usage_error set_without_eq "--set: 'k': expected key.path=value" -- "$MXSIM" run --set k --out "$OUT"
expect_usage_error set_empty_segment "--set: 'chip..tiles=4': empty key segment" -- "$MXSIM" run --set chip..tiles=4 --out "$OUT"
expect_usage_error bad_shape "--input-shape: '3x'" -- "$MXSIM" inspect --input-shape 3x
expect_usage_error infer_required "--output is required" -- "$MXSIM" infer --input "$WORK/x.npy"
expect_usage_error ideal_with_chips "cannot be combined with --chips" -- "$MXSIM" run --ideal --chips 2 --out "$OUT"
expect_usage_error quiet_and_verbose "--quiet and --verbose contradict" -- "$MXSIM" run -q -v --out "$OUT"
expect_usage_error params_extra "params: unexpected argument 'extra'" -- "$MXSIM" params extra
[[ -e "$OUT" ]] && fail "a usage error wrote $OUT" || pass "no usage error wrote the report"
"$MXSIM" >/dev/null 2>"$WORK/noargs.err"; rc=$?
[[ $rc -eq 2 ]] && grep -q "Usage: mxsim COMMAND" "$WORK/noargs.err" && pass "no command: usage on stderr, exit 2" ||
  fail "no command: rc=$rc"

# --- architecture errors say where the value came from: --set (exit 1, bad input) or the file ---
expect_user_error set_unknown_key "--set chip.foo: unknown key 'foo'" "$OUT" -- "$MXSIM" run --set chip.foo=1 --images 2 --out "$OUT"
expect_user_error set_misspelled_key "--set chip.clck: unknown key 'clck'; did you mean 'clock'?" "$OUT" -- "$MXSIM" run --set "chip.clck=1 GHz" --images 2 --out "$OUT"
expect_user_error set_out_of_range "--set chip.tile.array.adc.bits: value 40 is out of range" "$OUT" -- "$MXSIM" run --set chip.tile.array.adc.bits=40 --images 2 --out "$OUT"
expect_user_error set_under_unknown_section "--set chip.tile.foo.bar: chip.tile.foo: unknown key 'foo'" "$OUT" -- "$MXSIM" run --set chip.tile.foo.bar=1 --images 2 --out "$OUT"
sed 's/^\(  tiles: 128\)$/\1\n  tilez: 4/' "$SRC/sim/presets/default.yaml" >"$WORK/typo.yaml"
expect_user_error file_unknown_key "$WORK/typo.yaml: chip.tilez: unknown key" "$OUT" -- "$MXSIM" run --arch "$WORK/typo.yaml" --set chip.tiles=64 --images 2 --out "$OUT"
grep -q -- "--set" "$WORK/file_unknown_key.stderr" && fail "file_unknown_key: blamed --set: $(cat "$WORK/file_unknown_key.stderr")"

# --- --quiet: nothing on stdout or stderr, the report written ---
for cmd in "run --images 20" "run --ideal --images 20" "run --data random --images 2 --chips 2"; do
  # shellcheck disable=SC2086
  "$MXSIM" $cmd --quiet --out "$OUT" >"$WORK/q.out" 2>"$WORK/q.err"; rc=$?
  if [[ $rc -eq 0 && ! -s "$WORK/q.out" && ! -s "$WORK/q.err" && -s "$OUT" ]]; then
    pass "$cmd --quiet: silent, report written"
  else
    fail "$cmd --quiet: rc=$rc stdout $(wc -c <"$WORK/q.out") bytes, stderr $(cat "$WORK/q.err")"
  fi
  rm -f "$OUT" "${OUT%.json}.csv"
done
"$PY" -c "import numpy as np; np.save('$WORK/x.npy', np.random.default_rng(0).random((3,1,28,28), dtype=np.float32))"
"$MXSIM" infer -q --input "$WORK/x.npy" --output "$WORK/y.npy" >"$WORK/iq.out" 2>"$WORK/iq.err"; rc=$?
[[ $rc -eq 0 && ! -s "$WORK/iq.out" && ! -s "$WORK/iq.err" && -s "$WORK/y.npy" ]] && pass "infer -q: silent" ||
  fail "infer -q: rc=$rc $(cat "$WORK/iq.err")"
# Errors still print under --quiet.
expect_user_error quiet_still_errors "--set chip.foo" "$OUT" -- "$MXSIM" run -q --set chip.foo=1 --images 2 --out "$OUT"

# --- progress: off by default when stderr is not a terminal; --progress shows stages in images and chips ---
"$MXSIM" run --images 20 --chips 2 --out "$OUT" >/dev/null 2>"$WORK/default.err"
[[ ! -s "$WORK/default.err" ]] && pass "no progress on a non-terminal stderr by default" ||
  fail "stderr not empty by default: $(head -3 "$WORK/default.err")"
"$MXSIM" run --images 20 --chips 2 --times 1d --progress --out "$OUT" >/dev/null 2>"$WORK/progress.err" ||
  fail "--progress run failed: $(cat "$WORK/progress.err")"
for expect in "chip 1/2: programming" "chip 2/2: calibrating on 256 images" "chip 2/2: evaluating, 20 images" \
              "chip 1/2: evaluating at 1d, compensated" "ideal float model: evaluating: 20/20 images" "100%" \
              "timing (SystemC)"; do
  grep -qF -- "$expect" "$WORK/progress.err" && pass "progress has '$expect'" ||
    fail "progress lacks '$expect': $(cat "$WORK/progress.err")"
done
# An unlabelled random run (no accuracy passes) still shows its stages: what ran silently for seconds before.
"$MXSIM" run --data random --images 4 --chips 2 --progress >/dev/null 2>"$WORK/random.err"
grep -qF "chip 2/2: calibrating on 4 images" "$WORK/random.err" && grep -qF "timing (SystemC)" "$WORK/random.err" &&
  pass "random-data run shows chips and timing" || fail "random-data progress: $(cat "$WORK/random.err")"
"$MXSIM" infer --progress --input "$WORK/x.npy" --output "$WORK/y.npy" 2>"$WORK/infer_progress.err" >/dev/null
grep -qF "chip 1/1: logits of 3 images" "$WORK/infer_progress.err" && pass "infer --progress" ||
  fail "infer --progress: $(cat "$WORK/infer_progress.err")"

# --- --verbose: each phase's wall time on stderr, the summary still on stdout ---
"$MXSIM" run --images 20 --verbose --out "$OUT" >"$WORK/v.out" 2>"$WORK/v.err" || fail "--verbose run failed"
for phase in load program calibrate evaluate timing write; do
  grep -qE "^mxsim: $phase [0-9.]+ s" "$WORK/v.err" || fail "--verbose lacks phase $phase: $(cat "$WORK/v.err")"
done
grep -q "^mxsim: phases: load" "$WORK/v.err" && grep -q "^accuracy" "$WORK/v.out" && pass "--verbose: phase times" ||
  fail "--verbose: $(cat "$WORK/v.err")"
finish
