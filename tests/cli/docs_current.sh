#!/usr/bin/env bash
# docs/config.md's table must be exactly what `mxsim params` prints (regenerate with tools/gen_docs.sh).
source "$(dirname "$0")/common.bash"
"$MXSIM" params >"$WORK/params.md" || { fail "mxsim params failed"; finish; }
[[ $(wc -l <"$WORK/params.md") -gt 20 ]] || fail "params table suspiciously short"
if diff <(grep '^|' "$SRC/docs/config.md") "$WORK/params.md" >"$WORK/diff"; then
  pass "docs/config.md is current"
else
  fail "docs/config.md is stale (run tools/gen_docs.sh): $(head -5 "$WORK/diff")"
fi
finish
