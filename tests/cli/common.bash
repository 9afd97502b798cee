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

# expect_exit CODE NAME PATTERN OUTFILE -- CMD...: CMD must exit CODE, print exactly one stderr line that
# contains PATTERN, and (OUTFILE given) leave OUTFILE and its temporaries absent. The stderr stays in
# $WORK/NAME.stderr for further checks.
expect_exit() {
  local code="$1" name="$2" pattern="$3" outfile="$4"
  shift 5
  local err="$WORK/$name.stderr"
  "$@" >"$WORK/$name.stdout" 2>"$err"
  local rc=$?
  local lines
  lines=$(wc -l <"$err")
  if [[ $rc -ne $code ]]; then fail "$name: exit code $rc, expected $code (stderr: $(cat "$err"))"; return 1; fi
  if [[ $lines -ne 1 ]]; then fail "$name: expected one stderr line, got $lines: $(cat "$err")"; return 1; fi
  if ! grep -qF -- "$pattern" "$err"; then fail "$name: stderr lacks '$pattern': $(cat "$err")"; return 1; fi
  if [[ -n "$outfile" && -e "$outfile" ]]; then fail "$name: output $outfile was written"; return 1; fi
  if [[ -n "$outfile" ]] && compgen -G "$outfile.tmp-*" >/dev/null; then fail "$name: temp output left behind"; return 1; fi
  pass "$name: $(cat "$err")"
}

# expect_user_error NAME PATTERN OUTFILE -- CMD...: a bad input: exit 1 (docs/cli.md), one stderr line
# containing PATTERN, OUTFILE absent.
expect_user_error() { expect_exit 1 "$1" "$2" "$3" "${@:4}"; }

# expect_usage_error NAME PATTERN -- CMD...: a bad command line: exit 2 (docs/cli.md), one stderr line
# containing PATTERN.
expect_usage_error() { expect_exit 2 "$1" "$2" "" "${@:3}"; }

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
