"""Training modes of the zoo: baseline, constant-scale QAT, noise-injection training (NIT) and denoiser
blocks (Paper A) with their placement policies, plus ONNX import/export and resumable checkpoints.

All randomness comes from torch's global generator (seeded by `seed_everything`) and from explicit
`torch.Generator`s; a checkpoint stores both, so a resumed run continues with the same draws.
"""
from __future__ import annotations

import os
import random
import re
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import nets

Log = Callable[[str], None]

# ------------------------------------------------------------------------- shared helpers

MANIFEST_HEADER = ["file", "architecture", "mode", "sigma", "clean_top1", "params",
                   "denoiser_overhead_pct", "command"]


def seed_everything(seed: int, threads: int = 2) -> None:
    """Seed torch and NumPy, set the thread count, and ask torch for deterministic algorithms."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    try:
        torch.use_deterministic_algorithms(True)
    except Exception as e:  # pragma: no cover - depends on torch build
        print(f"warning: torch.use_deterministic_algorithms(True) failed: {e}", file=sys.stderr)


def update_manifest(path: str, row: Dict[str, str]) -> None:
    """Insert or replace the row whose `file` column equals row["file"]; keep other rows
    (and their order). Writes atomically. Raises on a header mismatch rather than guess."""
    rows: List[List[str]] = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
        if lines:
            header = lines[0].split("\t")
            if header != MANIFEST_HEADER:
                raise RuntimeError(f"{path}: unexpected header {header}, expected {MANIFEST_HEADER}")
            rows = [ln.split("\t") for ln in lines[1:]]
    for k, v in row.items():
        if "\t" in v or "\n" in v:
            raise ValueError(f"manifest field {k} contains a tab or newline: {v!r}")
    new = [row[k] for k in MANIFEST_HEADER]
    replaced = False
    for i, r in enumerate(rows):
        if r and r[0] == row["file"]:
            rows[i] = new
            replaced = True
    if not replaced:
        rows.append(new)
    # Drop duplicate rows for the same file (keep the first, now updated).
    seen, out = set(), []
    for r in rows:
        if r[0] == row["file"]:
            if r[0] in seen:
                continue
            seen.add(r[0])
        out.append(r)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\t".join(MANIFEST_HEADER) + "\n")
        for r in out:
            f.write("\t".join(r) + "\n")
    os.replace(tmp, path)


def save_npy(path: str, arr: np.ndarray) -> None:
    tmp = path + ".tmp.npy"
    np.save(tmp, arr)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------ data


class Data:
    """Fashion-MNIST as torch tensors (x = pixel / 255, what mxsim feeds the models)."""

    def __init__(self, directory: Optional[str] = None, train_limit: int = 0, test_limit: int = 0):
        from .fmnist import DEFAULT_DIRECTORY, load_fashion_mnist
        d = directory or DEFAULT_DIRECTORY
        xtr, ytr = load_fashion_mnist("train", d)
        xte, yte = load_fashion_mnist("test", d)
        if train_limit:
            xtr, ytr = xtr[:train_limit], ytr[:train_limit]
        if test_limit:
            xte, yte = xte[:test_limit], yte[:test_limit]
        self.x_train, self.y_train = torch.from_numpy(xtr), torch.from_numpy(ytr)
        self.x_test, self.y_test = torch.from_numpy(xte), torch.from_numpy(yte)

    def train_subset(self, n: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """n training images drawn without replacement (seeded); all of them if n <= 0 or n >= 60000."""
        if n <= 0 or n >= len(self.x_train):
            return self.x_train, self.y_train
        idx = torch.randperm(len(self.x_train), generator=torch.Generator().manual_seed(seed))[:n]
        return self.x_train[idx], self.y_train[idx]


# ----------------------------------------------------------------------------------- evaluation


@torch.no_grad()
def logits(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    was = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
    model.train(was)
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 in percent, eval mode, with whatever noise the sites carry."""
    return 100.0 * (logits(model, x).argmax(1) == y).double().mean().item()


# ------------------------------------------------------------------------------ the training loop


class Checkpoint:
    """One resumable run: state saved at the end of every epoch to `path` (atomically)."""

    def __init__(self, path: Optional[str], key: str = ""):
        self.path, self.key = path, key  # key: the run's full configuration; a mismatch starts afresh

    def load(self) -> Optional[dict]:
        if self.path and os.path.exists(self.path):
            state = torch.load(self.path)
            if state.get("key") == self.key:
                return state
        return None

    def save(self, state: dict) -> None:
        if not self.path:
            return
        state = dict(state, key=self.key)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        tmp = self.path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)


def fit(model: nn.Module, params: Sequence[nn.Parameter], x: torch.Tensor, y: torch.Tensor, *, epochs: int,
        lr: float, seed: int, ckpt: Checkpoint, log: Log, batch_size: int = 128,
        loss_fn: Optional[Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]] = None,
        on_step: Optional[Callable[[float], None]] = None,
        transform: Optional[Callable[[torch.Tensor, torch.Generator], torch.Tensor]] = None) -> None:
    """Adam with per-step cosine decay to 0 (Paper B's recipe), `epochs` passes over (x, y) in seeded
    random order. `on_step(progress)` is called before each step with progress in [0, 1) (the NIT sigma
    ramp). `transform(xb, gen)` augments a batch with the data-order generator. Resumes from `ckpt` at the
    last finished epoch."""
    params = list(params)
    opt = torch.optim.Adam(params, lr=lr)
    steps = (len(x) + batch_size - 1) // batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * steps))
    gen = torch.Generator().manual_seed(seed)
    start = 0
    state = ckpt.load()
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        torch.set_rng_state(state["torch_rng"])
        start = state["epoch"]
        log(f"resumed from {ckpt.path} after epoch {start}/{epochs}")
    loss_fn = loss_fn or (lambda m, xb, yb: F.cross_entropy(m(xb), yb))
    for epoch in range(start, epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(steps):
            if on_step is not None:
                on_step((epoch * steps + i) / (epochs * steps))
            idx = perm[i * batch_size:(i + 1) * batch_size]
            xb = x[idx] if transform is None else transform(x[idx], gen)
            loss = loss_fn(model, xb, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            if (i + 1) % 50 == 0 or i + 1 == steps:
                print(f"\r  epoch {epoch + 1}/{epochs} step {i + 1}/{steps} loss {total / ((i + 1) * batch_size):.4f}"
                      f" ({time.time() - t0:.0f}s)", end="", flush=True)
        print()
        log(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f} ({time.time() - t0:.1f}s)")
        ckpt.save({"epoch": epoch + 1, "model": model.state_dict(), "opt": opt.state_dict(),
                   "sched": sched.state_dict(), "gen": gen.get_state(), "torch_rng": torch.get_rng_state()})


# ---------------------------------------------------------------------------------- ONNX in/out


def export_onnx(model: nn.Module, path: str, opset: int = 13) -> None:
    """Eval-mode export without noise: "input" [N,1,28,28] -> "logits" [N,10], N dynamic; atomic."""
    nets.set_noise(model, None)
    model.eval()
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), tmp, export_params=True, opset_version=opset,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    add_logvar_heads(model, tmp)
    os.replace(tmp, path)


def add_logvar_heads(model: nn.Module, path: str) -> None:
    """Put every denoiser block's log sigma^2 head into the exported graph at `path` (issue 20).

    An eval-mode export computes y = x - mu only, so the tracer drops the logvar head. For sample mode
    (y = x - (mu + sigma * eps)) mxsim needs it: each block gets a Conv node named
    `.../mxsim_denoiser_<id>/logvar/Conv` on the same input h as its `.../mu/Conv` node, weights
    `<block>.logvar.weight|bias`. Its output feeds no node and is not a graph output (the graph's interface,
    input -> logits, is unchanged; ONNX runtimes skip it), and mxsim's importer recognises it by name."""
    import onnx
    from onnx import helper, numpy_helper
    blocks = {name.rsplit(".", 1)[-1]: m for name, m in model.named_modules()
              if isinstance(m, nets.DenoiserBlock)}
    if not blocks:
        return
    proto = onnx.load(path)
    module_of = {id(m): name for name, m in model.named_modules()}
    added = set()
    for node in list(proto.graph.node):
        m = re.search(r"(^|/)(" + nets.DENOISER_TAG + r"\d+)/mu/Conv$", node.name)
        if not m or node.op_type != "Conv":
            continue
        tag = m.group(2)
        block = blocks[tag]
        prefix = module_of[id(block)]
        w, b = f"{prefix}.logvar.weight", f"{prefix}.logvar.bias"
        proto.graph.initializer.extend([
            numpy_helper.from_array(block.logvar.weight.detach().cpu().numpy().astype(np.float32), w),
            numpy_helper.from_array(block.logvar.bias.detach().cpu().numpy().astype(np.float32), b)])
        name = node.name[: -len("mu/Conv")] + "logvar/Conv"
        logvar = helper.make_node("Conv", [node.input[0], w, b], [name + "_output_0"], name=name)
        logvar.attribute.extend(node.attribute)  # the same 1x1 kernel attributes as the mu head
        proto.graph.node.insert(list(proto.graph.node).index(node) + 1, logvar)
        added.add(tag)
    missing = sorted(set(blocks) - added)
    if missing:
        raise ValueError(f"{path}: no mu head node found for denoiser block(s) {', '.join(missing)}")
    onnx.save(proto, path)


def analog_nodes(proto) -> List:
    """The Conv/Gemm nodes outside denoiser blocks, in graph (= forward) order."""
    return [n for n in proto.graph.node if n.op_type in ("Conv", "Gemm")
            and nets.DENOISER_TAG not in n.name]


@torch.no_grad()
def load_backbone(arch: str, onnx_path: str) -> nn.Module:
    """The architecture without BatchNorm, weights taken from an exported (BN-folded) model: the analog
    nodes of the graph in order, matched to the sites in forward order (shapes checked)."""
    import onnx
    from onnx import numpy_helper
    proto = onnx.load(onnx_path)
    init = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    model = nets.build(arch, bn=False)
    nodes = analog_nodes(proto)
    site_list = nets.sites(model)
    if len(nodes) != len(site_list):
        raise ValueError(f"{onnx_path}: {len(nodes)} Conv/Gemm nodes, but {arch} has {len(site_list)} layers")
    for node, (name, site) in zip(nodes, site_list):
        w = torch.from_numpy(init[node.input[1]].copy())
        b = torch.from_numpy(init[node.input[2]].copy()) if len(node.input) > 2 else None
        if tuple(w.shape) != tuple(site.layer.weight.shape):
            raise ValueError(f"{onnx_path}: node {node.name} weight {tuple(w.shape)} does not fit layer {name} "
                             f"{tuple(site.layer.weight.shape)}")
        site.layer.weight.copy_(w)
        if b is not None:
            site.layer.bias.copy_(b)
        else:
            site.layer.bias.zero_()
    return model


# ------------------------------------------------------------------------------------ QAT set-up


@torch.no_grad()
def relu_percentile(model: nn.Module, x: torch.Tensor, q: float = 99.9) -> float:
    """The q-th percentile of all ReLU outputs of the model (pooled over layers) on images x."""
    rs = nets.relus(model)
    rec: List[torch.Tensor] = []
    for r in rs:
        r.record = rec
    try:
        logits(model, x)
    finally:
        for r in rs:
            r.record = None
    allv = torch.cat(rec)
    if allv.numel() > 2_000_000:
        allv = allv[torch.randperm(allv.numel(), generator=torch.Generator().manual_seed(0))[:2_000_000]]
    return float(torch.quantile(allv.double(), q / 100.0))


def make_qat(model: nn.Module, bits: int, act_range: float) -> None:
    """Constant-scale QAT (Paper B): per-output-channel weights on `bits` bits and every ReLU quantized to
    `bits` bits with ONE fixed step act_range / (2^bits - 1) for the whole network."""
    for _, s in nets.sites(model):
        s.weight_bits = bits
    for r in nets.relus(model):
        r.bits = bits
        r.step = act_range / (2 ** bits - 1)


# -------------------------------------------------------------------------------- NIT (Paper B)


def sigma_ramp(model: nn.Module, sigma: float, ramp: float) -> Callable[[float], None]:
    """on_step callback: sigma grows linearly from 0 over the first `ramp` fraction of training."""
    def step(progress: float) -> None:
        s = sigma if ramp <= 0 else sigma * min(1.0, progress / ramp)
        for _, site in nets.sites(model):
            site.sigma_abs = s
    return step


# ------------------------------------------------------------------------ denoisers (Paper A)


def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 250) -> Dict[str, float]:
    """Mean over images of ||dL/dy_l|| at every conv site's output (clean model, cross-entropy): the
    first-order loss sensitivity to additive noise on that layer (Paper A's insertion criterion)."""
    model.eval()
    conv_sites = [(n, s) for n, s in nets.sites(model) if s.is_conv]
    outs: Dict[str, torch.Tensor] = {}
    hooks = []
    for n, s in conv_sites:
        def hook(mod, inp, out, n=n):
            out.retain_grad()
            outs[n] = out
        hooks.append(s.register_forward_hook(hook))
    total = {n: 0.0 for n, _ in conv_sites}
    try:
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].clone().requires_grad_(True)
            loss = F.cross_entropy(model(xb), y[i:i + batch], reduction="sum")  # per-image gradients
            loss.backward()
            for n, _ in conv_sites:
                total[n] += float(outs[n].grad.flatten(1).norm(dim=1).sum())
            model.zero_grad(set_to_none=True)
    finally:
        for h in hooks:
            h.remove()
    return {n: v / len(x) for n, v in total.items()}


PLACEMENTS = ("gradnorm", "uniform", "random", "every")


def plan_blocks(model: nn.Module, placement: str, budget_pct: float, ratio: int,
                scores: Optional[Dict[str, float]] = None, seed: int = 0) -> List[Tuple[str, int]]:
    """Which conv sites get a block and with how many reduced channels, spending at most budget_pct % of
    the backbone's parameters:
      gradnorm  sites by decreasing gradient norm, each added if it still fits (channels C / ratio);
      uniform   the most blocks (C / ratio) that fit, evenly spaced over the conv layers by depth (if not
                even one fits, the ratio doubles until one does);
      random    sites in a seeded random order, each added if it still fits;
      every     a block after every conv layer, with the smallest common ratio (2, 4, 8, ...) that fits
                (blocks that do not fit even at one channel are left out, last first).
    Returns [(site name, reduced channels)] in forward order."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement {placement!r}: expected one of {PLACEMENTS}")
    conv = [(n, s.out_channels) for n, s in nets.sites(model) if s.is_conv]
    budget = budget_pct / 100.0 * nets.backbone_params(model)

    def cr(c: int, r: int) -> int:
        return max(1, c // r)

    def cost(chosen: List[Tuple[str, int]]) -> int:
        ch = dict(conv)
        return sum(nets.block_params(ch[n], k) for n, k in chosen)

    chosen: List[Tuple[str, int]] = []
    if placement in ("gradnorm", "random"):
        if placement == "gradnorm":
            if scores is None:
                raise ValueError("gradnorm placement needs the gradient-norm scores")
            order = sorted(conv, key=lambda t: -scores[t[0]])
        else:
            order = list(conv)
            random.Random(seed).shuffle(order)
        for n, c in order:
            cand = chosen + [(n, cr(c, ratio))]
            if cost(cand) <= budget:
                chosen = cand
    elif placement == "uniform":
        r = ratio
        while not chosen:
            for k in range(len(conv), 0, -1):
                idx = sorted({min(len(conv) - 1, int((i + 0.5) * len(conv) / k)) for i in range(k)})
                cand = [(conv[i][0], cr(conv[i][1], r)) for i in idx]
                if cost(cand) <= budget:
                    chosen = cand
                    break
            if all(cr(c, r) == 1 for _, c in conv):
                break
            r *= 2
    else:  # every
        r = 2
        while True:
            cand = [(n, cr(c, r)) for n, c in conv]
            if cost(cand) <= budget or all(k == 1 for _, k in cand):
                break
            r *= 2
        while cand and cost(cand) > budget:
            cand.pop()
        chosen = cand
    names = [n for n, _ in conv]
    return sorted(chosen, key=lambda t: names.index(t[0]))


def attach_blocks(model: nn.Module, plan: Sequence[Tuple[str, int]]) -> List[nets.DenoiserBlock]:
    site = dict(nets.sites(model))
    return [site[n].attach_denoiser(i, k) for i, (n, k) in enumerate(plan)]


def denoiser_loss(nll_weight: float) -> Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]:
    """Loss for training the blocks of a frozen, noisy backbone: cross-entropy of the denoised network plus
    nll_weight x the Gaussian negative log-likelihood of each block's (mu, log sigma^2) for the deviation
    of its input from the clean network's activation at that point."""
    def loss(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        with_block = [s for _, s in nets.sites(model) if s.denoiser() is not None]
        # The clean reference: the same forward without noise and without blocks (the sites' outputs).
        saved = [(s, s.sigma_abs, s.denoiser_id) for _, s in nets.sites(model)]
        clean: Dict[int, torch.Tensor] = {}
        hooks = [s.register_forward_hook(lambda mod, inp, out, s=s: clean.__setitem__(id(s), out))
                 for s in with_block]
        try:
            with torch.no_grad():
                for s, _, _ in saved:
                    s.sigma_abs = 0.0
                    s.denoiser_id = None
                model(xb)
        finally:
            for h in hooks:
                h.remove()
            for s, sig, did in saved:
                s.sigma_abs, s.denoiser_id = sig, did
        inputs: Dict[int, torch.Tensor] = {}
        hooks = [s.denoiser().register_forward_pre_hook(
            lambda mod, inp, s=s: inputs.__setitem__(id(s), inp[0])) for s in with_block]
        try:
            out = model(xb)
        finally:
            for h in hooks:
                h.remove()
        total = F.cross_entropy(out, yb)
        if nll_weight > 0:
            for s in with_block:
                mu, logvar = s.denoiser().last
                z = inputs[id(s)] - clean[id(s)]
                total = total + nll_weight * 0.5 * (logvar + (z - mu) ** 2 * torch.exp(-logvar)).mean()
        return total
    return loss


def freeze(model: nn.Module) -> None:
    for p in model.parameters():
        p.requires_grad_(False)


def block_parameters(model: nn.Module) -> List[nn.Parameter]:
    ps: List[nn.Parameter] = []
    for _, s in nets.sites(model):
        if s.denoiser() is not None:
            for p in s.denoiser().parameters():
                p.requires_grad_(True)
                ps.append(p)
    return ps


# ---------------------------------------------------------------------------- reference images


@torch.no_grad()
def safe_reference_images(model: nn.Module, x: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of n images whose quantized activations (if any) are far from a rounding boundary, so that
    float round-off between PyTorch and mxsim cannot flip a level: the images with the largest minimum
    distance of any Round input to a .5 boundary. Without quantizers: the first n."""
    rs = [r for r in nets.relus(model) if r.bits is not None]
    if not rs:
        return torch.arange(n)
    margins = []
    for i in range(min(len(x), 20 * n)):
        rec: List[torch.Tensor] = []
        for r in rs:
            r.record = rec
        logits(model, x[i:i + 1])
        for r in rs:
            r.record = None
        m = float("inf")
        for r, v in zip(rs, rec):
            u = v.double() / r.step
            u = u[(u > 0.5) & (u < 2 ** r.bits - 1.5)]  # clipped values have no boundary nearby
            if u.numel():
                m = min(m, float((u - torch.floor(u) - 0.5).abs().min()))
        margins.append(m)
    return torch.tensor(np.argsort(-np.array(margins), kind="stable")[:n].copy())
