#!/usr/bin/env bash
# Bad input gets one clear line naming the culprit, exit code 1, and no report file.
source "$(dirname "$0")/common.bash"
OUT="$WORK/report.json"
MODEL="$SRC/workloads/models/fmnist_cnn.onnx"

expect_user_error missing_model "$WORK/nope.onnx" "$OUT" -- "$MXSIM" run --model "$WORK/nope.onnx" --images 10 --out "$OUT"

head -c 3000 "$MODEL" >"$WORK/truncated.onnx"
expect_user_error truncated_onnx "$WORK/truncated.onnx" "$OUT" -- "$MXSIM" run --model "$WORK/truncated.onnx" --images 10 --out "$OUT"

echo "this is not a model" >"$WORK/text.onnx"
expect_user_error text_onnx "$WORK/text.onnx" "$OUT" -- "$MXSIM" run --model "$WORK/text.onnx" --images 10 --out "$OUT"

sed 's/^\(      cols: 128\)$/\1\n      colz: 64/' "$SRC/sim/presets/default.yaml" >"$WORK/typo.yaml"
grep -q colz "$WORK/typo.yaml" || fail "fixture: typo not inserted"
expect_user_error unknown_yaml_key "chip.tile.array.colz" "$OUT" -- "$MXSIM" run --arch "$WORK/typo.yaml" --images 10 --out "$OUT"
# A key given twice (the first would silently win): one error naming the key path and both lines.
sed 's/^\(  tiles: 128\)$/\1\n  tiles: 32/' "$SRC/sim/presets/default.yaml" >"$WORK/dup.yaml"
grep -q "tiles: 32" "$WORK/dup.yaml" || fail "fixture: duplicate not inserted"
expect_user_error cell_bits_without_slicing "chip.tile.array.device.cell_bits: given, but chip.tile.array.device.weight_bits is 0" "$OUT" -- "$MXSIM" run --set chip.tile.array.device.cell_bits=2 --images 10 --out "$OUT"
expect_user_error duplicate_yaml_key "chip.tiles: key given twice" "$OUT" -- "$MXSIM" run --arch "$WORK/dup.yaml" --images 10 --out "$OUT"

expect_user_error adc_bits_range "chip.tile.array.adc.bits" "$OUT" -- "$MXSIM" run --set chip.tile.array.adc.bits=40 --images 10 --out "$OUT"
expect_user_error concentration_needs_tile_memory "chip.noc.concentration" "$OUT" -- "$MXSIM" run --set chip.noc.concentration=4 --images 10 --out "$OUT"
grep -qF "40" "$WORK/adc_bits_range.stderr" && grep -qF "2 … 16" "$WORK/adc_bits_range.stderr" || fail "adc_bits_range: message lacks value or range"

expect_user_error bad_unit "chip.clock" "$OUT" -- "$MXSIM" run --set "chip.clock=5 pJ" --images 10 --out "$OUT"
expect_user_error missing_arch "$WORK/none.yaml" "$OUT" -- "$MXSIM" run --arch "$WORK/none.yaml" --images 10 --out "$OUT"
expect_user_error missing_dataset "$WORK/no-such-dir" "$OUT" -- "$MXSIM" run --data-dir "$WORK/no-such-dir" --images 10 --out "$OUT"
expect_user_error too_few_arrays "arrays" "$OUT" -- "$MXSIM" run --set chip.tiles=1 --set chip.tile.arrays=2 --images 10 --out "$OUT"

# infer: wrong input shape names the file; output not written.
"$PY" -c "import numpy as np; np.save('$WORK/bad_shape.npy', np.zeros((2,1,14,14), np.float32))"
expect_user_error infer_bad_shape "$WORK/bad_shape.npy" "$WORK/y.npy" -- "$MXSIM" infer --input "$WORK/bad_shape.npy" --output "$WORK/y.npy"

# Bad command line: exit 2.
"$MXSIM" run --frobnicate >/dev/null 2>"$WORK/usage.err"; rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--frobnicate" "$WORK/usage.err" && pass "unknown option -> exit 2" || fail "unknown option: rc=$rc $(cat "$WORK/usage.err")"
finish
