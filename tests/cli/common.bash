# Shared helpers for CLI tests (sourced; not itself a test: ctest collects *.sh only). Usage in a test: source lib.sh; then call expect_* functions.
# Arguments of every CLI test: $1 = mxsim binary, $2 = source dir, $3 = scratch dir.
set -uo pipefail
MXSIM="$1"
SRC="$2"
WORK="$3"
rm -rf "$WORK" && mkdir -p "$WORK"
PY=/usr/bin/python3
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
finish() {
  if ((failures > 0)); then echo "$failures check(s) failed" >&2; exit 1; fi
  exit 0
}

# expect_user_error NAME PATTERN OUTFILE -- CMD...: CMD must exit 1, print exactly one stderr line that
# contains PATTERN, and leave OUTFILE absent.
expect_user_error() {
  local name="$1" pattern="$2" outfile="$3"
  shift 4
  local err="$WORK/$name.stderr"
  "$@" >"$WORK/$name.stdout" 2>"$err"
  local rc=$?
  local lines
  lines=$(wc -l <"$err")
  if [[ $rc -ne 1 ]]; then fail "$name: exit code $rc, expected 1 (stderr: $(cat "$err"))"; return; fi
  if [[ $lines -ne 1 ]]; then fail "$name: expected one stderr line, got $lines: $(cat "$err")"; return; fi
  if ! grep -qF -- "$pattern" "$err"; then fail "$name: stderr lacks '$pattern': $(cat "$err")"; return; fi
  if [[ -n "$outfile" && -e "$outfile" ]]; then fail "$name: output $outfile was written"; return; fi
  if compgen -G "$outfile.tmp-*" >/dev/null; then fail "$name: temp output left behind"; return; fi
  pass "$name: $(cat "$err")"
}

# expect_usage_error NAME PATTERN -- CMD...: CMD must exit 2 (a bad command line, docs/cli.md) and print exactly
# one stderr line that contains PATTERN.
expect_usage_error() {
  local name="$1" pattern="$2"
  shift 3
  local err="$WORK/$name.stderr"
  "$@" >"$WORK/$name.stdout" 2>"$err"
  local rc=$?
  local lines
  lines=$(wc -l <"$err")
  if [[ $rc -ne 2 ]]; then fail "$name: exit code $rc, expected 2 (stderr: $(cat "$err"))"; return; fi
  if [[ $lines -ne 1 ]]; then fail "$name: expected one stderr line, got $lines: $(cat "$err")"; return; fi
  if ! grep -qF -- "$pattern" "$err"; then fail "$name: stderr lacks '$pattern': $(cat "$err")"; return; fi
  pass "$name: $(cat "$err")"
}

# logits_relerr GOT.npy REF.npy TOL: prints max|got − ref| / max|ref| (or the shape mismatch) and returns 0
# when it is ≤ TOL. The one logits comparison of the CLI tests (PyTorch references, zoo references).
logits_relerr() {
  "$PY" - "$1" "$2" "$3" 2>&1 <<'PYEOF'
import sys
import numpy as np
got, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
if got.shape != ref.shape:
    print("shape %s, reference %s" % (got.shape, ref.shape))
    sys.exit(1)
err = float(np.abs(got.astype(np.float64) - ref).max() / np.abs(ref).max())
print("%.3g" % err)
sys.exit(0 if err <= float(sys.argv[3]) else 1)
PYEOF
}
