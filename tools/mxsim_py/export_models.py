#!/usr/bin/python3
"""Export seeded, randomly initialised PyTorch models to ONNX with reference inputs and logits.

These models exercise mxsim's ONNX importer on what ``torch.onnx.export`` really emits (rather than
hand-built graphs): torchvision ResNet-18, MobileNet-V2 and a VGG-11 variant at 224x224, and a small
"op-coverage" net that packs most layer types PyTorch CNNs use into one 3x32x32 graph, exported at
opsets 11, 13 and 17.

Usage (use Debian's /usr/bin/python3, which has torch, torchvision and onnx; no network access --
every model is built with ``weights=None``):

    /usr/bin/python3 tools/mxsim_py/export_models.py --out DIR [--only STEM[,STEM...]] [--list]

For every model ``<stem>`` it writes into DIR:

    <stem>.onnx          eval mode, do_constant_folding=True, input "input", output "logits"
    <stem>_input.npy     float32 [2, C, H, W], seeded standard-normal inputs
    <stem>_logits.npy    float32 [2, classes], PyTorch's eval-mode outputs for those inputs
    <stem>_meta.json     opset, dynamic batch or not, ONNX op types (with counts), per-image MACs
                         of Conv/Linear/MatMul counted with forward hooks, PyTorch parameter count,
                         an upper bound on the 128x128 crossbar arrays needed
and DIR/models.json, the list of all the meta records, which tests/cli/torch_models.sh reads.

It prints one line per model: stem, opset, batch axis, MACs and the op types of the export.

As a module::

    from mxsim_py.export_models import MODELS, export_model
    meta = export_model(MODELS["resnet18_op11"], "/tmp/models")

Everything is deterministic: each model has a fixed seed for its weights (torch.manual_seed) and its
inputs (numpy default_rng). BatchNorm affine parameters are randomised and its running statistics
measured on a seeded random batch, so BN folding is actually exercised (freshly initialised BN is the
identity) and the logits of the two reference images differ clearly (a deep random net with default BN
statistics saturates, making every image's logits almost the same).

The exported graphs were checked against an independent float64 evaluation of the ONNX semantics (all
six within 4e-6 of PyTorch), so a mismatch with mxsim is mxsim's, not the exporter's.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import io
import json
import math
import os
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

__all__ = ["ModelSpec", "MODELS", "OpCoverageNet", "build_model", "count_macs", "export_model",
           "onnx_op_counts", "main"]

BATCH = 2                 # images per reference input
ARRAY_ROWS = ARRAY_COLS = 128   # crossbar size of sim/presets/default.yaml, for the array estimate


# --------------------------------------------------------------------------------------- models
class OpCoverageNet(nn.Module):
    """A 3x32x32 -> 10 CNN touching most layer types PyTorch exporters emit for CNNs.

    Shapes are per image. The ONNX op(s) each step exports to are in brackets; opset-dependent
    spellings are noted (e.g. Hardswish is HardSigmoid+Mul before opset 14, HardSwish from 14).
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        # Input normalisation by per-channel constants [Sub, Div with [1,3,1,1] initializers].
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        # Stem: Conv + BatchNorm (folded into the Conv by the exporter) + ReLU6 [Conv, Clip].
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        # Grouped conv, 4 groups of 4 -> 8 channels [Conv group=4, LeakyRelu].
        self.grouped = nn.Conv2d(16, 32, 3, padding=1, groups=4)
        # Depthwise strided conv 32x32 -> 16x16, then pointwise + Hardswish [Conv group=32, Conv].
        self.depthwise = nn.Conv2d(32, 32, 3, stride=2, padding=1, groups=32)
        self.pointwise = nn.Conv2d(32, 32, 1)
        # Dilated conv; its sum with the branch input feeds a BatchNorm that cannot be folded
        # [Conv dilations=2, Add, BatchNormalization].
        self.dilated = nn.Conv2d(32, 32, 3, padding=2, dilation=2)
        self.add_bn = nn.BatchNorm2d(32)
        # Squeeze-excite: global pool, squeeze to [N, C], two Linears, Hardsigmoid, unsqueeze back to
        # [N, C, 1, 1] and Mul broadcast over [N, C, H, W]
        # [GlobalAveragePool, Squeeze, Gemm, Relu, Gemm, HardSigmoid, Unsqueeze, Mul].
        self.se_fc1 = nn.Linear(32, 8)
        self.se_fc2 = nn.Linear(8, 32)
        # Per-channel constant scale [C, 1, 1] [Mul by an initializer].
        self.channel_scale = nn.Parameter(torch.empty(32, 1, 1))
        # Channel attention: softmax over channels of a 1x1 conv [Conv, Softmax axis=1 (opset >= 13)
        # or Transpose-Softmax-Transpose (opset 11), Mul, Add].
        self.attention = nn.Conv2d(32, 32, 1)
        # Spatial gate: one-channel map, Sigmoid, Mul broadcast [1,H,W] over [C,H,W].
        self.spatial = nn.Conv2d(32, 1, 3, padding=1)
        # Two pools with ceil_mode (16 -> 9: the last window hangs over the bottom/right edge, i.e.
        # effective asymmetric padding) concatenated on channels
        # [AveragePool ceil_mode=1 count_include_pad=0, MaxPool ceil_mode=1 dilations=2, Concat].
        self.avgpool = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.maxpool = nn.MaxPool2d(2, stride=2, padding=1, dilation=2, ceil_mode=True)
        # Head: H/W transpose, strided conv 9x9 -> 4x4, NHWC permute, flatten with
        # x.view(x.size(0), -1) [Transpose, Conv, Relu, Transpose, Reshape (+ Shape, Gather,
        # Unsqueeze, Concat with a dynamic batch)], matmul by a constant [MatMul], Linear [Gemm].
        self.head = nn.Conv2d(64, 16, 3, stride=2)
        self.proj = nn.Parameter(torch.empty(16 * 4 * 4, 64))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(64, num_classes)
        nn.init.uniform_(self.channel_scale, 0.5, 1.5)
        nn.init.normal_(self.proj, std=1.0 / math.sqrt(self.proj.shape[0]))

    def extra_macs_per_image(self) -> int:
        """MACs of the matmul by self.proj, which the Conv2d/Linear hooks of count_macs miss."""
        return self.proj.shape[0] * self.proj.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        x = x + 0.25                                        # Add of a scalar constant
        x = F.relu6(self.stem_bn(self.stem(x)))
        x = F.leaky_relu(self.grouped(x), 0.1)
        d = F.hardswish(self.pointwise(self.depthwise(x)))
        r = self.add_bn(self.dilated(d) + d)
        s = F.adaptive_avg_pool2d(r, 1).squeeze(3).squeeze(2)
        s = F.hardsigmoid(self.se_fc2(F.relu(self.se_fc1(s))))
        r = r * s.unsqueeze(2).unsqueeze(3)
        r = r * self.channel_scale
        r = r + r * torch.softmax(self.attention(r), dim=1)
        r = r * torch.sigmoid(self.spatial(r))
        c = torch.cat([self.avgpool(r), self.maxpool(r)], dim=1)
        c = c.permute(0, 1, 3, 2)
        h = F.relu(self.head(c))
        h = h.permute(0, 2, 3, 1).contiguous()
        f = h.view(h.size(0), -1)
        f = F.relu(torch.matmul(f, self.proj))
        return self.fc(self.dropout(f))


class Vgg11Small(nn.Module):
    """torchvision VGG-11's convolutional features and its AdaptiveAvgPool2d((7, 7)) with a small
    classifier head (25088 -> 64 -> 10) instead of the 123M-parameter one."""

    def __init__(self) -> None:
        super().__init__()
        vgg = torchvision.models.vgg11(weights=None)
        self.features = vgg.features
        self.avgpool = vgg.avgpool
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(512 * 7 * 7, 64), nn.ReLU(inplace=True),
                                        nn.Dropout(0.5), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)))


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One model to export: how to build it and how to export it."""
    stem: str                         # file stem: <stem>.onnx, <stem>_input.npy, ...
    build: Callable[[], nn.Module]    # constructs the model (weights drawn after torch.manual_seed)
    input_shape: Tuple[int, ...]      # per-image input shape
    opset: int
    dynamic_batch: bool               # batch axis symbolic ("N") in the ONNX graph, else fixed at BATCH
    seed: int
    description: str


def _specs() -> Dict[str, ModelSpec]:
    specs = [
        ModelSpec("resnet18_op11", lambda: torchvision.models.resnet18(weights=None, num_classes=1000),
                  (3, 224, 224), 11, False, 1011, "torchvision resnet18, 1000 classes"),
        ModelSpec("mobilenet_v2_op13", lambda: torchvision.models.mobilenet_v2(weights=None),
                  (3, 224, 224), 13, True, 2013, "torchvision mobilenet_v2, 1000 classes"),
        ModelSpec("vgg11_op17", Vgg11Small, (3, 224, 224), 17, False, 3017,
                  "torchvision vgg11 features + AdaptiveAvgPool2d((7,7)) + 25088-64-10 head"),
        ModelSpec("opcov_op11", OpCoverageNet, (3, 32, 32), 11, False, 4011, "op-coverage net"),
        ModelSpec("opcov_op13", OpCoverageNet, (3, 32, 32), 13, True, 4013, "op-coverage net"),
        ModelSpec("opcov_op17", OpCoverageNet, (3, 32, 32), 17, True, 4017, "op-coverage net"),
    ]
    return {s.stem: s for s in specs}


#: Every exportable model, by stem, in export order.
MODELS: Dict[str, ModelSpec] = _specs()


def _randomise_batchnorm(model: nn.Module, gen: torch.Generator) -> None:
    """Give every BatchNorm non-trivial statistics and affine parameters (fresh BN is the identity
    in eval mode, which would hide folding mistakes)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))


def _calibrate_batchnorm(model: nn.Module, x: torch.Tensor) -> None:
    """Set every BatchNorm's running statistics to its input's statistics on the batch x.

    A randomly initialised deep net with BN in eval mode (mean 0, variance 1) drifts: activations
    saturate (ReLU6) or vanish layer after layer until the logits hardly depend on the input. With
    statistics measured on data, each BN normalises, so the logits of different images differ
    clearly -- and the statistics are still far from the trivial 0 and 1 BN folding must handle.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None          # cumulative average: after one batch, exactly that batch's stats
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()


def build_model(spec: ModelSpec) -> nn.Module:
    """The model of spec in eval mode, with seeded random weights (see _randomise_batchnorm and
    _calibrate_batchnorm for the BatchNorm parameters and statistics)."""
    torch.manual_seed(spec.seed)
    model = spec.build()
    gen = torch.Generator().manual_seed(spec.seed + 1)
    _randomise_batchnorm(model, gen)
    _calibrate_batchnorm(model, torch.randn((8,) + spec.input_shape, generator=gen))
    return model.eval()


# ---------------------------------------------------------------------------------- analysis
def count_macs(model: nn.Module, x: torch.Tensor) -> Tuple[int, int]:
    """(MACs per image, crossbar-array upper bound) of the Conv2d and Linear layers of model on x,
    measured with forward hooks, plus model.extra_macs_per_image() if it defines one.

    Conv2d: out_h * out_w * Cout * (Cin / groups) * kh * kw. Linear: in * out per output row.
    Arrays: each layer's weight matrix (K x Cout) cut into ARRAY_ROWS x ARRAY_COLS blocks; for a
    grouped conv the larger of mapping the groups separately or as one block-diagonal matrix.
    """
    macs = [0]
    arrays = [0]
    n = x.shape[0]

    def blocks(rows: int, cols: int) -> int:
        return math.ceil(rows / ARRAY_ROWS) * math.ceil(cols / ARRAY_COLS)

    def conv_hook(m: nn.Conv2d, _inp, out) -> None:
        k = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        macs[0] += (out.numel() // n) * k
        per_group = m.groups * blocks(k, m.out_channels // m.groups)
        block_diag = blocks(k * m.groups, m.out_channels)
        arrays[0] += max(per_group, block_diag)

    def linear_hook(m: nn.Linear, _inp, out) -> None:
        macs[0] += (out.numel() // n) * m.in_features
        arrays[0] += blocks(m.in_features, m.out_features)

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    extra = getattr(model, "extra_macs_per_image", None)
    if extra is not None:
        macs[0] += extra()
        arrays[0] += blocks(model.proj.shape[0], model.proj.shape[1])
    return macs[0], arrays[0]


def onnx_op_counts(model_proto: onnx.ModelProto) -> Dict[str, int]:
    """{op_type: count} over the main graph's nodes (domain-qualified if not the default domain)."""
    counts: Dict[str, int] = collections.Counter()
    for node in model_proto.graph.node:
        name = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}:{node.op_type}"
        counts[name] += 1
    return dict(sorted(counts.items()))


def _dims_text(vi: onnx.ValueInfoProto) -> List[object]:
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


# ------------------------------------------------------------------------------------ export
def export_model(spec: ModelSpec, out_dir: str) -> Dict[str, object]:
    """Export spec into out_dir (ONNX, reference input and logits, meta JSON); returns the meta."""
    t0 = time.monotonic()
    os.makedirs(out_dir, exist_ok=True)
    model = build_model(spec)
    rng = np.random.default_rng(spec.seed)
    x_np = rng.standard_normal((BATCH,) + spec.input_shape, dtype=np.float32)
    x = torch.from_numpy(x_np)
    with torch.no_grad():
        logits = model(x).numpy().astype(np.float32)
    macs, arrays = count_macs(model, x)

    onnx_path = os.path.join(out_dir, spec.stem + ".onnx")
    dynamic_axes = {"input": {0: "N"}, "logits": {0: "N"}} if spec.dynamic_batch else None
    # The dummy has the reference batch size, so a fixed-batch graph is valid (in ONNX semantics) for
    # the reference input: its constant Reshape shapes, e.g. [2, 256] from x.view(x.size(0), -1)
    # folded at export, are only right for that batch.
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros((BATCH,) + spec.input_shape), buf,
                          export_params=True, opset_version=spec.opset, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, input_names=["input"],
                          output_names=["logits"], dynamic_axes=dynamic_axes)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    with open(onnx_path, "wb") as f:
        f.write(buf.getvalue())
    np.save(os.path.join(out_dir, spec.stem + "_input.npy"), x_np)
    np.save(os.path.join(out_dir, spec.stem + "_logits.npy"), logits)

    meta = {
        "stem": spec.stem,
        "file": spec.stem + ".onnx",
        "input": spec.stem + "_input.npy",
        "logits": spec.stem + "_logits.npy",
        "description": spec.description,
        "opset": spec.opset,
        "dynamic_batch": spec.dynamic_batch,
        "onnx_input_shape": _dims_text(proto.graph.input[0]),
        "onnx_output_shape": _dims_text(proto.graph.output[0]),
        "seed": spec.seed,
        "ops": onnx_op_counts(proto),
        "macs_per_image": macs,
        "arrays_upper_bound": arrays,
        "torch_params": sum(p.numel() for p in model.parameters()),
        "onnx_bytes": len(buf.getvalue()),
        "export_seconds": round(time.monotonic() - t0, 2),
    }
    with open(os.path.join(out_dir, spec.stem + "_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="output directory")
    parser.add_argument("--only", default="", help="comma-separated stems to export (default: all)")
    parser.add_argument("--list", action="store_true", help="list the model stems and exit")
    args = parser.parse_args(argv)
    if args.list:
        for spec in MODELS.values():
            print(f"{spec.stem}\topset {spec.opset}\t{spec.description}")
        return 0
    if not args.out:
        parser.error("--out is required")
    stems = [s for s in args.only.split(",") if s] or list(MODELS)
    unknown = [s for s in stems if s not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)} (known: {', '.join(MODELS)})")

    torch.set_num_threads(2)
    metas = []
    for stem in stems:
        meta = export_model(MODELS[stem], args.out)
        metas.append(meta)
        ops = " ".join(f"{op}x{n}" if n > 1 else op for op, n in meta["ops"].items())
        batch = "dynamic" if meta["dynamic_batch"] else "fixed"
        print(f"{stem}: opset {meta['opset']}, batch {batch}, {meta['macs_per_image']:,} MACs, "
              f"{meta['torch_params']:,} params, {meta['export_seconds']} s; ops: {ops}", flush=True)
    with open(os.path.join(args.out, "models.json"), "w") as f:
        json.dump(metas, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
