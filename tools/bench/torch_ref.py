#!/usr/bin/python3
"""PyTorch reference for the mxsim benchmark (row T of tools/bench/run.sh).

Builds the network with the training tools' own definition, `mxsim_py.training.load_backbone(arch,
model)`: the BN-free architecture of tools/mxsim_py/nets.py with the ONNX initializers of the
(BN-folded) exported model copied into its Conv/Linear layers, shapes checked. Runs noise-free float32
inference in eval mode under torch.inference_mode() over the Fashion-MNIST test images (as
`mxsim_py.fmnist.load_fashion_mnist("test")` returns them: float32 [N,1,28,28], pixel / 255, which is
exactly what mxsim feeds the model), in batches, checks top-1 against the `clean_top1` of the model's
row in manifest.tsv (next to the model), and prints one JSON object:

    {"arch": "vgg8", "ms_per_image": ..., "top1": ..., "manifest_top1": ..., "match": true,
     "threads": 2, "openblas_num_threads": null, "mkldnn_available": true, "conv_ops": [...], ...}

ms_per_image is the median over --reps timed passes over the images (after one warm-up pass) of pass
time / images. Only the forward passes are timed (data already in memory as a float32 tensor).
The BLAS situation is recorded as found, never changed: OPENBLAS_NUM_THREADS from the environment
(null when unset), torch.get_num_threads(), torch.backends.mkldnn.is_available() / .enabled, the
aten convolution ops a profiled forward pass actually ran (e.g. aten::mkldnn_convolution), and the
BLAS/OpenMP shared libraries mapped into the process.

"match" is only meaningful on the full 10,000-image test split (the manifest's clean_top1 is measured
on it); with --images N < 10000 it is null.

Usage: /usr/bin/python3 tools/bench/torch_ref.py --arch vgg8 --model workloads/zoo/vgg8_baseline.onnx
       [--batch 256] [--threads 2] [--reps 3] [--images 0 (= all)]
Exit status: 0 with the JSON on stdout; 1 with one "torch_ref: error: ..." line on stderr.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(BENCH_DIR))
sys.path.insert(0, os.path.join(REPO, "tools"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mxsim_py import nets, training  # noqa: E402
from mxsim_py.fmnist import load_fashion_mnist  # noqa: E402

FULL_TEST_SET = 10000


class BenchError(Exception):
    pass


def manifest_top1(model_path: str) -> float | None:
    """clean_top1 of the manifest.tsv row (next to the model) whose `file` is the model's basename."""
    manifest = os.path.join(os.path.dirname(os.path.abspath(model_path)), "manifest.tsv")
    try:
        with open(manifest, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("file") == os.path.basename(model_path):
                    return float(row["clean_top1"])
    except (OSError, KeyError, ValueError):
        pass
    return None


def conv_ops(model: torch.nn.Module, x: torch.Tensor) -> list[str]:
    """The aten convolution / matmul ops one forward pass runs (which conv backend torch picked)."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        model(x)
    keep = re.compile(r"conv|mkldnn|addmm|matmul|\bmm\b")
    generic = {"aten::conv2d", "aten::convolution", "aten::_convolution", "aten::linear"}
    return sorted({e.key for e in prof.key_averages() if keep.search(e.key) and e.key not in generic})


def mapped_libs() -> list[str]:
    """BLAS / LAPACK / OpenMP / oneDNN shared libraries mapped into this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "/" in ln}
    except OSError:
        return []
    pat = re.compile(r"blas|lapack|gomp|iomp|mkl|dnnl", re.I)
    return sorted(p for p in paths if pat.search(os.path.basename(p)))


def run(args: argparse.Namespace) -> dict:
    if args.arch not in nets.ARCHITECTURES:
        raise BenchError(f"unknown --arch {args.arch!r}; expected one of {sorted(nets.ARCHITECTURES)}")
    if not os.path.isfile(args.model):
        raise BenchError(f"model not found: {args.model}")
    torch.set_num_threads(args.threads)
    try:
        model = training.load_backbone(args.arch, args.model).eval()
    except Exception as e:  # shape mismatch, unreadable ONNX, ...
        raise BenchError(f"cannot load {args.model} as {args.arch}: {e}") from e
    x_np, y_np = load_fashion_mnist("test")
    if args.images > 0:
        x_np, y_np = x_np[:args.images], y_np[:args.images]
    x = torch.from_numpy(np.ascontiguousarray(x_np, dtype=np.float32))
    y = torch.from_numpy(y_np)
    n = x.shape[0]

    def one_pass() -> torch.Tensor:
        return torch.cat([model(x[i:i + args.batch]).argmax(1) for i in range(0, n, args.batch)])

    with torch.inference_mode():
        pred = one_pass()  # warm-up
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            pred = one_pass()
            times.append(time.perf_counter() - t0)
        ops = conv_ops(model, x[:args.batch])
    top1 = round(100.0 * float((pred == y).double().mean()), 2)
    ref = manifest_top1(args.model)
    full = n == FULL_TEST_SET
    return {
        "arch": args.arch, "model": os.path.relpath(os.path.abspath(args.model), REPO),
        "ms_per_image": 1000.0 * statistics.median(times) / n,
        "ms_per_image_best": 1000.0 * min(times) / n,
        "pass_seconds": times,
        "images": n, "batch": args.batch, "reps": args.reps,
        "top1": top1, "manifest_top1": ref,
        "match": (ref is not None and abs(top1 - ref) < 0.005) if full else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
        "conv_ops": ops,
        "mkldnn_conv": any("mkldnn" in o for o in ops),
        "libs": mapped_libs(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", required=True, help=f"one of {sorted(nets.ARCHITECTURES)}")
    ap.add_argument("--model", required=True, help="the exported (BN-folded) ONNX model of that arch")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--images", type=int, default=0, help="first N test images (0 = all 10,000)")
    args = ap.parse_args()
    if args.batch < 1 or args.threads < 1 or args.reps < 1 or args.images < 0:
        ap.error("--batch, --threads and --reps must be >= 1, --images >= 0")
    try:
        out = run(args)
    except Exception as e:
        print(f"torch_ref: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
