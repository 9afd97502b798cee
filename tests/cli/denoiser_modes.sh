#!/usr/bin/env bash
# Denoiser blocks run on the denoiser engine's model in `mxsim run` (issue 15), on the zoo's VGG-8 model whose
# export keeps the logvar heads: mean and sample mode both run end to end and the report says which ran and
# where eps came from; a GRNG with its sqrt stage bypassed (chip.denoiser.grng.fault) changes the accuracy
# of sample mode, so the Box-Muller model's bits are on the path; sample mode on a model without logvar heads
# is one error naming the model and the block.
source "$(dirname "$0")/common.bash"
ZOO="$SRC/workloads/zoo"
DATA=/usr/share/datasets/fashion-mnist
[[ -d $DATA ]] || DATA=/usr/share/dataset-fashion-mnist
NOISE=(--set noise.array=ideal --set noise.activation.mode=absolute --set noise.activation.sigma=0.5)
run() {  # name extra-args...
  local name=$1
  shift
  "$MXSIM" run --model "$ZOO/vgg8_dn_gradnorm_s0.5.onnx" --data-dir "$DATA" --images 300 --no-progress "${NOISE[@]}" \
    --out "$WORK/$name.json" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || fail "$name: $(cat "$WORK/$name.err")"
}
run mean --set chip.denoiser.mode=mean
run sample --set chip.denoiser.mode=sample
run ideal --set chip.denoiser.mode=sample --set chip.denoiser.epsilon=ideal
run broken --set chip.denoiser.mode=sample --set chip.denoiser.grng.fault=sqrt_identity
if "$PY" - "$WORK" <<'PYEOF'; then pass "modes, eps sources and the broken-sqrt GRNG"; else fail "modes"; fi
import json, sys
w = sys.argv[1]
r = {k: json.load(open(f"{w}/{k}.json"))["accuracy"] for k in ("mean", "sample", "ideal", "broken")}
d = {k: v["denoiser"] for k, v in r.items()}
assert d["mean"]["mode"] == "mean" and d["mean"]["epsilon"] is None, d["mean"]
assert d["sample"]["mode"] == "sample" and d["sample"]["epsilon"]["source"] == "grng", d["sample"]
assert d["sample"]["epsilon"]["fault"] == "none" and d["broken"]["epsilon"]["fault"] == "sqrt_identity"
assert d["ideal"]["epsilon"]["source"] == "ideal", d["ideal"]
assert d["sample"]["blocks"] == 3 and d["sample"]["logvar_heads"] == 3, d["sample"]
top = {k: v["top1"] for k, v in r.items()}
print(top)
# the ideal float model is the same whatever the mode (blocks in float mean mode)
assert len({v["ideal_top1"] for v in r.values()}) == 1
assert top["sample"] != top["mean"], top
# eps with std ~2 and heavy tails instead of N(0,1): at least 5 points lost on 300 images
assert top["broken"] < top["sample"] - 5, top
PYEOF
grep -q "denoiser sample mode, eps from the Box-Muller GRNG model" "$WORK/sample.out" && pass "console states the mode" ||
  fail "console: $(grep denoiser "$WORK/sample.out")"
expect_user_error no_logvar "has none in denoiser block 0" "$WORK/nl.json" -- "$MXSIM" run \
  --model "$ZOO/mobilenet_dn_gradnorm_s0.12.onnx" --data random --images 2 --set chip.denoiser.mode=sample \
  --no-progress --out "$WORK/nl.json"
grep -qF "mobilenet_dn_gradnorm_s0.12.onnx" "$WORK/no_logvar.stderr" && pass "error names the model" || fail "model not named"
finish
