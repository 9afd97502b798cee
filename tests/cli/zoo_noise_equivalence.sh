#!/usr/bin/env bash
# The training tools inject exactly mxsim's activation noise. One image repeated n = 4000 times goes
# through a LeNet-5 (seeded random weights, two conv and three linear layers, noise on all five outputs)
# in PyTorch with the tools' noise sites and in `mxsim infer` with noise.array: ideal; each of the 10
# logits' mean and variance over the repeats must agree within 5 standard errors (the variance's standard
# error from each sample's fourth moment, since the logits are not Gaussian). Modes: absolute and
# relative_std. Power check: PyTorch at 1.15 sigma must be told apart by the same test.
source "$(dirname "$0")/common.bash"

if ! "$PY" - "$SRC" "$WORK" >"$WORK/build.out" 2>&1 <<'PYEOF'; then
import os, sys
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np, torch
src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tools"))
from mxsim_py import nets, training
torch.manual_seed(5)
m = nets.build("lenet5")
training.export_onnx(m, os.path.join(work, "lenet.onnx"))
rng = np.random.default_rng(11)
img = rng.uniform(0, 1, (1, 1, 28, 28)).astype(np.float32)
np.save(os.path.join(work, "x.npy"), np.repeat(img, 4000, axis=0))
PYEOF
  fail "building the model: $(cat "$WORK/build.out")"; finish
fi

for case in "absolute 0.2" "relative_std 0.3"; do
  read -r mode sigma <<<"$case"
  out="$WORK/mxsim_$mode.npy"
  if ! "$MXSIM" infer --model "$WORK/lenet.onnx" --input "$WORK/x.npy" --output "$out" --seed 3 \
      --set noise.array=ideal --set noise.activation.mode="$mode" --set noise.activation.sigma="$sigma" \
      >"$WORK/$mode.stdout" 2>"$WORK/$mode.stderr"; then
    fail "$mode: mxsim infer failed: $(cat "$WORK/$mode.stderr")"; continue
  fi
  if "$PY" - "$SRC" "$WORK" "$mode" "$sigma" "$out" >"$WORK/$mode.cmp" 2>&1 <<'PYEOF'; then
import os, sys
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np, torch
src, work, mode, sigma, out = sys.argv[1:6]
sys.path.insert(0, os.path.join(src, "tools"))
from mxsim_py import nets, training
from mxsim_py.nets import NoiseSpec
torch.manual_seed(5)
m = nets.build("lenet5")  # the same seeded weights as the exported model
x = torch.from_numpy(np.load(os.path.join(work, "x.npy")))
got = np.load(out).astype(np.float64)

def torch_logits(s):
    torch.manual_seed(1)
    nets.set_noise(m, NoiseSpec(mode, s))
    if mode != "absolute":
        nets.calibrate_noise(m, x)  # mxsim infer calibrates on its inputs
    return training.logits(m, x).double().numpy()

def zscores(a, b):
    n = len(a)
    ma, mb = a.mean(0), b.mean(0)
    va, vb = a.var(0), b.var(0)
    zm = np.abs(ma - mb) / np.sqrt(va / n + vb / n)
    m4a, m4b = ((a - ma) ** 4).mean(0), ((b - mb) ** 4).mean(0)
    zv = np.abs(va - vb) / np.sqrt((m4a - va ** 2) / n + (m4b - vb ** 2) / n)
    return zm.max(), zv.max(), np.sqrt(va / vb).mean()

ref = torch_logits(float(sigma))
zm, zv, ratio = zscores(got, ref)
print(f"{mode} sigma {sigma}: max |z| mean {zm:.2f}, variance {zv:.2f}; std ratio mxsim/torch {ratio:.4f}")
assert got.std(0).min() > 0, "mxsim logits carry no noise"
assert zm < 5 and zv < 5, "mxsim and the training tools' noise differ"
wrong = torch_logits(1.15 * float(sigma))
zm2, zv2, ratio2 = zscores(got, wrong)
print(f"  power check against 1.15 sigma: max |z| variance {zv2:.2f} (must exceed 5)")
assert zv2 > 5, "the test cannot tell a 15% sigma error apart"
PYEOF
    pass "$(cat "$WORK/$mode.cmp" | tr '\n' ' ')"
  else
    fail "$(cat "$WORK/$mode.cmp")"
  fi
done
finish
