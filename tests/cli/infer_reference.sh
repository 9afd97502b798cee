#!/usr/bin/env bash
# `mxsim infer --ideal` on the bundled model equals PyTorch's logits (produced by tools/train_default.py
# from the same weights) within 1e-4 relative; the noisy mode differs from ideal but agrees mostly.
source "$(dirname "$0")/common.bash"
IN="$SRC/tests/data/fmnist_cnn_ref_input.npy"
REF="$SRC/tests/data/fmnist_cnn_ref_logits.npy"
"$MXSIM" infer --ideal --input "$IN" --output "$WORK/ideal.npy" || { fail "infer --ideal failed"; finish; }
"$MXSIM" infer --input "$IN" --output "$WORK/noisy.npy" --seed 3 || { fail "infer failed"; finish; }
"$PY" - "$WORK/ideal.npy" "$REF" "$WORK/noisy.npy" <<'PYEOF' || fail "logit comparison"
import sys, numpy as np
got, ref, noisy = (np.load(p) for p in sys.argv[1:4])
assert got.shape == ref.shape == noisy.shape, (got.shape, ref.shape, noisy.shape)
scale = np.abs(ref).max(axis=1, keepdims=True)
err = np.abs(got - ref) / scale
print("max relative error vs PyTorch: %.3g" % err.max())
assert err.max() <= 1e-4, err.max()
assert not np.array_equal(noisy, got), "noisy inference equals ideal"
agree = (noisy.argmax(1) == ref.argmax(1)).mean()
print("noisy/ideal top-1 agreement: %.3f" % agree)
assert agree >= 0.8, agree
PYEOF
pass "infer matches PyTorch"
finish
