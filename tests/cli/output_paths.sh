#!/usr/bin/env bash
# Report outputs never clobber what the path names (issue 18): a symbolic link stays a link and its target
# gets the report; a FIFO (as /dev/stdout is a device) is written through and stays a FIFO; a regular path
# is still replaced atomically (no temporary file left behind).
source "$(dirname "$0")/common.bash"
cd "$WORK" || exit 1
echo old >target.json
ln -s target.json link.json
if "$MXSIM" run --images 10 --no-progress --out link.json >run.out 2>run.err; then
  if [[ -L link.json && "$(readlink link.json)" == target.json ]] && grep -q '"accuracy"' target.json; then
    pass "a symlinked --out keeps the link and writes its target"
  else
    fail "symlink: $(ls -la)"
  fi
else
  fail "run with a symlinked --out failed: $(cat run.err)"
fi
mkfifo pipe.vcd
cat pipe.vcd >got.vcd &
reader=$!
if "$MXSIM" run --images 10 --no-progress --vcd pipe.vcd >run2.out 2>run2.err; then
  wait "$reader"
  if [[ -p pipe.vcd ]] && grep -q '^\$enddefinitions' got.vcd; then
    pass "a FIFO --vcd is written through and stays a FIFO"
  else
    fail "fifo: $(ls -la pipe.vcd got.vcd)"
  fi
else
  kill "$reader" 2>/dev/null
  fail "run with a FIFO --vcd failed: $(cat run2.err)"
fi
if "$MXSIM" run --images 10 --no-progress --out plain.json >/dev/null 2>&1 && [[ -f plain.json && ! -L plain.json ]] &&
   ! compgen -G "plain.json.tmp-*" >/dev/null; then
  pass "a plain path is written atomically, nothing left behind"
else
  fail "plain output: $(ls -la)"
fi

# Outputs are checked before the run (issue 18): an output that is an input or another output, a directory, or
# in a directory that does not exist is one error line, exit 1, and nothing written. The run would take
# minutes (all 10,000 test images on 20 chips), so a check made only after it shows up as a timeout.
LONG=(--chips 20 --no-progress)
cp "$SRC/workloads/zoo/fmnist_cnn.onnx" model.onnx
cp "$SRC/sim/presets/default.yaml" arch.yaml
cksum model.onnx arch.yaml >inputs.sum
# expect_refused NAME PATTERN -- CMD...: exit 1 within 30 s, one stderr line containing PATTERN.
expect_refused() {
  local name="$1" pattern="$2"
  shift 3
  timeout 30 "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [[ $rc -ne 1 ]]; then fail "$name: exit code $rc, expected 1 (stderr: $(head -c 300 "$name.err"))"; return; fi
  if [[ $(wc -l <"$name.err") -ne 1 ]] || ! grep -qF -- "$pattern" "$name.err"; then
    fail "$name: expected one line with '$pattern', got: $(cat "$name.err")"; return
  fi
  pass "$name: $(cat "$name.err")"
}
expect_refused out_is_model "--out model.onnx: is the same file as --model model.onnx" -- \
  "$MXSIM" run --model model.onnx --out model.onnx "${LONG[@]}"
expect_refused out_is_arch "--out ./arch.yaml: is the same file as --arch arch.yaml" -- \
  "$MXSIM" run --arch arch.yaml --out ./arch.yaml "${LONG[@]}"
expect_refused vcd_is_out "--vcd same.json: is the same file as --out same.json" -- \
  "$MXSIM" run --out same.json --vcd same.json "${LONG[@]}"
expect_refused vcd_is_csv "is the same file as --vcd r.csv" -- "$MXSIM" run --out r.json --vcd r.csv "${LONG[@]}"
expect_refused infer_output_is_input "--output x.npy: is the same file as --input x.npy" -- \
  bash -c "'$PY' -c 'import numpy as np; np.save(\"x.npy\", np.zeros((2, 1, 28, 28), np.float32))' && '$MXSIM' infer --input x.npy --output x.npy"
cksum model.onnx arch.yaml | cmp -s - inputs.sum && pass "inputs left untouched" || fail "an input was overwritten"
expect_refused out_dir_missing "--out no-such-dir/r.json: cannot create the output file" -- \
  "$MXSIM" run --out no-such-dir/r.json "${LONG[@]}"
mkdir -p csvdir.csv
expect_refused csv_is_directory "csvdir.csv: is a directory" -- "$MXSIM" run --out csvdir.json "${LONG[@]}"
# A later output that cannot be written leaves none of the set behind (was: report and CSV written, exit 1).
expect_refused vcd_dir_missing "--vcd no-such-dir/w.vcd: cannot create the output file" -- \
  "$MXSIM" run --out set.json --vcd no-such-dir/w.vcd "${LONG[@]}"
if [[ -e set.json || -e set.csv || -e csvdir.json ]] || compgen -G "*.tmp-*" >/dev/null; then
  fail "a refused run left outputs behind: $(ls)"
else
  pass "refused runs left no output and no temporary behind"
fi
# A long run stopped from outside (Ctrl-C, a scheduler's SIGTERM, SIGKILL) leaves no half-written file at --out
# (issue 18): an old report stays as it was, a new path stays absent, and no temporary is left (outputs are
# staged only at the end; tests/unit/core/output_set_test.cpp kills a write between staging and renaming).
for sig in INT TERM KILL; do
  echo old >"killed_$sig.json"
  # env --default-signal: a non-interactive shell starts background jobs with SIGINT ignored.
  env --default-signal=INT "$MXSIM" run "${LONG[@]}" --out "killed_$sig.json" --vcd "killed_$sig.vcd" >/dev/null 2>&1 &
  pid=$!
  sleep 3
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  if ((rc < 128)); then
    fail "SIG$sig: the run ended by itself (rc=$rc) before the signal; make it longer"
  elif [[ "$(cat "killed_$sig.json")" != old || -e "killed_$sig.vcd" || -e "killed_$sig.csv" ]] ||
       compgen -G "killed_$sig.*.tmp-*" >/dev/null; then
    fail "SIG$sig during a run: outputs touched: $(ls killed_"$sig"*)"
  else
    pass "SIG$sig during a run: old report whole, no new output, no temporary"
  fi
done
finish
