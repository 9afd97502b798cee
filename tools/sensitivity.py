#!/usr/bin/python3
"""One-at-a-time sensitivity of a chip's energy, latency, area and accuracy to its parameters.

Runs `mxsim run` once on the base chip and once per (parameter, value), each with only that one `--set`
changed, and prints a table of the changes relative to the base: energy per image, latency, area, average
power and (labelled data) top-1 accuracy, plus the component whose energy moved most. Every run uses the
same model, data, images and seed, so differences come from the parameter alone.

    /usr/bin/python3 tools/sensitivity.py                      # default chip and model, the default sweep
    /usr/bin/python3 tools/sensitivity.py --arch sim/presets/isaac.yaml --data random --images 1 \\
        --param chip.noc.link_width=64,128 --markdown table.md --plot sens.png

--param KEY=V1,V2,... may be given several times (replacing the default sweep); values are passed to
`--set KEY=V` as written (with units: `chip.tile.array.device.g_max=50 uS`). Output: a text table on stdout,
optionally the same as a Markdown table (--markdown) and a bar chart of the relative changes (--plot,
matplotlib). A failed run (e.g. a value the chip rejects) is reported in its row and does not stop the sweep.
docs/sensitivity.md shows the output for the default chip.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The default sweep: one parameter per physical lever an architect turns (docs/sensitivity.md).
DEFAULT_PARAMS = [
    ("chip.tile.array.adc.bits", ["6", "10"]),
    ("chip.tile.array.dac.bits", ["4", "6"]),
    ("chip.noc.link_width", ["16", "128"]),
    ("chip.tile.array.device.g_max", ["12.5 uS", "50 uS"]),
    ("chip.tile.array.read_voltage", ["0.1 V", "0.5 V"]),
    ("chip.technology_node", ["22 nm", "45 nm"]),
    ("chip.sram.banks", ["1", "64"]),
    ("leakage.array", ["0 W", "20 uW"]),
    ("chip.clock", ["500 MHz", "2 GHz"]),
]


def parse_param(text: str) -> tuple[str, list[str]]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--param {text!r}: expected KEY=V1,V2,...")
    key, values = text.split("=", 1)
    vals = [v.strip() for v in values.split(",") if v.strip()]
    if not key.strip() or not vals:
        raise argparse.ArgumentTypeError(f"--param {text!r}: expected KEY=V1,V2,...")
    return key.strip(), vals


def run(mxsim: str, common: list[str], sets: list[str], out: str) -> tuple[dict | None, str]:
    cmd = [mxsim, "run", *common, "--no-progress", "--out", out]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    with open(out) as f:
        return json.load(f), ""


def summary(r: dict) -> dict:
    top1 = r.get("accuracy", {}).get("top1")
    return {
        "energy_j": r["energy"]["total_j"],
        "latency_s": r["latency"]["seconds"],
        "area_m2": r["area"]["total_m2"],
        "power_w": r["power"]["average_w"],
        "top1": top1,
        "by_component": r["energy"]["by_component"],
    }


def rel(new: float, base: float) -> float:
    return (new / base - 1.0) * 100.0 if base else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mxsim", default=os.path.join(ROOT, "build", "mxsim"))
    ap.add_argument("--arch", default=None, help="architecture YAML (default: mxsim's bundled default)")
    ap.add_argument("--model", default=None, help="ONNX model (default: mxsim's bundled default)")
    ap.add_argument("--data", default=None, help="fashion-mnist (default) or random")
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--param", type=parse_param, action="append", default=None,
                    help="KEY=V1,V2,... (repeatable; replaces the default sweep)")
    ap.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    ap.add_argument("--plot", default=None, help="also plot the relative changes (PNG)")
    a = ap.parse_args()
    if not os.path.exists(a.mxsim):
        print(f"sensitivity: {a.mxsim}: no mxsim binary (build it: tools/build.sh)", file=sys.stderr)
        return 1
    common = ["--images", str(a.images), "--seed", str(a.seed)]
    for flag, v in (("--arch", a.arch), ("--model", a.model), ("--data", a.data)):
        if v:
            common += [flag, v]
    params = a.param or DEFAULT_PARAMS
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base_r, err = run(a.mxsim, common, [], os.path.join(tmp, "base.json"))
        if base_r is None:
            print(f"sensitivity: the base run failed: {err}", file=sys.stderr)
            return 1
        base = summary(base_r)
        total = sum(len(v) for _, v in params)
        done = 0
        for key, values in params:
            for v in values:
                done += 1
                print(f"[{done}/{total}] {key} = {v}", file=sys.stderr, flush=True)
                r, err = run(a.mxsim, common, [f"{key}={v}"], os.path.join(tmp, f"{done}.json"))
                if r is None:
                    rows.append({"param": key, "value": v, "error": err})
                    continue
                s = summary(r)
                moved = {c: s["by_component"].get(c, 0.0) - base["by_component"].get(c, 0.0)
                         for c in set(s["by_component"]) | set(base["by_component"])}
                top = max(moved, key=lambda c: abs(moved[c])) if moved else ""
                rows.append({
                    "param": key, "value": v,
                    "energy": rel(s["energy_j"], base["energy_j"]),
                    "latency": rel(s["latency_s"], base["latency_s"]),
                    "area": rel(s["area_m2"], base["area_m2"]),
                    "power": rel(s["power_w"], base["power_w"]),
                    "top1": (s["top1"] - base["top1"]) if s["top1"] is not None and base["top1"] is not None else None,
                    "driver": f"{top} {moved[top] / base['energy_j'] * 100:+.1f} pp" if top else "",
                })
    head = ["parameter", "value", "energy", "latency", "area", "power", "top-1 (points)", "largest energy change"]
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["param"], r["value"], "failed: " + r["error"], "", "", "", "", ""])
            continue
        lines.append([r["param"], r["value"], "%+.1f %%" % r["energy"], "%+.1f %%" % r["latency"],
                      "%+.1f %%" % r["area"], "%+.1f %%" % r["power"],
                      "-" if r["top1"] is None else "%+.2f" % r["top1"], r["driver"]])
    base_line = ("base: %.4g J per image, %.4g s latency, %.4g mm2, %.4g W average%s" % (
        base["energy_j"], base["latency_s"], base["area_m2"] * 1e6, base["power_w"],
        "" if base["top1"] is None else ", top-1 %.2f %%" % base["top1"]))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    print(base_line)
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for l in lines:
        print("  ".join(str(x).ljust(w) for x, w in zip(l, widths)))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(base_line + "\n\n| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
            for l in lines:
                f.write("| " + " | ".join(str(x) for x in l) + " |\n")
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        ok = [r for r in rows if "error" not in r]
        labels = [f"{r['param'].split('.')[-1]}={r['value']}" for r in ok]
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(ok) + 1.5))
        y = range(len(ok))
        for i, (k, c) in enumerate((("energy", "C0"), ("latency", "C1"), ("area", "C2"))):
            ax.barh([v + (i - 1) * 0.27 for v in y], [r[k] for r in ok], height=0.27, color=c, label=k)
        ax.set_yticks(list(y))
        ax.set_yticklabels(labels)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlabel("change vs base (%)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=120)
    return 0 if all("error" not in r for r in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
