#!/usr/bin/env python3
"""Compares an mxsim JSON report with a golden one (tests/regression/README.md).

Rules: integers (cycles, action counts, arrays, shapes) and strings must be equal; floats (energies, power,
accuracies) within a relative tolerance (default 1e-9) or an absolute 1e-18 for values near zero; lists must
have equal lengths; keys must match. Fields that legitimately change between runs and machines are ignored:
wall-clock time, thread count, absolute paths, the version string.
Exit 0 on a match; otherwise exit 1 listing every difference (path: golden vs actual).
"""
import argparse
import json
import math
import sys

IGNORED = {"run.wall_seconds", "run.timing_wall_seconds", "run.threads", "arch.path", "model.path", "mxsim_version", "run.out"}


def compare(golden, actual, path, rel, diffs):
    if path in IGNORED:
        return
    if isinstance(golden, dict) and isinstance(actual, dict):
        for k in sorted(set(golden) | set(actual)):
            p = f"{path}.{k}" if path else k
            if p in IGNORED:
                continue
            if k not in actual:
                diffs.append(f"{p}: missing in actual")
            elif k not in golden:
                diffs.append(f"{p}: not in golden (new field? regenerate the golden if intended)")
            else:
                compare(golden[k], actual[k], p, rel, diffs)
    elif isinstance(golden, list) and isinstance(actual, list):
        if len(golden) != len(actual):
            diffs.append(f"{path}: {len(golden)} items in golden, {len(actual)} in actual")
            return
        for i, (g, a) in enumerate(zip(golden, actual)):
            compare(g, a, f"{path}[{i}]", rel, diffs)
    elif isinstance(golden, bool) or isinstance(actual, bool) or golden is None or actual is None:
        if golden != actual:
            diffs.append(f"{path}: {golden!r} vs {actual!r}")
    elif isinstance(golden, int) and isinstance(actual, int):
        if golden != actual:
            diffs.append(f"{path}: {golden} vs {actual} (counters must match exactly)")
    elif isinstance(golden, (int, float)) and isinstance(actual, (int, float)):
        g, a = float(golden), float(actual)
        if not (math.isclose(g, a, rel_tol=rel, abs_tol=1e-18)):
            diffs.append(f"{path}: {g!r} vs {a!r} (relative difference {abs(a - g) / max(abs(g), 1e-300):.3g})")
    elif golden != actual:
        diffs.append(f"{path}: {golden!r} vs {actual!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("golden")
    ap.add_argument("actual")
    ap.add_argument("--rel", type=float, default=1e-9)
    args = ap.parse_args()
    with open(args.golden) as f:
        golden = json.load(f)
    with open(args.actual) as f:
        actual = json.load(f)
    diffs = []
    compare(golden, actual, "", args.rel, diffs)
    if diffs:
        print(f"{len(diffs)} difference(s) from {args.golden}:", file=sys.stderr)
        for d in diffs[:200]:
            print("  " + d, file=sys.stderr)
        sys.exit(1)
    print(f"matches {args.golden}")


if __name__ == "__main__":
    main()
