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
