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
finish
