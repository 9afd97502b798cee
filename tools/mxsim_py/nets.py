"""The zoo's networks for 28x28 Fashion-MNIST, and the pieces the training modes plug into them.

Every analog layer (a Conv2d or Linear, with the BatchNorm that folds into it) is wrapped in a `Site`.
A site is where mxsim puts its activation noise and where a denoiser block can go:

    y = layer(x)                   conv / linear
    y = bn(y)                      if the site has a BatchNorm (folded into the layer on export)
    y = y + sigma_l * eps          activation noise, eps ~ N(0, 1) per element and per forward pass
    y = denoiser(y)                optional block, exported with node names /.../mxsim_denoiser_<id>/...

This is mxsim's definition (models/noise/activation_noise.h): additive Gaussian on the output of every
analog layer after its bias (BN folded), before the activation function; sigma_l absolute, or relative to
the layer's max |y| or std(y) measured on calibration images, with the noise of earlier layers already
present while a later layer calibrates. Denoiser blocks and digital layers get no noise.

Every ReLU is a `QRelu`, which constant-scale QAT turns into a fake quantizer; every weight of a site can
be fake-quantized per output channel (`Site.weight_bits`).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

DENOISER_TAG = "mxsim_denoiser_"

# ----------------------------------------------------------------------------------------- noise


class NoiseSpec:
    """mxsim's `noise.activation`: mode (none | absolute | relative_max | relative_std) and sigma.

    For the relative modes `calibrate()` must run first: each site stores sigma x (max|y| or std(y))
    of its clean-of-own-noise output over the calibration images, exactly as mxsim's calibration pass."""

    MODES = ("none", "absolute", "relative_max", "relative_std")

    def __init__(self, mode: str = "none", sigma: float = 0.0):
        if mode not in self.MODES:
            raise ValueError(f"noise mode {mode!r}: expected one of {self.MODES}")
        if sigma < 0:
            raise ValueError(f"noise sigma must be >= 0, got {sigma}")
        self.mode, self.sigma = mode, float(sigma)

    @property
    def active(self) -> bool:
        return self.mode != "none" and self.sigma > 0

    def __repr__(self) -> str:
        return f"NoiseSpec({self.mode}, {self.sigma})"


# ----------------------------------------------------------------------------------- quantizers


def fake_quant_weight(w: torch.Tensor, bits: int) -> torch.Tensor:
    """Symmetric per-output-channel quantization to `bits` bits, scale max|w_c| / (2^(bits-1) - 1), with a
    straight-through gradient."""
    levels = 2 ** (bits - 1) - 1
    flat = w.detach().reshape(w.shape[0], -1)
    scale = flat.abs().amax(dim=1).clamp_min(1e-12) / levels
    scale = scale.reshape([-1] + [1] * (w.dim() - 1))
    q = torch.clamp(torch.round(w / scale), -levels, levels) * scale
    return w + (q - w).detach()


class QRelu(nn.Module):
    """ReLU; with `bits` set, constant-scale activation quantization (Paper B): y = clip(round(relu(x)/s),
    0, 2^bits - 1) * s with a fixed step s (range (2^bits - 1) * s), straight-through in training. Exported
    as Relu -> Div -> Round -> Clip -> Mul, which mxsim runs on its digital unit."""

    def __init__(self):
        super().__init__()
        self.bits: Optional[int] = None
        self.step: float = 0.0
        self.record: Optional[List[torch.Tensor]] = None  # calibration: collects outputs when set

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(x)
        if self.record is not None:
            self.record.append(y.detach().flatten())
        if self.bits is None:
            return y
        top = float(2 ** self.bits - 1)
        if self.training:
            q = torch.clamp(torch.round(y / self.step), 0.0, top) * self.step
            return y + (q - y).detach()
        return torch.clamp(torch.round(y / self.step), 0.0, top) * self.step


# -------------------------------------------------------------------------------------- denoiser


class DenoiserBlock(nn.Module):
    """Paper A's probabilistic block on a C-channel map (reconstruction, see docs/denoiser.md):
    h = ReLU(conv3x3(ReLU(conv1x1_reduce(x)))); mu, log sigma^2 = 1x1 heads of h;
    mean mode y = x - mu, sample mode y = x - (mu + sigma * eps). The heads start at zero (identity block).
    Both heads are exported: mu on the path (y = x - mu), log sigma^2 as a side node mxsim runs in sample
    mode (training.add_logvar_heads)."""

    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.channels, self.reduced = channels, reduced
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.conv3 = nn.Conv2d(reduced, reduced, 3, padding=1)
        self.mu = nn.Conv2d(reduced, channels, 1)
        self.logvar = nn.Conv2d(reduced, channels, 1)
        for head in (self.mu, self.logvar):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        self.sample = False
        self.last: Optional[Tuple[torch.Tensor, torch.Tensor]] = None  # (mu, logvar) of the last pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv3(F.relu(self.reduce(x))))
        mu = self.mu(h)
        if self.training or self.sample:
            logvar = self.logvar(h)
            self.last = (mu, logvar)
            if self.sample:
                return x - (mu + torch.exp(0.5 * logvar) * torch.randn_like(mu))
        return x - mu

    def deployed_params(self) -> int:
        """Parameters of the exported (mean-mode) block: reduce, 3x3 and mu head, weights and biases."""
        return block_params(self.channels, self.reduced)


def block_params(c: int, cr: int) -> int:
    """Exported parameter count of a mean-mode block on c channels reduced to cr."""
    return (c * cr + cr) + (cr * cr * 9 + cr) + (cr * c + c)


# ------------------------------------------------------------------------------------------ sites


class Site(nn.Module):
    """One analog layer: conv or linear (+ BatchNorm), then activation noise, then an optional denoiser."""

    def __init__(self, layer: nn.Module, bn: Optional[nn.Module] = None):
        super().__init__()
        self.layer = layer
        self.bn = bn
        self.weight_bits: Optional[int] = None
        self.noise: Optional[NoiseSpec] = None
        self.sigma_abs = 0.0          # resolved absolute sigma of this layer
        self.calibrating = False      # next forward measures max|y| / std(y) and sets sigma_abs
        self.denoiser_id: Optional[int] = None

    @property
    def is_conv(self) -> bool:
        return isinstance(self.layer, nn.Conv2d)

    @property
    def out_channels(self) -> int:
        return self.layer.out_channels if self.is_conv else self.layer.out_features

    def denoiser(self) -> Optional[DenoiserBlock]:
        return None if self.denoiser_id is None else getattr(self, DENOISER_TAG + str(self.denoiser_id))

    def attach_denoiser(self, block_id: int, reduced: int) -> DenoiserBlock:
        if not self.is_conv:
            raise ValueError("denoiser blocks go after conv layers only (they need a feature map)")
        if self.denoiser_id is not None:
            raise ValueError("this site already has a denoiser block")
        block = DenoiserBlock(self.out_channels, reduced)
        setattr(self, DENOISER_TAG + str(block_id), block)
        self.denoiser_id = block_id
        return block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight_bits is not None:
            w = fake_quant_weight(self.layer.weight, self.weight_bits)
            if self.is_conv:
                c = self.layer
                y = F.conv2d(x, w, c.bias, c.stride, c.padding, c.dilation, c.groups)
            else:
                y = F.linear(x, w, self.layer.bias)
        else:
            y = self.layer(x)
        if self.bn is not None:
            y = self.bn(y)
        if self.noise is not None and self.noise.active:
            if self.calibrating:
                d = y.detach().double()
                if self.noise.mode == "absolute":
                    self.sigma_abs = self.noise.sigma
                elif self.noise.mode == "relative_max":
                    self.sigma_abs = self.noise.sigma * float(d.abs().max())
                else:  # relative_std, population std over every element (as mxsim)
                    self.sigma_abs = self.noise.sigma * float(d.std(unbiased=False))
            if self.sigma_abs > 0:
                y = y + self.sigma_abs * torch.randn_like(y)
        block = self.denoiser()
        if block is not None:
            y = block(y)
        return y


def conv_site(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, bn: bool = True) -> Site:
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=not bn)
    return Site(conv, nn.BatchNorm2d(cout) if bn else None)


def linear_site(cin: int, cout: int) -> Site:
    return Site(nn.Linear(cin, cout))


# --------------------------------------------------------------------------------- architectures


class LeNet5(nn.Module):
    """LeNet-5 for 28x28: conv5x5(6, pad 2)-ReLU-maxpool2, conv5x5(16)-ReLU-maxpool2, FC 400-120-84-10.
    No BatchNorm (as the original and Paper B)."""

    def __init__(self, bn: bool = False):
        super().__init__()
        del bn  # LeNet-5 has no BatchNorm either way
        self.c1 = Site(nn.Conv2d(1, 6, 5, padding=2))
        self.r1 = QRelu()
        self.c2 = Site(nn.Conv2d(6, 16, 5))
        self.r2 = QRelu()
        self.f1 = linear_site(16 * 5 * 5, 120)
        self.r3 = QRelu()
        self.f2 = linear_site(120, 84)
        self.r4 = QRelu()
        self.f3 = linear_site(84, 10)

    def forward(self, x):
        x = F.max_pool2d(self.r1(self.c1(x)), 2)
        x = F.max_pool2d(self.r2(self.c2(x)), 2)
        x = torch.flatten(x, 1)
        return self.f3(self.r4(self.f2(self.r3(self.f1(x)))))


class Vgg8(nn.Module):
    """VGG-style: [16,16,M,32,32,M,64,64,M] conv3x3-BN-ReLU, then FC 576-10 (7 convs would not pool to
    3x3; 28 -> 14 -> 7 -> 3)."""

    CFG = (16, 16, "M", 32, 32, "M", 64, 64, "M")

    def __init__(self, bn: bool = True):
        super().__init__()
        layers: List[nn.Module] = []
        c = 1
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [conv_site(c, v, 3, bn=bn), QRelu()]
                c = v
        self.features = nn.Sequential(*layers)
        self.fc = linear_site(c * 3 * 3, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3-BN-ReLU, conv3x3-BN, + shortcut (identity, or 1x1 conv-BN when the
    shape changes), ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool):
        super().__init__()
        self.a = conv_site(cin, cout, 3, stride, bn=bn)
        self.ra = QRelu()
        self.b = conv_site(cout, cout, 3, bn=bn)
        self.short = conv_site(cin, cout, 1, stride, bn=bn) if (stride != 1 or cin != cout) else None
        self.out = QRelu()

    def forward(self, x):
        y = self.b(self.ra(self.a(x)))
        # The shortcut runs after the main path so that forward order equals registration order.
        return self.out(y + (x if self.short is None else self.short(x)))


class ResNet20(nn.Module):
    """ResNet-20 (He et al. 2016, CIFAR variant) for 28x28 at half width: conv3x3(8)-BN-ReLU, 3 stages x 3
    basic blocks of 8, 16, 32 channels (stride 2 entering stages 2 and 3: 28 -> 14 -> 7), global average
    pool, FC 32-10. 19 conv layers + FC = 20 weight layers (plus two 1x1 projection shortcuts). Half the
    CIFAR widths (16, 32, 64) keeps an epoch on 2 CPU cores near a minute; the depth is the original."""

    def __init__(self, bn: bool = True, widths: Sequence[int] = (8, 16, 32), blocks: int = 3):
        super().__init__()
        self.stem = conv_site(1, widths[0], 3, bn=bn)
        self.rs = QRelu()
        layers: List[nn.Module] = []
        c = widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks):
                layers.append(BasicBlock(c, w, 2 if (j == 0 and i > 0) else 1, bn))
                c = w
        self.layers = nn.Sequential(*layers)
        self.fc = linear_site(c, 10)

    def forward(self, x):
        x = self.layers(self.rs(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MobileNet(nn.Module):
    """MobileNet-style (Howard et al. 2017, depthwise separable): conv3x3(16)-BN-ReLU, then five
    [depthwise 3x3-BN-ReLU, pointwise 1x1-BN-ReLU] blocks 16->32, 32->64 (s2), 64->64, 64->128 (s2),
    128->128, global average pool, FC 128-10."""

    CFG = ((16, 32, 1), (32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1))

    def __init__(self, bn: bool = True):
        super().__init__()
        layers: List[nn.Module] = [conv_site(1, 16, 3, bn=bn), QRelu()]
        for cin, cout, s in self.CFG:
            layers += [conv_site(cin, cin, 3, s, groups=cin, bn=bn), QRelu(),
                       conv_site(cin, cout, 1, bn=bn), QRelu()]
        self.features = nn.Sequential(*layers)
        self.fc = linear_site(128, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


ARCHITECTURES = {"lenet5": LeNet5, "vgg8": Vgg8, "resnet20": ResNet20, "mobilenet": MobileNet}
ARCH_TITLES = {"lenet5": "LeNet-5", "vgg8": "VGG-8", "resnet20": "ResNet-20", "mobilenet": "MobileNet"}


def build(arch: str, bn: bool = True) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[arch](bn=bn)


# ---------------------------------------------------------------------------------------- helpers


def sites(model: nn.Module) -> List[Tuple[str, Site]]:
    """The analog sites in forward (= registration) order, with their module paths."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Site)]


def relus(model: nn.Module) -> List[QRelu]:
    return [m for m in model.modules() if isinstance(m, QRelu)]


def set_noise(model: nn.Module, spec: Optional[NoiseSpec]) -> None:
    """Set the activation-noise spec on every site; absolute sigma applies at once, relative modes need
    `calibrate_noise`."""
    for _, s in sites(model):
        s.noise = spec
        s.sigma_abs = spec.sigma if (spec is not None and spec.mode == "absolute") else 0.0


@torch.no_grad()
def calibrate_noise(model: nn.Module, x: torch.Tensor) -> None:
    """mxsim's calibration pass for the relative modes: one forward over the calibration images in which
    each site measures its output (earlier layers' noise already present) and then adds its own noise."""
    was = model.training
    model.eval()
    for _, s in sites(model):
        s.calibrating = True
    try:
        model(x)
    finally:
        for _, s in sites(model):
            s.calibrating = False
        model.train(was)


def backbone_params(model: nn.Module) -> int:
    """Deployed parameters of the backbone (BatchNorm folded: conv/linear weights and one bias per output
    channel), excluding denoiser blocks."""
    n = 0
    for _, s in sites(model):
        n += s.layer.weight.numel() + s.out_channels
    return n


def denoiser_params(model: nn.Module) -> int:
    return sum(s.denoiser().deployed_params() for _, s in sites(model) if s.denoiser() is not None)


@torch.no_grad()
def fold_batchnorm(model: nn.Module) -> None:
    """Fold every site's BatchNorm into its layer (eval statistics) and drop it; the function is
    unchanged in eval mode."""
    for _, s in sites(model):
        if s.bn is None:
            continue
        bn = s.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        conv = s.layer
        w = conv.weight * scale.reshape(-1, 1, 1, 1)
        b = (conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean))
        b = (b - bn.running_mean) * scale + bn.bias
        new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                        conv.dilation, conv.groups, bias=True)
        new.weight.copy_(w)
        new.bias.copy_(b)
        s.layer = new
        s.bn = None


@torch.no_grad()
def bake_weight_quantization(model: nn.Module) -> None:
    """Replace each fake-quantized weight by its quantized value (what gets exported and programmed)."""
    for _, s in sites(model):
        if s.weight_bits is not None:
            s.layer.weight.copy_(fake_quant_weight(s.layer.weight, s.weight_bits))
            s.weight_bits = None
