#!/usr/bin/env bash
# `mxsim run --out R.json --vcd W.vcd`: the report's power, area and component sections are consistent, the
# per-layer CSV next to the JSON repeats its layers, and the waveform has a signal per used array, ADC,
# buffer and link, with every used array's crossbar busy at some point. Then a model with a denoiser block
# (built here with onnx.helper; its mu head is zero, so the block is the identity): the waveform shows the
# engine's cores, the report's denoiser_overhead has params_pct = block params / other params x 100 and a
# positive latency and area cost, and `infer --ideal` gives the logits of the same model without the block.
source "$(dirname "$0")/common.bash"

# ---- the bundled model ----
R="$WORK/R.json"
W="$WORK/W.vcd"
if ! "$MXSIM" run --data random --images 2 --no-progress --out "$R" --vcd "$W" >"$WORK/run.stdout" 2>"$WORK/run.stderr"; then
  fail "run failed: $(cat "$WORK/run.stderr")"; finish
fi
[[ -f "$WORK/R.csv" ]] || fail "no per-layer CSV next to the JSON"

# A small VCD reader shared by both parts: signal paths (scopes joined by '.') -> list of (time, value).
cat >"$WORK/vcd.py" <<'PYEOF'
def read_vcd(path):
    """Returns (signals: {path: [(time_ps, value), ...]}, end_time_ps)."""
    ids, scopes, waves, t, end = {}, [], {}, 0, 0
    in_defs = True
    with open(path) as f:
        for line in f:
            tok = line.split()
            if not tok:
                continue
            if in_defs:
                if tok[0] == "$scope":
                    scopes.append(tok[2])
                elif tok[0] == "$upscope":
                    scopes.pop()
                elif tok[0] == "$var":
                    assert tok[1] == "wire" and tok[2] == "1", line
                    ids.setdefault(tok[3], []).append(".".join(scopes + [tok[4]]))
                elif tok[0] == "$enddefinitions":
                    assert not scopes, scopes
                    in_defs = False
                    waves = {p: [] for ps in ids.values() for p in ps}
                continue
            if tok[0].startswith("#"):
                t = int(tok[0][1:])
                assert t >= end, ("time goes backwards", t, end)
                end = t
            elif tok[0] in ("$dumpvars", "$end"):
                continue
            else:
                v, ident = tok[0][0], tok[0][1:]
                assert v in "01", line
                for p in ids[ident]:
                    waves[p].append((t, int(v)))
    return waves, end

def rises(wave):
    return sum(1 for _, v in wave if v == 1)
PYEOF

if "$PY" - "$R" "$WORK/R.csv" "$W" "$WORK" <<'PYEOF'
import csv, json, math, sys
sys.path.insert(0, sys.argv[4])
from vcd import read_vcd, rises
r = json.load(open(sys.argv[1]))

# Power, area, components.
p = r["power"]
assert p["peak_w"] >= p["average_w"] * (1 - 1e-12), (p["peak_w"], p["average_w"])
area = r["area"]
assert area["by_component_m2"] and all(v >= 0 for v in area["by_component_m2"].values()), area
assert math.isclose(sum(area["by_component_m2"].values()), area["total_m2"], rel_tol=1e-12), area
comps = r["components"]
assert comps, "no components"
for c in comps:
    assert 0.0 <= c["utilisation"] <= 1.0, c
kinds = {c["kind"] for c in comps}
for k in ["array", "adc", "dac", "global_buffer", "tile_buffer", "link", "digital"]:
    assert k in kinds, (k, kinds)

# The CSV: one row per JSON layer, same names, cycles and energies.
rows = list(csv.DictReader(open(sys.argv[2])))
layers = r["layers"]
assert len(rows) == len(layers), (len(rows), len(layers))
for row, l in zip(rows, layers):
    assert row["name"] == l["name"], (row["name"], l["name"])
    assert int(row["cycles"]) == l["cycles"], (l["name"], row["cycles"], l["cycles"])
    assert int(row["start_cycle"]) == l["start_cycle"], l["name"]
    assert float(row["energy_j"]) == l["energy_j"], (l["name"], row["energy_j"], l["energy_j"])
    # Energy per layer x component: the CSV's energy_<component>_j columns are the JSON's, and they sum to
    # the layer's energy.
    parts = l["energy_by_component_j"]
    assert set(parts) == set(r["energy"]["by_component"]), (l["name"], sorted(parts))
    for c, j in parts.items():
        assert float(row["energy_%s_j" % c]) == j, (l["name"], c)
    assert math.isclose(sum(parts.values()), l["energy_j"], rel_tol=1e-12, abs_tol=1e-30), l["name"]
# ... and each component's column over the layers sums to the chip's energy of that component.
for c, j in r["energy"]["by_component"].items():
    col = sum(l["energy_by_component_j"][c] for l in layers)
    assert math.isclose(col, j, rel_tol=1e-9, abs_tol=1e-30), (c, col, j)
# Prices: every priced action names its price and where it comes from; the energy of an action that is not
# priced by the data (crossbar reads, DAC conversions are) is its count x that price.
prices = r["energy"]["prices"]
assert set(prices) == set(r["energy"]["by_action"]), sorted(set(prices) ^ set(r["energy"]["by_action"]))
for a, pr in prices.items():
    assert pr["source"] and pr["source"] != "(unrecorded)" and pr["joules"] >= 0, (a, pr)
    if a not in ("crossbar.cell_read", "dac.convert"):
        want = pr["joules"] * r["energy"]["action_counts"][a]
        assert math.isclose(r["energy"]["by_action"][a], want, rel_tol=1e-9), (a, r["energy"]["by_action"][a], want)
assert prices["adc.convert"]["source"].startswith("the ADC model"), prices["adc.convert"]
assert prices["sram.read_bit"]["source"].startswith("default, from the memory model"), prices["sram.read_bit"]
# Full-load power: every component's average power over the run is at most its full-load power.
full = r["power"]["full_load_by_component_w"]
for c, j in r["energy"]["by_component"].items():
    if c in full:
        assert j / r["latency"]["seconds"] <= full[c] * (1 + 1e-9), (c, j / r["latency"]["seconds"], full[c])
assert math.isclose(sum(full.values()), r["power"]["full_load_w"], rel_tol=1e-12)

# The waveform. Arrays are placed in order (no replication, one round): used array a is slot a mod A of
# tile a div A.
waves, end = read_vcd(sys.argv[3])
m = r["mapping"]
assert m["rounds"] == 1 and m["replication"] == "none", m
per_tile = r["arch"]["arrays_per_tile"]
used = range(m["arrays_used"])
tiles = sorted({a // per_tile for a in used})
assert m["arrays_used"] > 0
for a in used:
    base = "chip.tile%d.array%d" % (a // per_tile, a % per_tile)
    for stage in ["crossbar", "adc", "dac"]:
        assert base + "." + stage in waves, base + "." + stage
    assert rises(waves[base + ".crossbar"]) > 0, base + ".crossbar never busy"
    assert rises(waves[base + ".adc"]) > 0, base + ".adc never busy"
for sig in ["chip.global_buffer", "chip.digital"] + ["chip.tile%d.%s" % (t, b) for t in tiles
                                                     for b in ["in_buffer", "out_buffer"]]:
    assert sig in waves, sig
    assert rises(waves[sig]) > 0, sig + " never busy"
links = [s for s in waves if s.startswith("chip.noc.")]
assert links, "no interconnect link signals"
assert any(rises(waves[s]) for s in links), "no link ever busy"
# The trace closes at the latency (1 ps ticks); every signal is idle at the end.
assert end == round(r["latency"]["seconds"] * 1e12), (end, r["latency"]["seconds"])
for s, w in waves.items():
    assert not w or w[-1][1] == 0 or w[-1][0] == 0, (s, w[-1])
print("bundled: %d layers, %d signals, %d used arrays on %d tiles, %d links, peak %.3g W >= average %.3g W"
      % (len(layers), len(waves), m["arrays_used"], len(tiles), len(links), p["peak_w"], p["average_w"]))
PYEOF
then
  pass "bundled model: report, CSV, waveform"
else
  fail "bundled model: report, CSV or waveform"
fi

# ---- a model with a denoiser block ----
"$PY" - "$WORK" <<'PYEOF' || { fail "building the denoiser models"; finish; }
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
work = sys.argv[1]
rng = np.random.default_rng(7)
def t(name, shape, zero=False):
    a = np.zeros(shape, np.float32) if zero else rng.uniform(-0.5, 0.5, shape).astype(np.float32)
    return numpy_helper.from_array(a, name)

C, Cr = 8, 2
# One set of weights for both models: the variant differs only by the block.
shared = [t("w1", [C, 1, 3, 3]), t("b1", [C]), t("w2", [4, C, 3, 3]), t("b2", [4]), t("wf", [10, 64]), t("bf", [10])]
block = [t("wr", [Cr, C, 1, 1]), t("br", [Cr]), t("w3", [Cr, Cr, 3, 3]), t("b3", [Cr]),
         t("wm", [C, Cr, 1, 1], zero=True), t("bm", [C], zero=True)]

def model(with_block):
    inits = list(shared)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["a"], name="/conv1/Conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["ar"], name="/relu1/Relu")]
    feed = "ar"
    if with_block:
        d = "/mxsim_denoiser_0/"
        inits += block
        nodes += [helper.make_node("Conv", ["ar", "wr", "br"], ["h1"], name=d + "reduce/Conv"),
                  helper.make_node("Relu", ["h1"], ["h1r"], name=d + "Relu"),
                  helper.make_node("Conv", ["h1r", "w3", "b3"], ["h"], name=d + "conv3/Conv", pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", ["h"], ["hr"], name=d + "Relu_1"),
                  helper.make_node("Conv", ["hr", "wm", "bm"], ["mu"], name=d + "mu/Conv"),
                  helper.make_node("Sub", ["ar", "mu"], ["y"], name=d + "Sub")]
        feed = "y"
    nodes += [helper.make_node("Conv", [feed, "w2", "b2"], ["c"], name="/conv2/Conv", pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c"], ["cr"], name="/relu2/Relu"),
              helper.make_node("MaxPool", ["cr"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
              helper.make_node("Flatten", ["p"], ["f"], name="/flatten/Flatten"),
              helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], name="/fc/Gemm", transB=1)]
    g = helper.make_graph(nodes, "denoised" if with_block else "plain",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m

onnx.save(model(True), work + "/denoised.onnx")
onnx.save(model(False), work + "/plain.onnx")
np.save(work + "/in.npy", rng.uniform(0, 1, [5, 1, 8, 8]).astype(np.float32))
PYEOF

D="$WORK/D.json"
if ! "$MXSIM" run --model "$WORK/denoised.onnx" --data random --images 2 --no-progress --out "$D" --vcd "$WORK/D.vcd" \
    >"$WORK/d.stdout" 2>"$WORK/d.stderr"; then
  fail "run with a denoiser block failed: $(cat "$WORK/d.stderr")"; finish
fi
if "$PY" - "$D" "$WORK/D.vcd" "$WORK/denoised.onnx" "$WORK" <<'PYEOF'
import json, math, sys, onnx
from onnx import numpy_helper
sys.path.insert(0, sys.argv[4])
from vcd import read_vcd, rises
r = json.load(open(sys.argv[1]))
# Parameters from the ONNX: the initializers each node reads, split by the block tag.
m = onnx.load(sys.argv[3])
size = {i.name: numpy_helper.to_array(i).size for i in m.graph.initializer}
block = other = 0
for n in m.graph.node:
    s = sum(size.get(i, 0) for i in n.input)
    if "/mxsim_denoiser_0/" in n.name:
        block += s
    else:
        other += s
assert block == 2 * 8 + 2 + 2 * 2 * 9 + 2 + 8 * 2 + 8, block  # reduce, 3x3, mu head: weights + biases
o = r["denoiser_overhead"]
assert o["block_params"] == block, (o["block_params"], block)
assert math.isclose(o["params_pct"], 100.0 * block / other, rel_tol=1e-12), (o["params_pct"], block, other)
assert o["latency_pct"] > 0, o
assert o["area_pct"] > 0, o
assert o["block_cycles"] > 0, o
units = [l["unit"] for l in r["layers"]]
assert units.count("denoiser") == 6, units  # reduce, relu, 3x3, relu, mu, sub
waves, end = read_vcd(sys.argv[2])
assert "chip.denoiser.core0" in waves, sorted(s for s in waves if "denoiser" in s)
assert rises(waves["chip.denoiser.core0"]) > 0, "denoiser core 0 never busy"
print("denoiser: block %d params / other %d = %.3f %% (report %.3f %%), latency +%.2f %%, area +%.3f %%"
      % (block, other, 100.0 * block / other, o["params_pct"], o["latency_pct"], o["area_pct"]))
PYEOF
then
  pass "denoiser model: overhead section and engine waveform"
else
  fail "denoiser model: report or waveform"
fi

# The same chip without the block: no overhead section, no engine in the waveform.
if ! "$MXSIM" run --model "$WORK/plain.onnx" --data random --images 2 --no-progress --out "$WORK/P.json" \
    --vcd "$WORK/P.vcd" >"$WORK/p.stdout" 2>"$WORK/p.stderr"; then
  fail "run without the block failed: $(cat "$WORK/p.stderr")"; finish
fi
if "$PY" - "$WORK/P.json" "$WORK/P.vcd" "$WORK" <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[3])
from vcd import read_vcd
r = json.load(open(sys.argv[1]))
assert "denoiser_overhead" not in r, r.get("denoiser_overhead")
assert "denoiser" not in r["area"]["by_component_m2"], r["area"]
waves, _ = read_vcd(sys.argv[2])
assert not [s for s in waves if s.startswith("chip.denoiser")], "engine signals without blocks"
PYEOF
then
  pass "plain model: no engine, no overhead section"
else
  fail "plain model: an engine without blocks"
fi

# The block is the identity (mu head zero): ideal logits equal those of the model without it.
"$MXSIM" infer --model "$WORK/denoised.onnx" --ideal --input "$WORK/in.npy" --output "$WORK/denoised.npy" ||
  fail "infer with the block failed"
"$MXSIM" infer --model "$WORK/plain.onnx" --ideal --input "$WORK/in.npy" --output "$WORK/plain.npy" ||
  fail "infer without the block failed"
if "$PY" - "$WORK/denoised.npy" "$WORK/plain.npy" <<'PYEOF'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape == (5, 10), (a.shape, b.shape)
assert np.abs(b).max() > 0, "degenerate logits"
assert np.array_equal(a, b), np.abs(a - b).max()
print("identity block: logits equal on %d images" % a.shape[0])
PYEOF
then
  pass "identity denoiser block leaves the ideal logits unchanged"
else
  fail "identity block changed the logits"
fi
finish
