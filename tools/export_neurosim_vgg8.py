#!/usr/bin/python3
"""Export the VGG-8 of NeuroSim's release examples to ONNX, with seeded random weights.

This is the network DNN+NeuroSim V1.3/V1.4 benchmarks on CIFAR-10 (its NetWork_VGG8.csv and
models/VGG.py; see docs/neurosim_reference.md): 32x32x3 input,

    conv3x3 128, conv3x3 128, maxpool 2
    conv3x3 256, conv3x3 256, maxpool 2
    conv3x3 512, conv3x3 512, maxpool 2
    fc 8192 -> 1024, fc 1024 -> 10

every conv with padding 1 ("same") and ReLU, ReLU after the first FC, no batch norm and no biases
(NeuroSim's quantised layers carry none). 615,917,568 MACs per image, i.e. the 1.2318e9 operations
(2 per MAC) that NeuroSim's TOPS figures divide by.

Weights are random (torch.manual_seed) because mxsim's latency and energy do not depend on weight
values; the network is not trained and its logits mean nothing. Use it for timing/energy/area
comparisons with sim/presets/neurosim.yaml, not for accuracy.

Usage (Debian's /usr/bin/python3 with python3-torch and python3-onnx; no network access):

    /usr/bin/python3 tools/export_neurosim_vgg8.py OUT.onnx [--seed N] [--opset N] [--batch N]

The graph has a fixed batch (default 1) so the flatten before the first FC exports as a constant
reshape; input "input" [batch, 3, 32, 32], output "logits" [batch, 10].
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from typing import Optional, Sequence

import onnx
import torch
import torch.nn as nn

# (kind, channels) in NeuroSim's VGG-8 order; "M" is a 2x2 max-pool with stride 2.
FEATURES = [("C", 128), ("C", 128), ("M", 0),
            ("C", 256), ("C", 256), ("M", 0),
            ("C", 512), ("C", 512), ("M", 0)]
HIDDEN = 1024
CLASSES = 10
INPUT_SHAPE = (3, 32, 32)


class NeuroSimVgg8(nn.Module):
    """VGG-8 as in DNN+NeuroSim's CIFAR-10 example (no BN, no bias)."""

    def __init__(self) -> None:
        super().__init__()
        layers = []
        cin = INPUT_SHAPE[0]
        for kind, cout in FEATURES:
            if kind == "C":
                layers += [nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False), nn.ReLU()]
                cin = cout
            else:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        self.features = nn.Sequential(*layers)
        side = INPUT_SHAPE[1] // 8          # three 2x2 pools: 32 -> 4
        self.classifier = nn.Sequential(
            nn.Linear(cin * side * side, HIDDEN, bias=False), nn.ReLU(),
            nn.Linear(HIDDEN, CLASSES, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def macs_per_image(model: nn.Module) -> int:
    """Conv and Linear MACs of one 32x32 image, counted from the modules' shapes."""
    total = 0
    side = INPUT_SHAPE[1]
    for m in model.features:
        if isinstance(m, nn.Conv2d):
            total += side * side * m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.MaxPool2d):
            side //= 2
    for m in model.classifier:
        if isinstance(m, nn.Linear):
            total += m.in_features * m.out_features
    return total


def export(path: str, seed: int = 1, opset: int = 13, batch: int = 1) -> int:
    """Write the ONNX file to path; returns the MACs per image."""
    torch.manual_seed(seed)
    model = NeuroSimVgg8().eval()
    # Kaiming-uniform defaults shrink activations layer by layer without BN; rescale each layer so
    # activations keep a unit-order range (weights are arbitrary anyway, this only keeps the random
    # logits away from all-zero after eight ReLU layers).
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros((batch,) + INPUT_SHAPE), buf, export_params=True,
                          opset_version=opset, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, input_names=["input"],
                          output_names=["logits"])
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    out_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return macs_per_image(model)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output .onnx path")
    parser.add_argument("--seed", type=int, default=1, help="torch seed for the weights (default 1)")
    parser.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    parser.add_argument("--batch", type=int, default=1, help="fixed batch of the graph (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    macs = export(args.out, seed=args.seed, opset=args.opset, batch=args.batch)
    print(f"{args.out}: NeuroSim VGG-8, input [{args.batch}, 3, 32, 32], {macs:,} MACs per image "
          f"({2 * macs:.4e} ops), seed {args.seed}, opset {args.opset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
