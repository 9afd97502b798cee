"""Unit tests of the training tools (tools/mxsim_py): quantizers, noise sites, BN folding, ONNX round trip,
gradient norms and the denoiser placement policies. Run by ctest as python.training (seconds, no dataset)."""
import math
import os
import sys
import tempfile
import unittest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from mxsim_py import nets, training  # noqa: E402
from mxsim_py.nets import NoiseSpec  # noqa: E402

torch.set_num_threads(1)


def trained_like(arch: str, seed: int = 0) -> torch.nn.Module:
    """A model with non-trivial BatchNorm statistics (random init + a few train-mode passes)."""
    torch.manual_seed(seed)
    m = nets.build(arch, bn=True)
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(32, 1, 28, 28))
    m.eval()
    return m


class Quantizers(unittest.TestCase):
    def test_weight_levels_per_channel(self):
        torch.manual_seed(1)
        w = torch.randn(6, 3, 3, 3)
        for bits in (4, 8):
            q = nets.fake_quant_weight(w, bits)
            levels = 2 ** (bits - 1) - 1
            for c in range(6):
                step = w[c].abs().max() / levels
                k = q[c] / step
                self.assertTrue(torch.allclose(k, k.round(), atol=1e-4), bits)
                self.assertLessEqual(k.abs().max().item(), levels + 1e-4)
                self.assertLessEqual((q[c] - w[c]).abs().max().item(), step.item() / 2 + 1e-6)

    def test_weight_straight_through_gradient(self):
        w = torch.randn(4, 5, requires_grad=True)
        nets.fake_quant_weight(w, 4).sum().backward()
        self.assertTrue(torch.equal(w.grad, torch.ones_like(w)))

    def test_constant_scale_activation(self):
        r = nets.QRelu()
        r.bits, r.step = 4, 0.1
        r.eval()
        x = torch.linspace(-1, 3, 401)
        y = r(x)
        self.assertEqual(y.min().item(), 0.0)
        self.assertAlmostEqual(y.max().item(), 1.5, places=5)  # (2^4 - 1) * step: the constant range
        k = y / 0.1
        self.assertTrue(torch.allclose(k, k.round(), atol=1e-4))
        inside = (x > 0) & (x < 1.45)
        self.assertLessEqual((y - x)[inside].abs().max().item(), 0.05 + 1e-6)


class NoiseSites(unittest.TestCase):
    def test_absolute_noise_statistics(self):
        torch.manual_seed(0)
        site = nets.Site(torch.nn.Linear(8, 4))
        x = torch.randn(20000, 8)
        clean = site(x).detach()
        site.noise, site.sigma_abs = NoiseSpec("absolute", 0.3), 0.3
        d = (site(x).detach() - clean).flatten().double()
        n = d.numel()
        self.assertLess(abs(d.mean().item()), 5 * 0.3 / math.sqrt(n))
        self.assertLess(abs(d.std().item() / 0.3 - 1), 5 / math.sqrt(2 * n))

    def test_relative_std_calibrates_on_clean_output(self):
        torch.manual_seed(0)
        m = torch.nn.Sequential(nets.Site(torch.nn.Linear(8, 16)))
        x = torch.randn(4096, 8) * 3
        ref = m(x).detach().double().std(unbiased=False).item()
        nets.set_noise(m, NoiseSpec("relative_std", 0.25))
        nets.calibrate_noise(m, x)
        self.assertAlmostEqual(m[0].sigma_abs, 0.25 * ref, places=5)

    def test_relative_max(self):
        m = torch.nn.Sequential(nets.Site(torch.nn.Linear(8, 16)))
        x = torch.randn(512, 8)
        ref = m(x).detach().abs().max().item()
        nets.set_noise(m, NoiseSpec("relative_max", 0.1))
        nets.calibrate_noise(m, x)
        self.assertAlmostEqual(m[0].sigma_abs, 0.1 * ref, places=5)

    def test_noise_modes_validated(self):
        with self.assertRaises(ValueError):
            NoiseSpec("gaussian", 1.0)
        with self.assertRaises(ValueError):
            NoiseSpec("absolute", -1.0)


class FoldAndRoundTrip(unittest.TestCase):
    def test_fold_batchnorm_preserves_function(self):
        for arch in ("vgg8", "resnet20", "mobilenet"):
            m = trained_like(arch)
            x = torch.rand(8, 1, 28, 28)
            before = m(x).detach()
            nets.fold_batchnorm(m)
            self.assertTrue(all(s.bn is None for _, s in nets.sites(m)))
            self.assertTrue(torch.allclose(m(x).detach(), before, rtol=1e-4, atol=1e-4), arch)

    def test_onnx_round_trip_with_denoiser_names(self):
        m = trained_like("resnet20")
        nets.fold_batchnorm(m)
        training.attach_blocks(m, [("layers.1.a", 2)])
        blk = dict(nets.sites(m))["layers.1.a"].denoiser()
        torch.nn.init.normal_(blk.mu.weight, std=0.1)
        x = torch.rand(4, 1, 28, 28)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            training.export_onnx(m, path)
            import onnx
            proto = onnx.load(path)
            tagged = [n.name for n in proto.graph.node if "/mxsim_denoiser_0/" in n.name]
            self.assertEqual(sorted(n.split("/")[-1] for n in tagged),
                             ["Conv", "Conv", "Conv", "Conv", "Relu", "Relu_1", "Sub"], tagged)
            # The logvar head is kept for sample mode: a Conv on mu's input with the block's logvar weights,
            # its output read by no node and not a graph output.
            by_name = {n.name: n for n in proto.graph.node}
            lv = [n for n in tagged if n.endswith("/logvar/Conv")]
            mu = [n for n in tagged if n.endswith("/mu/Conv")]
            self.assertEqual((len(lv), len(mu)), (1, 1), tagged)
            self.assertEqual(by_name[lv[0]].input[0], by_name[mu[0]].input[0])
            from onnx import numpy_helper
            init = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
            self.assertTrue(np.array_equal(init[by_name[lv[0]].input[1]], blk.logvar.weight.detach().numpy()))
            read = {i for n in proto.graph.node for i in n.input} | {o.name for o in proto.graph.output}
            self.assertNotIn(by_name[lv[0]].output[0], read)
            # The backbone loads back from the exported file (blocks are not part of it).
            back = training.load_backbone("resnet20", path)
            m_plain = trained_like("resnet20")
            nets.fold_batchnorm(m_plain)
            for (_, a), (_, b) in zip(nets.sites(back), nets.sites(m)):
                self.assertTrue(torch.equal(a.layer.weight, b.layer.weight))
            self.assertEqual(len(nets.sites(back)), len(nets.sites(m_plain)))
        self.assertEqual(m(x).shape, (4, 10))

    def test_load_backbone_rejects_other_architecture(self):
        m = trained_like("mobilenet")
        nets.fold_batchnorm(m)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            training.export_onnx(m, path)
            with self.assertRaises(ValueError):
                training.load_backbone("vgg8", path)


class Placement(unittest.TestCase):
    def setUp(self):
        self.m = trained_like("resnet20")
        nets.fold_batchnorm(self.m)
        self.conv = [n for n, s in nets.sites(self.m) if s.is_conv]
        self.base = nets.backbone_params(self.m)

    def cost(self, plan):
        ch = {n: s.out_channels for n, s in nets.sites(self.m)}
        return sum(nets.block_params(ch[n], k) for n, k in plan)

    def test_every_policy_stays_within_budget(self):
        scores = {n: float(i) for i, n in enumerate(self.conv)}
        for p in training.PLACEMENTS:
            for budget in (0.5, 2.5, 10.0):
                plan = training.plan_blocks(self.m, p, budget, 4, scores, seed=3)
                self.assertLessEqual(self.cost(plan), budget / 100 * self.base, (p, budget))
                self.assertTrue(all(n in self.conv for n, _ in plan))
                self.assertEqual(len({n for n, _ in plan}), len(plan))

    def test_gradnorm_takes_the_largest_scores_first(self):
        scores = {n: float(i) for i, n in enumerate(self.conv)}  # deepest layers score highest
        plan = training.plan_blocks(self.m, "gradnorm", 2.5, 4, scores)
        chosen = {n for n, _ in plan}
        ch = {n: s.out_channels for n, s in nets.sites(self.m)}
        # Every skipped site with a higher score than a chosen one must not have fitted.
        for n in self.conv:
            if n in chosen:
                continue
            if scores[n] > min(scores[c] for c in chosen):
                self.assertGreater(self.cost(plan) + nets.block_params(ch[n], max(1, ch[n] // 4)),
                                   2.5 / 100 * self.base, n)

    def test_every_places_one_block_per_conv_when_budget_allows(self):
        plan = training.plan_blocks(self.m, "every", 50.0, 4)
        self.assertEqual([n for n, _ in plan], self.conv)

    def test_uniform_is_evenly_spread(self):
        plan = training.plan_blocks(self.m, "uniform", 2.5, 4)
        idx = [self.conv.index(n) for n, _ in plan]
        self.assertGreater(len(idx), 1)
        gaps = [b - a for a, b in zip(idx, idx[1:])]
        self.assertLessEqual(max(gaps) - min(gaps), 1)

    def test_random_depends_on_seed_only(self):
        a = training.plan_blocks(self.m, "random", 2.5, 4, seed=1)
        b = training.plan_blocks(self.m, "random", 2.5, 4, seed=1)
        self.assertEqual(a, b)

    def test_gradient_norms_match_autograd_per_image(self):
        torch.manual_seed(0)
        x, y = torch.rand(6, 1, 28, 28), torch.randint(0, 10, (6,))
        g = training.gradient_norms(self.m, x, y, batch=4)
        # Independent check for one site: per-image gradient from a single-image backward.
        name = self.conv[3]
        site = dict(nets.sites(self.m))[name]
        norms = []
        for i in range(6):
            out = {}
            def keep(mod, inp, o):
                o.retain_grad()
                out["y"] = o
            h = site.register_forward_hook(keep)
            xi = x[i:i + 1].clone().requires_grad_(True)
            torch.nn.functional.cross_entropy(self.m(xi), y[i:i + 1]).backward()
            h.remove()
            norms.append(out["y"].grad.norm().item())
            self.m.zero_grad(set_to_none=True)
        self.assertAlmostEqual(g[name], sum(norms) / 6, places=5)


class DenoiserBlock(unittest.TestCase):
    def test_identity_at_start_and_param_count(self):
        b = nets.DenoiserBlock(16, 4)
        x = torch.randn(2, 16, 7, 7)
        b.eval()
        self.assertTrue(torch.equal(b(x), x))
        deployed = sum(p.numel() for n, p in b.named_parameters() if not n.startswith("logvar"))
        self.assertEqual(b.deployed_params(), deployed)

    def test_sample_mode_spread_follows_log_variance(self):
        torch.manual_seed(0)
        b = nets.DenoiserBlock(4, 2)
        with torch.no_grad():
            b.logvar.bias.fill_(math.log(0.5 ** 2))
        b.eval()
        b.sample = True
        x = torch.zeros(2000, 4, 3, 3)
        d = (x - b(x)).flatten()
        n = d.numel()
        self.assertLess(abs(d.std().item() / 0.5 - 1), 5 / math.sqrt(2 * n))

    def test_denoiser_training_reduces_loss(self):
        torch.manual_seed(0)
        m = trained_like("vgg8")
        nets.fold_batchnorm(m)
        training.freeze(m)
        training.attach_blocks(m, [("features.0", 4)])
        params = training.block_parameters(m)
        nets.set_noise(m, NoiseSpec("absolute", 0.5))
        loss = training.denoiser_loss(1.0)
        x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
        opt = torch.optim.Adam(params, lr=1e-2)
        torch.manual_seed(1)
        first = loss(m, x, y).item()
        for _ in range(30):
            opt.zero_grad()
            loss(m, x, y).backward()
            opt.step()
        torch.manual_seed(1)
        self.assertLess(loss(m, x, y).item(), first)
        self.assertTrue(all(not p.requires_grad for n, p in m.named_parameters() if "mxsim_denoiser" not in n))


if __name__ == "__main__":
    unittest.main()
