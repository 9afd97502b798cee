#!/usr/bin/python3
"""Turn the raw outputs of tools/bench/run.sh (in --dir) into the plain-text benchmark table."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def sgemm(path: str) -> dict:
    vals = dict(re.findall(r"^(\w+) ([-\d.e+]+)", read(path), re.M))
    return {k: float(v) for k, v in vals.items() if k.startswith("gflops")}


def run(d: str, name: str) -> dict:
    return json.loads(read(os.path.join(d, name + ".json")))


def status(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "NOT met")


def cpu_model() -> str:
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--images", type=int, required=True)
    ap.add_argument("--bs-images", type=int, required=True)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--s-timeout", type=float, required=True)
    ap.add_argument("--sgemm-n", type=int, required=True)
    ap.add_argument("--openblas", default="?")
    ap.add_argument("--libblas", default="?")
    ap.add_argument("--cxxflags", default="?")
    a = ap.parse_args()
    d = a.dir

    # R
    r1 = sgemm(os.path.join(d, "sgemm_1.txt"))["gflops_mean"]
    r2 = sgemm(os.path.join(d, "sgemm_2a.txt"))["gflops_mean"] + sgemm(os.path.join(d, "sgemm_2b.txt"))["gflops_mean"]
    # T
    t = json.loads(read(os.path.join(d, "torch.json")))
    t_ms = t["ms_per_image"]
    # M
    macs = json.loads(read(os.path.join(d, "inspect.json")))["total_macs"]
    names = ("m_t2_c1", "m_t2_c3", "m_t1_c1", "m_t1_c3", "bs_t2_c1", "bs_t2_c3")
    reps = {n: [run(d, f"{n}_r{i}") for i in range(1, a.reps + 1)] for n in names}
    runs = {n: rs[0] for n, rs in reps.items()}
    wall = {n: min(r["run"]["wall_seconds"] for r in rs) for n, rs in reps.items()}

    def per_image_ms(c1: str, c3: str, images: int) -> float:
        return 1000.0 * (wall[c3] - wall[c1]) / (2 * images)

    m2 = per_image_ms("m_t2_c1", "m_t2_c3", a.images)
    m1 = per_image_ms("m_t1_c1", "m_t1_c3", a.images)
    mbs = per_image_ms("bs_t2_c1", "bs_t2_c3", a.bs_images)
    over2 = wall["m_t2_c1"] - m2 / 1000.0 * a.images
    gf2 = 2.0 * macs / (m2 / 1000.0) / 1e9
    gf1 = 2.0 * macs / (m1 / 1000.0) / 1e9
    ident = all(r["accuracy"][k] == runs[f"m_t2_c{c}"]["accuracy"][k]
                for c in (1, 3) for r in reps[f"m_t1_c{c}"] + reps[f"m_t2_c{c}"]
                for k in ("top1", "per_chip", "ideal_top1"))
    acc2 = runs["m_t2_c3"]["accuracy"]

    # S
    def s_result(prefix: str) -> tuple[str, bool]:
        rc = int(read(os.path.join(d, prefix + "_rc.txt")).strip())
        tv = read(os.path.join(d, prefix + "_time.txt"))
        m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", tv)
        wall_s = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))) if m else float("nan")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
        rss_gb = int(m.group(1)) / 1024 / 1024 if m else float("nan")
        if rc == 0:
            return f"{wall_s:.2f} s, {rss_gb:.2f} GB peak RSS", wall_s <= 1.6 and rss_gb <= 2.0
        if a.s_timeout > 0 and (rc == 124 or wall_s >= a.s_timeout - 0.5):
            return f"> {a.s_timeout:g} s (stopped), >= {rss_gb:.2f} GB peak RSS at stop", False
        err_text = read(os.path.join(d, prefix + "_resnet18.err")).strip()
        lines = [ln for ln in err_text.splitlines() if ln.strip() and "Command exited" not in ln]
        err = next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else f"exit {rc}")
        return f"not yet: {err.strip()}", False

    s_val, s_ok = s_result("s")
    s1_val, _ = s_result("s1")

    rows = [
        ("R", f"Eigen sgemm {a.sgemm_n}^3, 1 thread", f"{r1:.1f} GFLOP/s", "", None),
        ("R2", f"Eigen sgemm {a.sgemm_n}^3, 2 processes (sum)", f"{r2:.1f} GFLOP/s", "", None),
        ("T", "PyTorch noise-free, 2 thr, batch 256", f"{t_ms:.4f} ms/image (top-1 {t['top1']:.2f} %, "
         f"manifest {t['manifest_top1']}: {'match' if t['match'] else 'MISMATCH'})", "", None),
        ("M", "mxsim one noisy pass, 2 threads", f"{m2:.4f} ms/image (top-1 {acc2['top1']:.2f} % "
         f"over {len(acc2['per_chip'])} chips)", "", None),
        ("T/M", "mxsim speed vs PyTorch", f"{t_ms / m2:.2f}x", ">= 2x", t_ms / m2 >= 2.0),
        ("M GF", "achieved GFLOP/s (2*MACs/image / M)", f"{gf2:.2f} GFLOP/s = {100 * gf2 / r2:.1f} % of R2",
         ">= 50 % of R", gf2 / r2 >= 0.5),
        ("M1 GF", "same at 1 thread vs R (1 thread)", f"{gf1:.2f} GFLOP/s = {100 * gf1 / r1:.1f} % of R",
         "", None),
        ("Mbs", "mxsim bit-serial DAC, 2 threads", f"{mbs:.4f} ms/image = {mbs / m2:.2f}x one-pass M",
         "<= 10x", mbs / m2 <= 10.0),
        ("S", "ResNet-18 224x224, random, 1 image", s_val, "<= 1.6 s, <= 2 GB", s_ok),
        ("S1", "S with noise.calibration_images=1", s1_val + " (diagnostic)", "", None),
        ("M1", "mxsim one noisy pass, 1 thread", f"{m1:.4f} ms/image", "", None),
        ("M1/M", "thread scaling 1 -> 2 threads", f"{m1 / m2:.2f}x", ">= 1.8x", m1 / m2 >= 1.8),
        ("ident", "top-1/per_chip/ideal same, 1 vs 2 thr", "yes" if ident else "no", "yes", ident),
        ("fixed", "--chips 1 run beyond one pass, 2 thr", f"{over2:.2f} s (load, calibration, ideal pass, "
         f"timing; wall {wall['m_t2_c1']:.2f} s)", "", None),
    ]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    w = [max(w[0], 5), max(w[1], 11), max(w[2], 5), max(w[3], 6)]
    head = ("row", "measurement", "value", "target", "status")
    out = [f"mxsim benchmark {datetime.datetime.now().isoformat(timespec='seconds')}  "
           f"{cpu_model()}, {os.cpu_count()} cpus",
           f"  mxsim: {a.images} test images (bit-serial: {a.bs_images}), M = (wall(--chips 3) - "
           f"wall(--chips 1)) / (2 * images), min wall of {a.reps} runs each; {macs} MACs/image",
           f"  sgemm: g++ {a.cxxflags}, Eigen single-threaded (no OpenMP); R2 = two concurrent processes",
           f"  torch {t['torch']}, {t['threads']} threads, libopenblas0-pthread {a.openblas} "
           f"(libblas.so.3 -> {a.libblas})", ""]
    fmt = f"{{:<{w[0]}}}  {{:<{w[1]}}}  {{:<{w[2]}}}  {{:<{w[3]}}}  {{}}"
    out.append(fmt.format(*head))
    out.append(fmt.format(*("-" * x for x in w), "-" * 7))
    for r in rows:
        out.append(fmt.format(r[0], r[1], r[2], r[3], status(r[4])).rstrip())
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
