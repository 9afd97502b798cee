#!/usr/bin/python3
"""ISAAC-style analytical timing estimate of a CNN (ONNX) on the ISAAC chip.

An independent reference for mxsim's chip timing model: it uses only ISAAC's published parameters
(Shafiee et al., ISCA 2016) and the network's layer shapes, never mxsim's code or output.
Formulas and sources: docs/isaac_estimate.md.

    /usr/bin/python3 tools/mxsim_py/export_models.py --only resnet18_op11 --out /tmp/isaac
    /usr/bin/python3 tools/isaac_estimate.py [/tmp/isaac/resnet18_op11.onnx] [--json OUT]

Model (per image, batch 1):
  * every Conv/Gemm/MatMul-with-constant-weights layer l is an unrolled matrix of K_l rows
    (Cin/groups*kh*kw, or the Gemm's inner size) and Cout_l columns, applied to vectors_l input vectors
    (Hout*Wout for a Conv, 1 for a Gemm on one image);
  * one copy of l occupies ceil(K/128) * ceil(Cout/128) weight blocks of 128x128 16-bit weights, each
    block bit-sliced over 8 crossbars of 2-bit cells (= one IMA), so arrays = blocks * 8;
  * all crossbars of a copy work on one input vector at a time: 16 one-bit read steps of 100 ns
    (1-bit DACs, 16-bit inputs); the crossbar's ADC converts its 128 columns in 128 / 1.28 GS/s = 100 ns,
    the same as a read step, so the ADC keeps up (its conversion overlaps the next read step);
  * replicas_l copies split the vectors: stage_seconds_l = ceil(vectors_l / replicas_l) * 16 * 100 ns;
  * digital work (ReLU, residual Add, pooling, shift-and-add) and inter-tile transfers are free
    (overlapped); eDRAM capacity is not checked.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import shape_inference

DEFAULT_MODEL = "/tmp/isaac/resnet18_op11.onnx"

# Operators whose output row j depends on row j of each (spatial) input only.
ELEMENTWISE = {"Relu", "Add", "Sum", "Mul", "Sub", "Div", "BatchNormalization", "Clip", "Sigmoid",
               "Tanh", "LeakyRelu", "PRelu", "HardSigmoid", "HardSwish", "Identity", "Dropout", "Cast",
               "Max", "Min"}
WINDOWED = {"MaxPool", "AveragePool", "LpPool"}     # kernel/stride/pads like a Conv


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def spatial(shape):
    """(H, W) of a tensor shape [N, C, H, W] (or (1, 1) for a non-spatial tensor)."""
    if shape is not None and len(shape) == 4:
        return int(shape[2]), int(shape[3])
    return 1, 1


# ----------------------------------------------------------------------------------------------
# Graph extraction
# ----------------------------------------------------------------------------------------------

def load_graph(path):
    model = onnx.load(path)
    model = shape_inference.infer_shapes(model)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        dims = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for name, t in inits.items():
        shapes[name] = list(t.dims)
    graph_inputs = [vi.name for vi in g.input if vi.name not in inits]
    return g, inits, shapes, graph_inputs


def mvm_layer(node, inits, shapes):
    """Matrix shape of a Conv/Gemm/MatMul node whose weights are constants, else None."""
    if node.op_type == "Conv" and node.input[1] in inits:
        w = inits[node.input[1]].dims                        # [Cout, Cin/groups, kh, kw]
        groups = attr(node, "group", 1)
        cout, cin_g, kh, kw = (int(x) for x in w)
        hout, wout = spatial(shapes.get(node.output[0]))
        k = cin_g * kh * kw
        if groups == 1:
            rows = k
        else:   # grouped/depthwise: block-diagonal matrix of Cin*kh*kw rows (not used by ResNet-18)
            rows = cin_g * groups * kh * kw
        return dict(kind="conv", K=k, Cout=cout, rows=rows, vectors=hout * wout, Hout=hout, Wout=wout,
                    kh=kh, stride=int((attr(node, "strides", [1, 1]))[0]),
                    pad=int((attr(node, "pads", [0, 0, 0, 0]))[0]),
                    dil=int((attr(node, "dilations", [1, 1]))[0]),
                    macs=hout * wout * cout * k)
    if node.op_type in ("Gemm", "MatMul") and node.input[1] in inits:
        w = [int(x) for x in inits[node.input[1]].dims]
        if node.op_type == "Gemm" and attr(node, "transB", 0):
            cout, k = w
        else:
            k, cout = w[-2], w[-1]
        out = shapes.get(node.output[0]) or [1, cout]
        # vectors per image: every leading dimension except the batch
        vecs = int(np.prod(out[1:-1])) if len(out) > 2 else 1
        return dict(kind="fc", K=k, Cout=cout, rows=k, vectors=vecs, Hout=1, Wout=vecs, kh=None,
                    stride=1, pad=0, dil=1, macs=vecs * cout * k)
    return None


# ----------------------------------------------------------------------------------------------
# Replication
# ----------------------------------------------------------------------------------------------

def stage_vectors(layers, reps):
    return [math.ceil(l["vectors"] / r) for l, r in zip(layers, reps)]


def replicate_minmax(layers, budget):
    """Smallest bottleneck n (in read steps) such that giving every layer the fewest copies that bring
    its stage to <= n steps, ceil(vectors / floor(n / steps)), fits in the budget. This minimises the
    largest stage time exactly: for a given n each layer's copy count is independent of the others,
    and the total cost falls as n grows. Returns replica counts."""
    base = [l["arrays"] for l in layers]
    if sum(base) > budget:
        raise SystemExit("network needs %d crossbars for one copy of every layer, chip has %d"
                         % (sum(base), budget))

    def reps_for(n):
        return [math.ceil(l["vectors"] / (n // l["steps"])) for l in layers]

    lo = max(l["steps"] for l in layers)
    hi = max(l["vectors"] * l["steps"] for l in layers)      # one copy each: always feasible
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(a * r for a, r in zip(base, reps_for(mid))) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return reps_for(lo)


def replicate_greedy(layers, budget):
    """The greedy alternative: repeatedly give one more copy to the layer with the largest stage time,
    while its copy fits in the spare crossbars; stop when the slowest layer's copy no longer fits."""
    reps = [1] * len(layers)
    used = sum(l["arrays"] for l in layers)
    if used > budget:
        raise SystemExit("network needs %d crossbars, chip has %d" % (used, budget))
    while True:
        st = [v * l["steps"] for v, l in zip(stage_vectors(layers, reps), layers)]
        i = max(range(len(layers)), key=lambda j: (st[j], -j))
        if layers[i]["vectors"] <= reps[i] or used + layers[i]["arrays"] > budget:
            return reps
        reps[i] += 1
        used += layers[i]["arrays"]


# ----------------------------------------------------------------------------------------------
# Single-image latency with row-level pipelining
# ----------------------------------------------------------------------------------------------

def last_input_row(spec, out_row, h_in):
    """Index of the last input row that output row `out_row` of a windowed op reads."""
    if spec is None:                           # needs the whole input (Gemm, global pool, flatten)
        return h_in - 1
    kh, s, pad, dil = spec
    return max(0, min(h_in - 1, out_row * s - pad + (kh - 1) * dil))


def pipelined_latency(g, shapes, graph_inputs, layer_of, reps, vec_seconds):
    """Per-vector-batch schedule of one image through the layer pipeline.

    avail[t][j] = time at which rows 0..j of tensor t are complete. The graph input is present at
    t = 0. An MVM layer with r copies processes its output vectors in raster order, r at a time; batch
    b starts when (a) the input rows read by its last vector are complete and (b) batch b-1 of the same
    layer is done, and it takes steps * 100 ns. Free ops (ReLU, Add, pooling, flatten) make an output
    row available as soon as the input rows it reads are. Returns (latency, finish time per layer).
    """
    avail = {}
    for name in graph_inputs:
        h, _ = spatial(shapes.get(name))
        avail[name] = np.zeros(h)
    finish = {}
    for node in g.node:
        ins = [x for x in node.input if x in avail]
        if not node.output:
            continue
        out = node.output[0]
        h_out, w_out = spatial(shapes.get(out))
        if not ins:                              # constant subgraph
            avail[out] = np.zeros(h_out)
            continue
        if node.name in layer_of:
            li = layer_of[node.name]
            lay = layer_of[node.name + "#spec"]
            src = avail[node.input[0]]
            h_in = len(src)
            spec = (lay["kh"], lay["stride"], lay["pad"], lay["dil"]) if lay["kind"] == "conv" else None
            r, n, w = reps[li], lay["vectors"], lay["Wout"] if lay["kind"] == "conv" else lay["vectors"]
            t_vec = vec_seconds[li]
            rows_done = np.zeros(h_out)
            prev = 0.0
            b = 0
            while b * r < n:
                last = min((b + 1) * r, n) - 1
                y = last // w if lay["kind"] == "conv" else 0
                ready = src[last_input_row(spec, y, h_in)]
                prev = max(ready, prev) + t_vec
                # rows whose last vector lies in this batch are complete now
                first_row = (b * r) // w if lay["kind"] == "conv" else 0
                for row in range(first_row, y + 1):
                    if (row + 1) * w - 1 <= last:
                        rows_done[row] = prev
                b += 1
            if lay["kind"] != "conv":
                rows_done[:] = prev
            finish[li] = prev
            avail[out] = rows_done
            continue
        # free (digital) ops
        op = node.op_type
        if op in WINDOWED:
            k = attr(node, "kernel_shape")[0]
            s = (attr(node, "strides", [1, 1]))[0]
            p = (attr(node, "pads", [0, 0, 0, 0]))[0]
            d = (attr(node, "dilations", [1, 1]))[0]
            spec = (k, s, p, d)
        elif op in ELEMENTWISE:
            spec = "same"
        else:                                    # GlobalAveragePool, Flatten, Reshape, ...: whole input
            spec = None
        rows = np.zeros(h_out)
        for x in ins:
            src = avail[x]
            h_in = len(src)
            for j in range(h_out):
                if spec == "same":
                    need = min(j, h_in - 1) if h_in == h_out else h_in - 1
                else:
                    need = last_input_row(spec, j, h_in)
                rows[j] = max(rows[j], src[need])
        avail[out] = rows
    outs = [o.name for o in g.output]
    latency = max(float(avail[o][-1]) for o in outs if o in avail)
    return latency, finish


def layer_recurrence(g, shapes, layers, layer_of, reps, vec_seconds):
    """Closed form at layer granularity, over the layer graph (free ops are transparent):

        S_l = max over producers p of (S_p + f_p)          start of layer l, S = 0 for the first
        F_l = max(S_l + T_l, max over p of F_p + tail_l)   finish of layer l
        latency = max F over the last layers

    T_l = stage time; f_p = time p needs to produce the rows its consumers read for their first
    output row (their receptive field, composed through pooling); tail_l = time l needs for the output
    rows that read its input's last row (it cannot finish earlier than that after its producer).
    Returns (latency, sum over the longest start path of f + last T, i.e. the fill-only estimate)."""
    consumers = {}
    for node in g.node:
        for x in node.input:
            consumers.setdefault(x, []).append(node)
    producer = {o: n for n in g.node for o in n.output}

    def window(c):
        k = attr(c, "kernel_shape")[0]
        return (k, (attr(c, "strides", [1, 1]))[0], (attr(c, "pads", [0, 0, 0, 0]))[0],
                (attr(c, "dilations", [1, 1]))[0])

    def rows_needed(tensor):
        """Rows of `tensor` needed before the next MVM layers (through free ops) can emit their
        first output row; None if no MVM layer follows."""
        best = None
        h_in, _ = spatial(shapes.get(tensor))
        for c in consumers.get(tensor, []):
            if c.name in layer_of:
                lay = layer_of[c.name + "#spec"]
                need = (last_input_row((lay["kh"], lay["stride"], lay["pad"], lay["dil"]), 0, h_in) + 1
                        if lay["kind"] == "conv" else h_in)
            else:
                down = rows_needed(c.output[0])
                if down is None:
                    continue
                h_out, _ = spatial(shapes.get(c.output[0]))
                if c.op_type in WINDOWED:
                    need = last_input_row(window(c), down - 1, h_in) + 1
                elif c.op_type in ELEMENTWISE:
                    need = down if h_out == h_in else h_in
                else:
                    need = h_in
            best = need if best is None else max(best, need)
        return best

    def upstream_layers(tensor, seen):
        n = producer.get(tensor)
        if n is None or n.name in seen:
            return []
        seen.add(n.name)
        if n.name in layer_of:
            return [layer_of[n.name]]
        res = []
        for x in n.input:
            res += upstream_layers(x, seen)
        return res

    S, F, fill, ends = {}, {}, {}, []
    for node in g.node:
        if node.name not in layer_of:
            continue
        li = layer_of[node.name]
        lay = layers[li]
        r, tv = reps[li], vec_seconds[li]
        T = tv * math.ceil(lay["vectors"] / r)
        preds = upstream_layers(node.input[0], set())
        S[li] = max((S[p] + fill[p] for p in preds), default=0.0)
        h_in, _ = spatial(shapes.get(node.input[0]))
        if lay["kind"] == "conv":
            spec = (lay["kh"], lay["stride"], lay["pad"], lay["dil"])
            k_tail = sum(1 for j in range(lay["Hout"]) if last_input_row(spec, j, h_in) == h_in - 1)
            tail = tv * math.ceil(k_tail * lay["Wout"] / r)
        else:
            tail = T
        F[li] = max(S[li] + T, max((F[p] for p in preds), default=0.0) + tail)
        need = rows_needed(node.output[0])
        if need is None:
            fill[li] = T
            ends.append(li)
        else:
            vecs = min(lay["vectors"], need * lay["Wout"]) if lay["kind"] == "conv" else lay["vectors"]
            fill[li] = tv * math.ceil(vecs / r)
    latency = max(F[i] for i in ends)
    fill_only = max(S[i] + fill[i] for i in ends)
    return latency, fill_only


# ----------------------------------------------------------------------------------------------

def estimate(path, args):
    g, inits, shapes, graph_inputs = load_graph(path)
    layers, layer_of = [], {}
    for i, node in enumerate(g.node):
        if not node.name:
            node.name = "%s_%d" % (node.op_type, i)
        lay = mvm_layer(node, inits, shapes)
        if lay is None:
            continue
        lay["name"] = node.name
        lay["row_blocks"] = math.ceil(lay["rows"] / args.rows)
        lay["col_blocks"] = math.ceil(lay["Cout"] / args.cols)
        lay["arrays"] = lay["row_blocks"] * lay["col_blocks"] * args.slices
        lay["steps"] = args.steps
        if args.signed_graph_input and node.input[0] in graph_inputs:
            lay["steps"] = 2 * args.steps        # two unsigned passes for a signed input
        layer_of[node.name] = len(layers)
        layer_of[node.name + "#spec"] = lay
        layers.append(lay)
    step = args.step_ns * 1e-9
    vec_seconds = [l["steps"] * step for l in layers]
    budget = args.crossbars

    policies = {"none": lambda: [1] * len(layers),
                "minmax": lambda: replicate_minmax(layers, budget),
                "greedy": lambda: replicate_greedy(layers, budget),
                "report": lambda: replicas_from_report(args.replicas_from, layers)}
    macs = sum(l["macs"] for l in layers)

    def evaluate(reps):
        st = [vs * v for vs, v in zip(vec_seconds, stage_vectors(layers, reps))]
        bottleneck = max(st)
        lat, _ = pipelined_latency(g, shapes, graph_inputs, layer_of, reps, vec_seconds)
        closed, fill_only = layer_recurrence(g, shapes, layers, layer_of, reps, vec_seconds)
        thr = 1.0 / bottleneck
        return dict(replicas=reps, stage_seconds=st,
                    arrays_used=sum(l["arrays"] * r for l, r in zip(layers, reps)),
                    latency_pipelined_s=lat, latency_layer_closed_form_s=closed,
                    latency_fill_only_s=fill_only,
                    latency_sequential_s=sum(st), bottleneck_s=bottleneck,
                    bottleneck_layer=layers[st.index(bottleneck)]["name"],
                    throughput_images_per_s=thr, tops=2.0 * macs * thr / 1e12)

    results = {p: evaluate(policies[p]()) for p in ("none", args.policy)}

    # peak: a 16-bit MAC needs all 8 bit-slice crossbars of a weight block for 16 steps
    blocks = budget // args.slices
    t_vec = args.steps * step
    peak_ops = 2.0 * blocks * args.rows * args.cols / t_vec
    naive_ops = 2.0 * budget * args.rows * args.cols / t_vec      # counts every crossbar as 16-bit
    peak = dict(peak_tops=peak_ops / 1e12, ce=peak_ops / 1e9 / args.area_mm2,
                pe=peak_ops / 1e9 / args.power_w, per_crossbar_count_tops=naive_ops / 1e12,
                weight_blocks=blocks)
    return layers, results, peak, macs


def replicas_from_report(path, layers):
    """The copies an mxsim report's mapping gave each layer (by ONNX node name), to time the same mapping."""
    rep = {m["name"]: m["replicas"] for m in json.load(open(path))["mapping"]["layers"]}
    missing = [l["name"] for l in layers if l["name"] not in rep]
    if missing:
        sys.exit("%s: no mapping for %s" % (path, ", ".join(missing)))
    return [rep[l["name"]] for l in layers]


def fmt_s(x):
    return "%.4g ms" % (x * 1e3) if x >= 1e-3 else "%.4g us" % (x * 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", nargs="?", default=DEFAULT_MODEL, help="ONNX file (default %(default)s)")
    ap.add_argument("--json", metavar="OUT", help="write the numbers as JSON")
    ap.add_argument("--replicas-from", metavar="REPORT.json",
                    help="take each layer's copies from an mxsim run report (sets --policy report)")
    ap.add_argument("--policy", choices=("minmax", "greedy", "report"), default="minmax",
                    help="replication policy (default %(default)s); 'none' is always reported too")
    ap.add_argument("--crossbars", type=int, default=168 * 12 * 8, help="168 tiles x 12 IMAs x 8")
    ap.add_argument("--rows", type=int, default=128)
    ap.add_argument("--cols", type=int, default=128)
    ap.add_argument("--slices", type=int, default=8, help="16-bit weight / 2-bit cells")
    ap.add_argument("--steps", type=int, default=16, help="1-bit input steps per vector")
    ap.add_argument("--step-ns", type=float, default=100.0, help="crossbar read step")
    ap.add_argument("--adc-gsps", type=float, default=1.28, help="ADC sample rate (checked only)")
    ap.add_argument("--area-mm2", type=float, default=85.4, help="ISAAC chip area")
    ap.add_argument("--power-w", type=float, default=65.8, help="ISAAC chip power")
    ap.add_argument("--signed-graph-input", action="store_true",
                    help="layers fed by the graph input (signed image) take 2 x steps")
    args = ap.parse_args()
    if args.replicas_from:
        args.policy = "report"
    elif args.policy == "report":
        sys.exit("--policy report needs --replicas-from REPORT.json")
    if not os.path.exists(args.model):
        sys.exit("%s not found; export it with\n  /usr/bin/python3 tools/mxsim_py/export_models.py "
                 "--only resnet18_op11 --out %s" % (args.model, os.path.dirname(args.model) or "."))

    adc_ns = args.cols / args.adc_gsps
    layers, res, peak, macs = estimate(args.model, args)
    rep, none = res[args.policy], res["none"]

    print("ISAAC estimate: %s, %d MVM layers, %.4g GMAC/image" % (args.model, len(layers), macs / 1e9))
    print("step %.0f ns x %d steps per vector; ADC: %d columns / %.2f GS/s = %.1f ns per step (%s)"
          % (args.step_ns, args.steps, args.cols, args.adc_gsps, adc_ns,
             "fits" if adc_ns <= args.step_ns + 1e-9 else "DOES NOT FIT: ADC-bound"))
    print()
    hdr = "%-3s %-22s %6s %5s %6s %6s %5s %11s %11s" % ("#", "layer", "K", "Cout", "vecs", "arrays",
                                                         "reps", "stage(1x)", "stage(rep)")
    print(hdr)
    print("-" * len(hdr))
    for i, l in enumerate(layers):
        print("%-3d %-22s %6d %5d %6d %6d %5d %11s %11s" % (
            i, l["name"][:22], l["K"], l["Cout"], l["vectors"], l["arrays"], rep["replicas"][i],
            fmt_s(none["stage_seconds"][i]), fmt_s(rep["stage_seconds"][i])))
    print()
    print("%-34s %14s %14s" % ("", "no replication", "replicated (%s)" % args.policy))
    rows = [("crossbars used (of %d)" % args.crossbars, "arrays_used", "%d"),
            ("bottleneck stage", "bottleneck_s", None),
            ("bottleneck layer", "bottleneck_layer", "%s"),
            ("throughput (images/s)", "throughput_images_per_s", "%.1f"),
            ("TOPS (2 x MACs x throughput)", "tops", "%.3f"),
            ("latency, row-pipelined schedule", "latency_pipelined_s", None),
            ("latency, layer-level closed form", "latency_layer_closed_form_s", None),
            ("  fill only (sum f_l + last T)", "latency_fill_only_s", None),
            ("latency, sequential (sum stages)", "latency_sequential_s", None)]
    for label, key, f in rows:
        a, b = none[key], rep[key]
        sa = fmt_s(a) if f is None else f % a
        sb = fmt_s(b) if f is None else f % b
        print("%-34s %14s %14s" % (label, sa[:14], sb[:22]))
    print()
    print("peak (all %d weight blocks = %d crossbars busy, 16-bit): %.2f TOPS; CE %.1f GOPs/s/mm2 "
          "(%.1f mm2); PE %.1f GOPs/W (%.1f W)" % (peak["weight_blocks"], args.crossbars,
                                                   peak["peak_tops"], peak["ce"], args.area_mm2,
                                                   peak["pe"], args.power_w))
    print("  (counting each crossbar as a 16-bit 128x128 MVM would give %.1f TOPS: 8x too high, a 16-bit"
          " weight spans 8 crossbars)" % peak["per_crossbar_count_tops"])
    print("  utilisation of peak: replicated %.1f %%, no replication %.2f %%"
          % (100 * rep["tops"] / peak["peak_tops"], 100 * none["tops"] / peak["peak_tops"]))

    if args.json:
        out = dict(model=os.path.abspath(args.model),
                   parameters=dict(crossbars=args.crossbars, rows=args.rows, cols=args.cols,
                                   slices=args.slices, steps=args.steps, step_ns=args.step_ns,
                                   adc_gsps=args.adc_gsps, adc_ns_per_step=adc_ns,
                                   area_mm2=args.area_mm2, power_w=args.power_w, policy=args.policy,
                                   signed_graph_input=args.signed_graph_input),
                   macs_per_image=macs,
                   layers=[dict(name=l["name"], K=l["K"], Cout=l["Cout"], vectors=l["vectors"],
                                arrays=l["arrays"], steps=l["steps"], replicas=rep["replicas"][i],
                                stage_seconds=rep["stage_seconds"][i],
                                stage_seconds_no_replication=none["stage_seconds"][i])
                           for i, l in enumerate(layers)],
                   totals=dict(latency_pipelined_s=rep["latency_pipelined_s"],
                               latency_layer_closed_form_s=rep["latency_layer_closed_form_s"],
                               latency_fill_only_s=rep["latency_fill_only_s"],
                               latency_sequential_s=rep["latency_sequential_s"],
                               throughput_images_per_s=rep["throughput_images_per_s"],
                               tops=rep["tops"], arrays_used=rep["arrays_used"],
                               bottleneck_layer=rep["bottleneck_layer"],
                               peak_tops=peak["peak_tops"], ce=peak["ce"], pe=peak["pe"]),
                   no_replication={k: none[k] for k in
                                   ("latency_pipelined_s", "latency_layer_closed_form_s",
                                    "latency_fill_only_s",
                                    "latency_sequential_s", "throughput_images_per_s", "tops",
                                    "arrays_used", "bottleneck_layer")})
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print("wrote", args.json)


if __name__ == "__main__":
    main()
