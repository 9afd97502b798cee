#!/usr/bin/python3
"""PyTorch reference for the mxsim benchmark (row T of tools/bench/run.sh).

Loads the ONNX weights of the bundled model into tools/train_default.py's FmnistCnn (BatchNorm
replaced by Identity: the exporter folded BN into the Conv weights/biases), runs noise-free float32
inference over the 10,000 Fashion-MNIST test images in batches, checks top-1 against the
manifest's clean_top1, and prints one JSON object:

    {"ms_per_image": ..., "top1": ..., "manifest_top1": ..., "match": true, "threads": 2, ...}

ms_per_image is the median over --reps timed passes over the whole test set (after one warm-up
pass) of pass time / images. Only the forward passes are timed (data already in memory as a
float32 tensor). Usage: /usr/bin/python3 tools/bench/torch_ref.py [--model M.onnx] [--batch 256]
[--threads 2] [--reps 3]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(BENCH_DIR))
sys.path.insert(0, os.path.join(REPO, "tools"))

from train_default import FmnistCnn  # noqa: E402
from mxsim_py.fmnist import load_fashion_mnist  # noqa: E402


def load_onnx_into(model: FmnistCnn, path: str) -> None:
    proto = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    gemms = [n for n in proto.graph.node if n.op_type == "Gemm"]
    mods = [m for m in model.features if isinstance(m, nn.Conv2d)]
    if len(convs) != len(mods) or len(gemms) != 1:
        raise SystemExit(f"error: {path}: expected {len(mods)} Conv + 1 Gemm, found "
                         f"{len(convs)} Conv + {len(gemms)} Gemm")
    # BN was folded into the conv by the exporter: drop it from the PyTorch module.
    model.features = nn.Sequential(*[nn.Identity() if isinstance(m, nn.BatchNorm2d) else m
                                     for m in model.features])
    with torch.no_grad():
        for node, conv in zip(convs, mods):
            w, b = inits[node.input[1]], inits[node.input[2]]
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise SystemExit(f"error: {node.name}: weight {w.shape} vs module {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(w.copy()))
            conv.bias.copy_(torch.from_numpy(b.copy()))
        g = gemms[0]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in g.attribute}
        w = inits[g.input[1]]
        if attrs.get("transB", 0) == 0:
            w = w.T
        model.classifier.weight.copy_(torch.from_numpy(np.array(w, dtype=np.float32, order="C")))
        model.classifier.bias.copy_(torch.from_numpy(inits[g.input[2]].copy()))


def manifest_top1(model_path: str) -> float | None:
    manifest = os.path.join(os.path.dirname(model_path), "manifest.tsv")
    try:
        with open(manifest, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["file"] == os.path.basename(model_path):
                    return float(row["clean_top1"])
    except OSError:
        pass
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(REPO, "workloads", "models", "fmnist_cnn.onnx"))
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = FmnistCnn()
    load_onnx_into(model, args.model)
    model.eval()
    x_np, y_np = load_fashion_mnist("test")
    x = torch.from_numpy(np.ascontiguousarray(x_np, dtype=np.float32))
    y = torch.from_numpy(y_np)
    n = x.shape[0]

    def one_pass() -> torch.Tensor:
        preds = []
        for i in range(0, n, args.batch):
            preds.append(model(x[i:i + args.batch]).argmax(1))
        return torch.cat(preds)

    with torch.inference_mode():
        pred = one_pass()  # warm-up
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            pred = one_pass()
            times.append(time.perf_counter() - t0)
    top1 = round(100.0 * float((pred == y).double().mean()), 2)
    ref = manifest_top1(args.model)
    out = {
        "ms_per_image": 1000.0 * statistics.median(times) / n,
        "ms_per_image_best": 1000.0 * min(times) / n,
        "images": n, "batch": args.batch, "threads": torch.get_num_threads(), "reps": args.reps,
        "top1": top1, "manifest_top1": ref, "match": ref is not None and abs(top1 - ref) < 0.005,
        "torch": torch.__version__,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
