#!/usr/bin/python3
"""Turn the raw outputs of tools/bench/run.sh (in --dir) into the plain-text benchmark table (stdout)
and, with --json, a machine-readable file holding every row's value.

Layout of --dir: sgemm_1.txt, sgemm_2a.txt, sgemm_2b.txt (R, R2); s_*/s1_* (S, S1); and one folder per
network of --nets with torch.json (T), inspect.json (MACs) and the mxsim run reports
{m_t2_c1,m_t2_c3,m_t1_c1,m_t1_c3,bs_t2_c1,bs_t2_c3}_r<rep>.json (M rows).
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import sys


class ReportError(Exception):
    pass


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise ReportError(f"cannot read {path}: {e.strerror}") from e


def read_json(path: str) -> dict:
    try:
        return json.loads(read(path))
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not JSON ({e})") from e


def sgemm(path: str) -> float:
    vals = dict(re.findall(r"^(\w+) ([-\d.e+]+)", read(path), re.M))
    if "gflops_mean" not in vals:
        raise ReportError(f"{path}: no gflops_mean line")
    return float(vals["gflops_mean"])


def status(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "NOT met")


def cpu_model() -> str:
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except ReportError:
        pass
    return platform.processor() or "?"


def finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


class Row:
    """One table row: key (e.g. "M vgg8"), what it measures, display text, target, met?, and the
    numeric value(s) for results.json."""

    def __init__(self, row: str, net: str | None, what: str, text: str, target: str = "",
                 ok: bool | None = None, value: float | bool | None = None, unit: str = "", **extra):
        self.row, self.net, self.what, self.text, self.target, self.ok = row, net, what, text, target, ok
        self.value, self.unit, self.extra = value, unit, extra

    @property
    def key(self) -> str:
        return f"{self.row} {self.net}" if self.net else self.row

    def as_json(self) -> dict:
        v = self.value if isinstance(self.value, bool) else finite(self.value)
        d = {"key": self.key, "row": self.row, "net": self.net, "measurement": self.what, "value": v,
             "unit": self.unit, "text": self.text, "target": self.target or None,
             "status": None if self.ok is None else ("met" if self.ok else "not met")}
        d.update(self.extra)
        return d


def net_rows(d: str, net: str, a: argparse.Namespace, r1: float, r2: float) -> tuple[list[Row], dict]:
    nd = os.path.join(d, net)
    t = read_json(os.path.join(nd, "torch.json"))
    t_ms = float(t["ms_per_image"])
    macs = int(read_json(os.path.join(nd, "inspect.json"))["total_macs"])
    names = ("m_t2_c1", "m_t2_c3", "m_t1_c1", "m_t1_c3", "bs_t2_c1", "bs_t2_c3")
    names += tuple(n + "_n1" for n in names)  # the same at --images 1: the per-chip cost alone
    reps = {n: [read_json(os.path.join(nd, f"{n}_r{i}.json")) for i in range(1, a.reps + 1)] for n in names}
    wall = {n: min(float(r["run"]["wall_seconds"]) for r in rs) for n, rs in reps.items()}

    def per_image_ms(c1: str, c3: str, images: int) -> float:
        return 1000.0 * (wall[c3] - wall[c1]) / (2 * images)

    m2 = per_image_ms("m_t2_c1", "m_t2_c3", a.images)
    m1 = per_image_ms("m_t1_c1", "m_t1_c3", a.images)
    mbs = per_image_ms("bs_t2_c1", "bs_t2_c3", a.bs_images)
    if m2 <= 0 or m1 <= 0 or mbs <= 0:
        # Possible only for tiny image counts on a busy machine: the difference is noise.
        print(f"report: warning: {net}: non-positive M (m2 {m2:.4f}, m1 {m1:.4f}, mbs {mbs:.4f} ms/image); "
              "use more images (BENCH_IMAGES / BENCH_BS_IMAGES)", file=sys.stderr)
    nan = float("nan")

    def div(x: float, y: float) -> float:
        return x / y if y > 0 else nan

    # Diagnostic: (wall3 - wall1) holds two chips' worth of per-chip work besides the 2 * images passes
    # (ADC calibration on noise.calibration_images training images runs once per chip). The --images 1
    # runs measure it: chip = (wall3 - wall1) / 2 at 1 image; M0 = M with it subtracted.
    def chip_s(cfg: str) -> float:
        return (wall[f"{cfg}_c3_n1"] - wall[f"{cfg}_c1_n1"]) / 2

    def net_ms(cfg: str, images: int) -> float:
        return 1000.0 * ((wall[f"{cfg}_c3"] - wall[f"{cfg}_c1"]) - 2 * chip_s(cfg)) / (2 * (images - 1))

    chip2, chip1, chipbs = chip_s("m_t2"), chip_s("m_t1"), chip_s("bs_t2")
    m2_0, m1_0, mbs_0 = net_ms("m_t2", a.images), net_ms("m_t1", a.images), net_ms("bs_t2", a.bs_images)
    fixed = wall["m_t2_c1"] - m2 / 1000.0 * a.images
    gf2 = div(2.0 * macs, m2 / 1000.0) / 1e9
    gf1 = div(2.0 * macs, m1 / 1000.0) / 1e9
    keys = ("top1", "per_chip", "ideal_top1")
    diffs = [f"c{c} {k}" for c in (1, 3) for k in keys
             if any(r["accuracy"][k] != reps[f"m_t2_c{c}"][0]["accuracy"][k]
                    for r in reps[f"m_t1_c{c}"] + reps[f"m_t2_c{c}"])]
    ident = not diffs
    acc3 = reps["m_t2_c3"][0]["accuracy"]
    tm, m1m, bsm = div(t_ms, m2), div(m1, m2), div(mbs, m2)

    if t.get("match") is None:
        match = (f"manifest {t['manifest_top1']}: not compared, {t['images']} of 10000 images"
                 if t.get("manifest_top1") is not None else "no manifest row")
    else:
        match = f"manifest {t['manifest_top1']:.2f}: {'match' if t['match'] else 'MISMATCH'}"
    rows = [
        Row("T", net, f"PyTorch noise-free, {t['threads']} thr, batch {t['batch']}",
            f"{t_ms:.4f} ms/image (top-1 {t['top1']:.2f} %, {match})", value=t_ms, unit="ms/image",
            top1=t["top1"], manifest_top1=t.get("manifest_top1"), match=t.get("match"), images=t["images"],
            pass_seconds=t.get("pass_seconds")),
        Row("M", net, "mxsim one noisy pass, 2 threads",
            f"{m2:.4f} ms/image (top-1 {acc3['top1']:.2f} % over {len(acc3['per_chip'])} chips, "
            f"ideal {acc3['ideal_top1']:.2f} %)", value=m2, unit="ms/image", top1=acc3["top1"],
            per_chip=acc3["per_chip"], ideal_top1=acc3["ideal_top1"], images=a.images,
            wall_c1_s=wall["m_t2_c1"], wall_c3_s=wall["m_t2_c3"]),
        Row("T/M", net, "mxsim speed vs PyTorch", f"{tm:.2f}x", ">= 2x", tm >= 2.0, tm, "x"),
        Row("M GF", net, "achieved GFLOP/s (2*MACs/image / M)",
            f"{gf2:.2f} GFLOP/s = {100 * gf2 / r2:.1f} % of R2 ({macs} MACs/image)", ">= 50 % of R2",
            gf2 / r2 >= 0.5, gf2, "GFLOP/s", pct_of_r2=finite(100 * gf2 / r2), macs_per_image=macs),
        Row("M1 GF", net, "same at 1 thread vs R (1 thread)",
            f"{gf1:.2f} GFLOP/s = {100 * gf1 / r1:.1f} % of R", value=gf1, unit="GFLOP/s",
            pct_of_r=finite(100 * gf1 / r1)),
        Row("M1", net, "mxsim one noisy pass, 1 thread", f"{m1:.4f} ms/image", value=m1, unit="ms/image",
            wall_c1_s=wall["m_t1_c1"], wall_c3_s=wall["m_t1_c3"]),
        Row("M1/M", net, "thread scaling 1 -> 2 threads", f"{m1m:.2f}x", ">= 1.8x", m1m >= 1.8, m1m, "x"),
        Row("ident", net, "top-1/per_chip/ideal same, 1 vs 2 thr",
            "yes" if ident else "no (" + ", ".join(diffs) + " differ)", "yes", ident, ident, "",
            differing=diffs),
        Row("Mbs", net, "mxsim bit-serial DAC, 2 threads", f"{mbs:.4f} ms/image = {bsm:.2f}x one-pass M "
            f"({a.bs_images} images)", "<= 10x", bsm <= 10.0, mbs, "ms/image", ratio_to_m=finite(bsm),
            images=a.bs_images, wall_c1_s=wall["bs_t2_c1"], wall_c3_s=wall["bs_t2_c3"]),
        Row("fixed", net, "--chips 1 run beyond one pass, 2 thr",
            f"{fixed:.2f} s (load, mapping, ideal pass, timing; wall {wall['m_t2_c1']:.2f} s)",
            value=fixed, unit="s", wall_s=wall["m_t2_c1"]),
        Row("chip", net, "per-chip setup in M (calibration)",
            f"{chip2:.2f} s/chip (1 thr {chip1:.2f} s, bit-serial {chipbs:.2f} s) = "
            f"{1000 * chip2 / a.images:.4f} ms/image of M (diagnostic)", value=chip2, unit="s/chip",
            t1_s=chip1, bit_serial_s=chipbs, in_m_ms_per_image=1000 * chip2 / a.images,
            in_mbs_ms_per_image=1000 * chipbs / a.bs_images),
        Row("M0", net, "M, M1, Mbs without per-chip setup",
            f"{m2_0:.4f} / {m1_0:.4f} / {mbs_0:.4f} ms/image; T/M {div(t_ms, m2_0):.2f}x, "
            f"M1/M {div(m1_0, m2_0):.2f}x, Mbs/M {div(mbs_0, m2_0):.2f}x (diagnostic)", value=m2_0,
            unit="ms/image", m1_ms=finite(m1_0), mbs_ms=finite(mbs_0), t_over_m=finite(div(t_ms, m2_0)),
            m1_over_m=finite(div(m1_0, m2_0)), mbs_over_m=finite(div(mbs_0, m2_0))),
    ]
    info = {"model": t.get("model"), "macs_per_image": macs, "torch": {k: t.get(k) for k in (
        "torch", "threads", "openblas_num_threads", "omp_num_threads", "mkldnn_available", "mkldnn_enabled",
        "conv_ops", "mkldnn_conv", "libs")}}
    return rows, info


def s_rows(d: str, a: argparse.Namespace) -> list[Row]:
    def one(prefix: str) -> tuple[str, bool, dict]:
        rc = int(read(os.path.join(d, prefix + "_rc.txt")).strip())
        tv = read(os.path.join(d, prefix + "_time.txt"))
        m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", tv)
        wall_s = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))) if m else float("nan")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
        rss_gb = int(m.group(1)) / 1024 / 1024 if m else float("nan")
        vals = {"wall_s": finite(wall_s), "peak_rss_gb": finite(rss_gb), "exit": rc, "stopped": False}
        if rc == 0:
            return f"{wall_s:.2f} s, {rss_gb:.2f} GB peak RSS", wall_s <= 1.6 and rss_gb <= 2.0, vals
        if a.s_timeout > 0 and (rc == 124 or wall_s >= a.s_timeout - 0.5):
            vals["stopped"] = True
            return f"> {a.s_timeout:g} s (stopped), >= {rss_gb:.2f} GB peak RSS at stop", False, vals
        err_text = read(os.path.join(d, prefix + "_resnet18.err")).strip()
        lines = [ln for ln in err_text.splitlines() if ln.strip() and "Command exited" not in ln]
        err = next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else f"exit {rc}")
        vals["error"] = err.strip()
        return f"not yet: {err.strip()}", False, vals

    s_val, s_ok, s_v = one("s")
    s1_val, _, s1_v = one("s1")
    return [
        Row("S", None, "ResNet-18 224x224, random, 1 image", s_val, "<= 1.6 s, <= 2 GB", s_ok,
            s_v["wall_s"], "s", **s_v),
        Row("S1", None, "S with noise.calibration_images=1", s1_val + " (diagnostic)", value=s1_v["wall_s"],
            unit="s", **s1_v),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--nets", nargs="+", required=True)
    ap.add_argument("--images", type=int, required=True)
    ap.add_argument("--bs-images", type=int, required=True)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--s-timeout", type=float, required=True)
    ap.add_argument("--sgemm-n", type=int, required=True)
    ap.add_argument("--openblas", default="?")
    ap.add_argument("--libblas", default="?")
    ap.add_argument("--cxxflags", default="?")
    ap.add_argument("--json", help="also write every row's value to this file")
    a = ap.parse_args()
    d = a.dir

    try:
        r1 = sgemm(os.path.join(d, "sgemm_1.txt"))
        r2 = sgemm(os.path.join(d, "sgemm_2a.txt")) + sgemm(os.path.join(d, "sgemm_2b.txt"))
        rows = [Row("R", None, f"Eigen sgemm {a.sgemm_n}^3, 1 thread", f"{r1:.1f} GFLOP/s", value=r1,
                    unit="GFLOP/s"),
                Row("R2", None, f"Eigen sgemm {a.sgemm_n}^3, 2 processes (sum)", f"{r2:.1f} GFLOP/s", value=r2,
                    unit="GFLOP/s")]
        nets = {}
        for net in a.nets:
            nr, nets[net] = net_rows(d, net, a, r1, r2)
            rows += nr
        rows += s_rows(d, a)
    except (ReportError, KeyError, ValueError, TypeError) as e:
        print(f"report: error: {e!r}" if not isinstance(e, ReportError) else f"report: error: {e}",
              file=sys.stderr)
        return 1

    # The torch/BLAS situation is the same for every net (same process setup); take the first.
    tt = next(iter(nets.values()))["torch"]
    mk = ("yes" if tt["mkldnn_available"] else "no") + ("" if tt["mkldnn_enabled"] else " (disabled)")
    conv = [o for o in tt["conv_ops"] if "conv" in o] or ["?"]
    now = datetime.datetime.now().isoformat(timespec="seconds")
    head_lines = [
        f"mxsim benchmark {now}  {cpu_model()}, {os.cpu_count()} cpus",
        f"  mxsim: {a.images} test images (bit-serial: {a.bs_images}), M = (wall(--chips 3) - "
        f"wall(--chips 1)) / (2 * images), min wall of {a.reps} run(s) each; default preset; "
        "chip/M0: per-chip setup from the same runs at --images 1",
        "  nets: " + ", ".join(f"{n} = {v['model']} ({v['macs_per_image']} MACs/image)" for n, v in nets.items()),
        f"  sgemm: g++ {a.cxxflags}, Eigen single-threaded (no OpenMP); R2 = two concurrent processes",
        f"  torch {tt['torch']}: torch.get_num_threads() = {tt['threads']}, OPENBLAS_NUM_THREADS = "
        f"{tt['openblas_num_threads'] if tt['openblas_num_threads'] is not None else 'unset'}, "
        f"mkldnn available: {mk}, conv op: {', '.join(conv)}",
        f"  BLAS: libopenblas0-pthread {a.openblas} (libblas.so.3 -> {a.libblas})",
        "",
    ]
    cols = [(r.key, r.what, r.text, r.target) for r in rows]
    w = [max(len(c[i]) for c in cols) for i in range(4)]
    w = [max(w[0], 5), max(w[1], 11), max(w[2], 5), max(w[3], 6)]
    fmt = f"{{:<{w[0]}}}  {{:<{w[1]}}}  {{:<{w[2]}}}  {{:<{w[3]}}}  {{}}"
    out = head_lines + [fmt.format("row", "measurement", "value", "target", "status"),
                        fmt.format(*("-" * x for x in w), "-" * 7)]
    prev_net = None
    for r in rows:
        if r.net != prev_net and out[-1][:1] != "-":
            out.append("")  # a blank line between the network groups
        prev_net = r.net
        out.append(fmt.format(r.key, r.what, r.text, r.target, status(r.ok)).rstrip())
    print("\n".join(out))

    if a.json:
        doc = {
            "date": now, "cpu": cpu_model(), "cpus": os.cpu_count(),
            "config": {"nets": a.nets, "images": a.images, "bs_images": a.bs_images, "reps": a.reps,
                       "s_timeout_s": a.s_timeout, "sgemm_n": a.sgemm_n, "cxxflags": a.cxxflags,
                       "openblas_pthread": a.openblas, "libblas": a.libblas},
            "torch": tt,
            "nets": {n: {"model": v["model"], "macs_per_image": v["macs_per_image"]} for n, v in nets.items()},
            "rows": [r.as_json() for r in rows],
        }
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
