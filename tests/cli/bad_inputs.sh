#!/usr/bin/env bash
# Bad input gets one clear line naming the culprit, exit code 1, and no report file.
source "$(dirname "$0")/common.bash"
OUT="$WORK/report.json"
MODEL="$SRC/workloads/zoo/fmnist_cnn.onnx"

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

# Issue 18's fuzzing pass: each of these crashed, overflowed, ended in an internal error (exit 3) naming no
# file, or was silently accepted. See docs/reliability.md.
# Products of config integers are bounded (65536 x 65536 routers overflowed int and crashed the router; 2^20
# tiles x 2048 arrays printed -2147483648 arrays).
expect_user_error mesh_product "chip.noc.mesh_cols × chip.noc.mesh_rows = 65536 × 65536" "$OUT" -- "$MXSIM" run --data random --images 2 --set chip.noc.mesh_cols=65536 --set chip.noc.mesh_rows=65536 --no-progress --out "$OUT"
expect_user_error arrays_product "chip.tiles × chip.tile.arrays = 1048576 × 2048" "" -- "$MXSIM" inspect --set chip.tiles=1048576 --set chip.tile.arrays=2048
# A quantity whose SI value overflows (1e301 years) is rejected, not reported as infinity / null: on the command
# line (--times) a usage error, exit 2; in the architecture (--set, YAML) a bad input, exit 1.
expect_usage_error times_overflow "--times: '1e301 y' is too large" -- "$MXSIM" run --images 10 --times "1e301 y" --no-progress --out "$OUT"
[[ -e "$OUT" ]] && fail "times_overflow: $OUT was written"
expect_user_error quantity_overflow "chip.clock" "$OUT" -- "$MXSIM" run --images 10 --set "chip.clock=1e300 THz" --no-progress --out "$OUT"
# infer on zero images (was SIGFPE in calibration).
"$PY" -c "import numpy as np; np.save('$WORK/zero.npy', np.zeros((0,1,28,28), np.float32))"
expect_user_error infer_zero_images "$WORK/zero.npy: array shape 0x1x28x28 holds no images" "$WORK/y.npy" -- "$MXSIM" infer --input "$WORK/zero.npy" --output "$WORK/y.npy"
# YAML of the wrong shape names the file and the key (were internal errors).
printf 'chip:\n  [a, b]: 1\n' >"$WORK/list_key.yaml"
expect_user_error yaml_list_key "$WORK/list_key.yaml: chip: line 2: a key must be a name, not a list" "$OUT" -- "$MXSIM" run --arch "$WORK/list_key.yaml" --images 10 --out "$OUT"
printf 'chip:\n  tiles: [1, 2]\n' >"$WORK/list_value.yaml"
expect_user_error yaml_list_value "chip.tiles: expected an integer, got a list" "$OUT" -- "$MXSIM" run --arch "$WORK/list_value.yaml" --images 10 --out "$OUT"
printf 'chip:\n  name: {a: 1}\n' >"$WORK/map_value.yaml"
expect_user_error yaml_map_value "chip.name: expected a text value, got a map" "$OUT" -- "$MXSIM" run --arch "$WORK/map_value.yaml" --images 10 --out "$OUT"
echo hello >"$WORK/scalar.yaml"
expect_user_error yaml_scalar_document "$WORK/scalar.yaml: the document is a scalar" "$OUT" -- "$MXSIM" run --arch "$WORK/scalar.yaml" --set chip.tiles=4 --images 10 --out "$OUT"
mkdir -p "$WORK/arch_dir"
expect_user_error arch_directory "$WORK/arch_dir: is a directory" "$OUT" -- "$MXSIM" run --arch "$WORK/arch_dir" --images 10 --out "$OUT"
: >"$WORK/empty.yaml"
expect_user_error arch_empty "$WORK/empty.yaml: file is empty" "$OUT" -- "$MXSIM" run --arch "$WORK/empty.yaml" --images 10 --out "$OUT"
expect_user_error arch_dev_null "/dev/null: file is empty" "$OUT" -- "$MXSIM" run --arch /dev/null --images 10 --out "$OUT"
# A huge YAML fails at once (a 50 MB one took 170 s and 2.2 GB); comments only, so it would parse.
"$PY" -c "import sys; open(sys.argv[1], 'w').write('chip:\n  tiles: 8\n' + '# padding\n' * 200000)" "$WORK/huge.yaml"
start=$SECONDS
expect_user_error arch_too_large "$WORK/huge.yaml: larger than 1024 KiB" "$OUT" -- "$MXSIM" run --arch "$WORK/huge.yaml" --images 10 --out "$OUT"
((SECONDS - start <= 10)) || fail "arch_too_large took $((SECONDS - start)) s"
# --images beyond memory: a clear error up front (was std::bad_alloc, exit 3).
expect_user_error images_beyond_memory "--images 100000000: the images alone need" "$OUT" -- "$MXSIM" run --data random --images 100000000 --no-progress --out "$OUT"
# Text that is not UTF-8: rejected in the architecture (names the key) before the run ...
expect_user_error chip_name_not_utf8 "chip.name: the text is not valid UTF-8" "$OUT" -- "$MXSIM" run --set $'chip.name=chip\xff' --images 10 --no-progress --out "$OUT"
# ... and a file name that is not UTF-8 (legal on Linux) is escaped in the JSON report (was exit 3 after the run).
cp "$SRC/sim/presets/default.yaml" "$WORK/arch"$'\xfe'".yaml"
if "$MXSIM" run --arch "$WORK/arch"$'\xfe'".yaml" --images 10 --no-progress --out "$WORK/utf8.json" >/dev/null 2>"$WORK/utf8.err" &&
   "$PY" -c "import json, sys; d = json.load(open(sys.argv[1], encoding='utf-8')); assert d['arch']['path'].endswith('arch\ufffd.yaml'), d['arch']['path']" "$WORK/utf8.json"; then
  pass "non-UTF-8 --arch path: report written, path escaped as U+FFFD"
else
  fail "non-UTF-8 --arch path: $(cat "$WORK/utf8.err")"
fi

# Found by the fuzzers (tools/fuzz.sh, issue 18): text quoted in a message that holds a line break, a header or
# a file whose sizes or aliases claim far more than it holds. Each must be one clear line, fast.
expect_user_error set_value_line_break "--set chip.mapping.overflow: 'x\ny' is not one of the allowed values" "$OUT" -- \
  "$MXSIM" run --set 'chip.mapping.overflow="x\ny"' --images 10 --out "$OUT"
expect_user_error npy_header_line_break "malformed .npy header: unexpected key 'fortranalse," "$WORK/nl_out.npy" -- \
  "$MXSIM" infer --input "$SRC/tests/fuzz/regressions/npy/newline_in_header_key" --output "$WORK/nl_out.npy"
expect_user_error onnx_name_line_break "newline_in_input_name.onnx: input '\x06second" "$OUT" -- \
  "$MXSIM" run --model "$SRC/tests/fuzz/regressions/onnx/newline_in_input_name.onnx" --images 10 --out "$OUT"
start=$SECONDS
expect_user_error yaml_alias_bomb "billion_laughs_aliases.yaml: more than 100000 YAML nodes (aliases expanded" "$OUT" -- \
  "$MXSIM" run --arch "$SRC/tests/fuzz/regressions/arch_yaml/billion_laughs_aliases.yaml" --images 10 --out "$OUT"
((SECONDS - start <= 10)) || fail "yaml_alias_bomb took $((SECONDS - start)) s (the walk is capped)"
# IDX dims claiming 1.2 GB in a 26-byte file: refused without allocating the claim (was a 1.2 GB allocation).
mkdir -p "$WORK/idx"
cp "$SRC/tests/fuzz/regressions/idx/dims_claim_1_2GB_in_26_bytes" "$WORK/idx/t10k-images-idx3-ubyte"
cp "$SRC/tests/fuzz/seeds/idx/labels-idx1-ubyte" "$WORK/idx/t10k-labels-idx1-ubyte"
start=$SECONDS
expect_user_error idx_claims_gigabyte "t10k-images-idx3-ubyte: truncated: expected 1275068422 bytes, got 14" "$OUT" -- \
  "$MXSIM" run --data-dir "$WORK/idx" --images 2 --out "$OUT"
((SECONDS - start <= 10)) || fail "idx_claims_gigabyte took $((SECONDS - start)) s"

# Bad command line: exit 2.
"$MXSIM" run --images 10 --out "" >/dev/null 2>"$WORK/empty_out.err"; rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--out: empty path" "$WORK/empty_out.err" && pass "--out '' -> exit 2" || fail "--out '': rc=$rc $(cat "$WORK/empty_out.err")"
"$MXSIM" infer --input "" --output "$WORK/y.npy" >/dev/null 2>"$WORK/empty_in.err"; rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--input: empty path" "$WORK/empty_in.err" && pass "--input '' -> exit 2" || fail "--input '': rc=$rc $(cat "$WORK/empty_in.err")"
"$MXSIM" run --frobnicate >/dev/null 2>"$WORK/usage.err"; rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--frobnicate" "$WORK/usage.err" && pass "unknown option -> exit 2" || fail "unknown option: rc=$rc $(cat "$WORK/usage.err")"
finish
