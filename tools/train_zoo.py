#!/usr/bin/python3
"""Train, export and register the model zoo (workloads/zoo) that reproduces Papers A and B.

Usage (repository root, Debian's /usr/bin/python3):

    /usr/bin/python3 tools/train_zoo.py --list                 the plan: every zoo entry and its recipe
    /usr/bin/python3 tools/train_zoo.py --only vgg8_nit_s0.5   train one entry (and nothing else)
    /usr/bin/python3 tools/train_zoo.py --all                  every entry whose ONNX file is missing
    /usr/bin/python3 tools/train_zoo.py --sweep vgg8           accuracy vs activation-noise sigma of a
                                                               committed baseline (PyTorch, 2000 images)

Every entry is fully determined by its row in PLAN below and the seed, so the manifest's `command`
column is just `--only <stem>`. Fine-tuned entries (QAT, NIT, denoisers) start from the committed
baseline ONNX of their architecture. Each run checkpoints after every epoch under --work-dir
(default tools/.train-cache) and resumes from there if stopped. A run writes, atomically:
  workloads/zoo/<stem>.onnx, its manifest.tsv row and zoo_meta.json entry,
  tests/data/<stem>_ref_input.npy, tests/data/<stem>_ref_logits.npy (16 reference images).

Modes (docs/reproduction.md has the details):
  baseline  trained from scratch with BatchNorm (folded on export), Adam + cosine, 60k images.
  qat4/8    constant-scale QAT (Paper B): per-channel weights and every ReLU on 4/8 bits, one fixed
            activation step for the whole network (the baseline's 99.9th ReLU percentile / (2^b - 1)).
  nit       noise-injection training (Paper B): mxsim's activation noise, absolute sigma, on every
            analog layer output during training, ramped up over the first quarter of the steps.
  dn-<p>    denoiser blocks (Paper A) on the frozen baseline under noise sigma, placed by policy <p>
            (gradnorm, uniform, random, every) within a 2.5 % parameter budget, reduction ratio 4.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import List

# OpenBLAS's own threads thrash on the small GEMMs of these nets when torch also runs threads (measured:
# a 128x400x120 product takes 8.3 ms with 2 OpenBLAS threads, 0.3 ms with 1); torch parallelises itself.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
sys.path.insert(0, TOOLS_DIR)

from mxsim_py import nets, training  # noqa: E402
from mxsim_py.nets import NoiseSpec  # noqa: E402

MODELS_REL = os.path.join("workloads", "zoo")
DATA_REL = os.path.join("tests", "data")
N_REF = 16


@dataclass
class Entry:
    arch: str
    mode: str                 # baseline | qat4 | qat8 | nit | dn-<placement>
    sigma: float = 0.0        # training noise (nit, dn-*)
    epochs: int = 1
    train_images: int = 0     # 0 = all 60k
    lr: float = 1e-3
    budget_pct: float = 2.5   # dn-*: parameter budget
    ratio: int = 4            # dn-*: channel reduction of a block
    nll_weight: float = 0.1   # dn-*: weight of the Gaussian NLL term
    ramp: float = 0.25        # nit: fraction of steps over which sigma ramps up
    seed: int = 0

    @property
    def stem(self) -> str:
        if self.mode == "baseline" or self.mode.startswith("qat"):
            return f"{self.arch}_{self.mode}"
        tag = "nit" if self.mode == "nit" else self.mode.replace("-", "_")
        return f"{self.arch}_{tag}_s{self.sigma:g}"


# Paper A's operating point per architecture: the absolute activation-noise sigma at which the baseline
# loses >= 25 points (chosen with --sweep on the committed baselines; docs/reproduction.md).
SIGMA_A = {"lenet5": 0.35, "vgg8": 0.5, "resnet20": 0.45, "mobilenet": 0.12}
# Paper B's NIT training points per architecture: a moderate sigma and Paper A's.
SIGMA_NIT = {"lenet5": (0.2, 0.35), "vgg8": (0.25, 0.5), "resnet20": (0.25, 0.45), "mobilenet": (0.06, 0.12)}
BASE_EPOCHS = {"lenet5": 4, "vgg8": 3, "resnet20": 3, "mobilenet": 3}


def make_plan() -> List[Entry]:
    plan: List[Entry] = []
    for a in ("lenet5", "vgg8", "resnet20", "mobilenet"):
        plan.append(Entry(a, "baseline", epochs=BASE_EPOCHS[a], lr=2e-3))
    for a in ("lenet5", "vgg8", "resnet20", "mobilenet"):
        for b in (4, 8):
            plan.append(Entry(a, f"qat{b}", epochs=1, train_images=30000, lr=2e-4))
        for s in SIGMA_NIT[a]:
            plan.append(Entry(a, "nit", sigma=s, epochs=1, lr=5e-4))
    for a in ("vgg8", "resnet20", "mobilenet"):
        plan.append(Entry(a, "dn-gradnorm", sigma=SIGMA_A[a], epochs=2, train_images=20000, lr=5e-3))
    for a in ("vgg8", "resnet20", "mobilenet"):
        for p in ("uniform", "random", "every"):
            plan.append(Entry(a, f"dn-{p}", sigma=SIGMA_A[a], epochs=2, train_images=20000, lr=5e-3))
    return plan


PLAN = {e.stem: e for e in make_plan()}


# ------------------------------------------------------------------------------------------ runs


def baseline_path(root: str, arch: str) -> str:
    return os.path.join(root, MODELS_REL, f"{arch}_baseline.onnx")


def train_entry(e: Entry, data: training.Data, root: str, work_dir: str, log, threads: int = 1) -> dict:
    """Train entry e; returns the metadata (the model is exported by the caller)."""
    training.seed_everything(e.seed, threads)
    ckpt = training.Checkpoint(os.path.join(work_dir, f"{e.stem}.pt") if work_dir else None,
                               key=f"{e!r} train={len(data.x_train)} root={os.path.abspath(root)}")
    meta: dict = {"arch": e.arch, "mode": e.mode, "sigma": e.sigma, "epochs": e.epochs,
                  "train_images": e.train_images or len(data.x_train), "lr": e.lr, "seed": e.seed}
    x, y = data.train_subset(e.train_images, e.seed)
    if e.mode == "baseline":
        model = nets.build(e.arch, bn=True)
        training.fit(model, model.parameters(), x, y, epochs=e.epochs, lr=e.lr, seed=e.seed, ckpt=ckpt, log=log)
        model.eval()
        nets.fold_batchnorm(model)
        return {"model": model, **meta}

    base = baseline_path(root, e.arch)
    if not os.path.exists(base):
        raise SystemExit(f"error: {e.stem} starts from {os.path.relpath(base, root)}, which does not exist; "
                         f"train it first: tools/train_zoo.py --only {e.arch}_baseline")
    model = training.load_backbone(e.arch, base)
    meta["init"] = os.path.relpath(base, root)
    if e.mode.startswith("qat"):
        bits = int(e.mode[3:])
        act_range = training.relu_percentile(model, data.x_train[:1000])
        training.make_qat(model, bits, act_range)
        meta.update(bits=bits, act_range=act_range, act_step=act_range / (2 ** bits - 1))
        log(f"constant-scale QAT: {bits} bits, activation range {act_range:.4f} "
            f"(step {act_range / (2 ** bits - 1):.5f})")
        training.fit(model, model.parameters(), x, y, epochs=e.epochs, lr=e.lr, seed=e.seed, ckpt=ckpt, log=log)
        model.eval()
        nets.bake_weight_quantization(model)
        return {"model": model, **meta}
    if e.mode == "nit":
        nets.set_noise(model, NoiseSpec("absolute", e.sigma))
        meta.update(ramp=e.ramp)
        training.fit(model, model.parameters(), x, y, epochs=e.epochs, lr=e.lr, seed=e.seed, ckpt=ckpt, log=log,
                     on_step=training.sigma_ramp(model, e.sigma, e.ramp))
        nets.set_noise(model, None)
        return {"model": model, **meta}
    if e.mode.startswith("dn-"):
        placement = e.mode[3:]
        scores = training.gradient_norms(model, data.x_train[:1000], data.y_train[:1000])
        plan = training.plan_blocks(model, placement, e.budget_pct, e.ratio, scores, seed=e.seed)
        if not plan:
            raise SystemExit(f"error: {e.stem}: no denoiser block fits a {e.budget_pct}% budget")
        training.freeze(model)
        training.attach_blocks(model, plan)
        params = training.block_parameters(model)
        nets.set_noise(model, NoiseSpec("absolute", e.sigma))
        channels = {n: s.out_channels for n, s in nets.sites(model)}
        log(f"blocks ({placement}): " + ", ".join(f"{n} ({channels[n]} -> {k})" for n, k in plan))
        training.fit(model, params, x, y, epochs=e.epochs, lr=e.lr, seed=e.seed, ckpt=ckpt, log=log,
                     loss_fn=training.denoiser_loss(e.nll_weight))
        nets.set_noise(model, None)
        meta.update(placement=placement, budget_pct=e.budget_pct, ratio=e.ratio, nll_weight=e.nll_weight,
                    blocks=[{"site": n, "reduced": k} for n, k in plan],
                    gradient_norms={n: round(v, 6) for n, v in scores.items()})
        return {"model": model, **meta}
    raise SystemExit(f"error: unknown mode {e.mode}")


def noisy_accuracy(model, data: training.Data, sigma: float, n: int = 2000, draws: int = 1) -> float:
    torch.manual_seed(12345)
    nets.set_noise(model, NoiseSpec("absolute", sigma))
    try:
        accs = [training.accuracy(model, data.x_test[:n], data.y_test[:n]) for _ in range(draws)]
    finally:
        nets.set_noise(model, None)
    return float(np.mean(accs))


def run_entry(e: Entry, root: str, work_dir: str, data: training.Data, threads: int = 1) -> None:
    t0 = time.time()
    log_lines: List[str] = []

    def log(msg: str) -> None:
        print(f"[{e.stem}] {msg}", flush=True)
        log_lines.append(msg)

    log(f"{e}")
    out = train_entry(e, data, root, work_dir, log, threads)
    model = out.pop("model")
    model.eval()
    clean = training.accuracy(model, data.x_test, data.y_test)
    backbone = nets.backbone_params(model)
    blocks = nets.denoiser_params(model)
    log(f"clean test top-1 {clean:.2f}%  backbone params {backbone}  denoiser params {blocks}")
    if e.sigma > 0:
        log(f"PyTorch noisy top-1 at sigma {e.sigma:g} (2000 images): {noisy_accuracy(model, data, e.sigma):.2f}%")

    models_dir = os.path.join(root, MODELS_REL)
    data_dir = os.path.join(root, DATA_REL)
    os.makedirs(models_dir, exist_ok=True)
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(models_dir, f"{e.stem}.onnx")
    training.export_onnx(model, path)
    import onnx
    onnx.checker.check_model(onnx.load(path))

    idx = training.safe_reference_images(model, data.x_test, N_REF)
    ref_x = np.ascontiguousarray(data.x_test[idx].numpy(), dtype=np.float32)
    ref_logits = np.ascontiguousarray(training.logits(model, data.x_test[idx]).numpy(), dtype=np.float32)
    training.save_npy(os.path.join(data_dir, f"{e.stem}_ref_input.npy"), ref_x)
    training.save_npy(os.path.join(data_dir, f"{e.stem}_ref_logits.npy"), ref_logits)

    out.update(clean_top1=round(clean, 2), backbone_params=backbone, denoiser_params=blocks,
               seconds=round(time.time() - t0, 1), torch=torch.__version__)
    meta_path = os.path.join(models_dir, "zoo_meta.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    meta[f"{e.stem}.onnx"] = out
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(dict(sorted(meta.items())), f, indent=1)
        f.write("\n")
    os.replace(tmp, meta_path)
    training.update_manifest(os.path.join(models_dir, "manifest.tsv"), {
        "file": f"{e.stem}.onnx",
        "architecture": nets.ARCH_TITLES[e.arch],
        "mode": e.mode,
        "sigma": f"{e.sigma:g}",
        "clean_top1": f"{clean:.2f}",
        "params": str(backbone + blocks),
        "denoiser_overhead_pct": f"{100.0 * blocks / backbone:.2f}",
        "command": " ".join(shlex.quote(c) for c in ["/usr/bin/python3", "tools/train_zoo.py", "--only", e.stem]),
    })
    log(f"wrote {os.path.relpath(path, root)} ({os.path.getsize(path)} bytes) in {time.time() - t0:.0f}s")


def sweep(arch: str, root: str, data: training.Data, sigmas: List[float]) -> None:
    model = training.load_backbone(arch, baseline_path(root, arch))
    clean = training.accuracy(model, data.x_test[:2000], data.y_test[:2000])
    print(f"{arch}: clean {clean:.2f}% (2000 test images)")
    for s in sigmas:
        a = noisy_accuracy(model, data, s, draws=2)
        print(f"  sigma {s:<6g} top-1 {a:6.2f}%  drop {clean - a:6.2f}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--list", action="store_true", help="print the plan")
    g.add_argument("--only", nargs="+", metavar="STEM", help="train these entries")
    g.add_argument("--all", action="store_true", help="train every entry whose ONNX file is missing")
    g.add_argument("--sweep", metavar="ARCH", help="noisy accuracy of a baseline vs sigma")
    p.add_argument("--sigmas", default="0.1,0.2,0.3,0.5,0.7,1,1.5,2,3", help="--sweep grid")
    p.add_argument("--root", default=REPO_ROOT, help="where workloads/zoo and tests/data live")
    p.add_argument("--work-dir", default=os.path.join(TOOLS_DIR, ".train-cache"),
                   help="checkpoints (resume after a stop); '' disables them")
    p.add_argument("--data-dir", default=None, help="Fashion-MNIST IDX directory")
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (smoke tests)")
    p.add_argument("--test-limit", type=int, default=0, help="use only the first N test images (smoke tests)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on 2 cores two entries train side by side faster than one "
                        "entry on 2 threads, and 2 OpenMP threads collapse when the machine is busy)")
    p.add_argument("--epochs", type=int, default=0, help="override every entry's epochs (smoke tests)")
    args = p.parse_args(argv)

    if args.list:
        for e in PLAN.values():
            print(f"{e.stem:28s} {e.arch:10s} {e.mode:12s} sigma {e.sigma:<5g} epochs {e.epochs} "
                  f"images {e.train_images or 60000} lr {e.lr:g}")
        return 0
    data = training.Data(args.data_dir, args.train_limit, args.test_limit)
    if args.sweep:
        sweep(args.sweep, args.root, data, [float(s) for s in args.sigmas.split(",")])
        return 0
    stems = args.only if args.only else [s for s in PLAN
                                         if not os.path.exists(os.path.join(args.root, MODELS_REL, s + ".onnx"))]
    unknown = [s for s in stems if s not in PLAN]
    if unknown:
        print(f"error: unknown zoo entries {unknown}; see --list", file=sys.stderr)
        return 2
    for s in stems:
        e = PLAN[s]
        if args.epochs:
            e.epochs = args.epochs
        run_entry(e, args.root, args.work_dir, data, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
