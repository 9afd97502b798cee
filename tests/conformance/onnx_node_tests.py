#!/usr/bin/python3
"""ONNX backend node-test conformance for `mxsim infer --ideal`.

ONNX ships one tiny model per operator variant ("backend node test cases"), each with input and output
tensors. This harness runs every case through mxsim and checks the result:

* in-scope case (every node is a default-domain operator listed by `mxsim ops`):
    - not listed in expected_unsupported.tsv: the output must equal output_0.pb in shape and within ONNX's
      tolerances, numpy.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-7), as ONNX's own
      backend runner does. Outcome: pass, error (mxsim failed) or mismatch (wrong shape or values).
    - listed: the case cannot be supported by design (it mixes images across the batch, needs training
      mode, non-float data, ...). mxsim must reject it cleanly: exit 1, exactly one stderr line containing
      the listed substring, no output file. If it passes instead, the list entry is stale (a failure, so
      the list stays honest).
* unsupported-op case (some node's operator is not in `mxsim ops`, or lives in a non-default domain such
  as ai.onnx.preview.training): mxsim must exit 1 with one stderr line containing "operator not
  supported". A crash, exit 3, exit 0 or another message is a failure. A list entry for such a case is
  dormant (it becomes active once the operator is supported).

mxsim's model of a network is one computed input whose dimension 0 is the batch (images independent),
one output, and constants for everything else. ONNX node tests feed every operand as a graph input, so
each case is rewritten: graph input 0 stays the input (its data goes to an NPY file); every other graph
input becomes an initializer holding the value from its input_K.pb. Cases that cannot be rewritten this
way are still run, so that mxsim's rejection of them is checked too:
* no graph input at all (test_constant): the model is passed unchanged with a dummy 1-element input;
* input 0 is not a tensor (optional/sequence types): unchanged input 0, dummy 1-element input;
* another input is not a tensor (sequence/optional/map): it stays a graph input (it cannot be an
  initializer), so mxsim sees a non-tensor or second computed input and must reject the model.
Non-float input tensors are saved as they are (uint8 NPY etc.); mxsim must reject them with one line.

Usage: onnx_node_tests.py --mxsim PATH --work DIR [--cases-glob PATTERN] [--jobs N] [--verbose]
The cases are generated once into DIR/generated (about 7 s, 28 MB); rewritten models and NPY files go to
DIR/cases/<case>/. Exit status: 0 if every case behaves as expected, 1 otherwise, 2 on a usage error.

Must run under Debian's /usr/bin/python3 (onnx 1.12, numpy 1.24); no other packages are needed.
"""

import argparse
import collections
import concurrent.futures
import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import helper, numpy_helper

# ONNX's backend runner tolerances for node tests (onnx/backend/test/case/test_case.py defaults).
RTOL = 1e-3
ATOL = 1e-7
# Per-invocation limit for mxsim.
CASE_TIMEOUT_S = 60
# Substring every unsupported-operator rejection must contain.
UNSUPPORTED_OP_PHRASE = "operator not supported"
# Operator domains that mean "the standard ONNX operator set".
DEFAULT_DOMAINS = ("", "ai.onnx")

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIST = os.path.join(HERE, "expected_unsupported.tsv")

# Outcomes. The second field says whether the outcome is a failure of the conformance test.
OUTCOMES = collections.OrderedDict([
    ("pass", (False, "in scope, output matches")),
    ("rejected-as-listed", (False, "in scope, listed; rejected with the listed message")),
    ("rejected-unsupported-op", (False, "operator not supported; rejected as expected")),
    ("error", (True, "in scope, mxsim failed")),
    ("mismatch", (True, "in scope, wrong output shape or values")),
    ("stale-entry", (True, "listed, but passed: remove from list")),
    ("bad-rejection", (True, "listed; wrong exit code, message or output")),
    ("bad-unsupported-op", (True, "unsupported operator not rejected cleanly")),
    ("harness-error", (True, "case could not be prepared or run")),
])

# Derived case: test_relu with its node moved to a custom domain. ONNX ships no case where a non-default
# domain reuses a standard operator's name, so this checks that mxsim looks at the domain, not only the
# op type: it must reject the node as an unsupported operator. Runs whenever test_relu is selected.
CUSTOM_DOMAIN = "com.example.custom"
DERIVED_SUFFIX = "@custom_domain"
DERIVED_FROM = "test_relu"


def move_to_custom_domain(model):
    for node in model.graph.node:
        node.domain = CUSTOM_DOMAIN
    model.opset_import.append(helper.make_opsetid(CUSTOM_DOMAIN, 1))


# ----------------------------------------------------------------------------------------------------
# Case generation
# ----------------------------------------------------------------------------------------------------

# Runs in a child interpreter: onnx 1.12's case generators use numpy aliases (np.float, np.bool, ...)
# that numpy 1.24 removed, so they are restored first; this keeps the patch out of the harness itself.
_GENERATE_SNIPPET = r"""
import sys, warnings
warnings.simplefilter("ignore")
import numpy as np
for alias, typ in (("float", float), ("int", int), ("bool", bool), ("object", object),
                   ("complex", complex), ("str", str)):
    if not hasattr(np, alias):
        setattr(np, alias, typ)
from onnx.backend.test.cmd_tools import main
sys.argv = ["backend-test-tools", "generate-data", "-o", sys.argv[1]]
main()
"""


def ensure_generated(work):
    """Generates the ONNX backend test data into WORK/generated unless it is already there.

    Generation goes to a temporary directory that is renamed into place when complete, so an interrupted
    run never leaves a partial tree behind; a stamp file records the onnx version that made the data, and
    a different onnx version regenerates."""
    dest = os.path.join(work, "generated")
    stamp = os.path.join(dest, "onnx-version.txt")
    if os.path.isdir(os.path.join(dest, "node")) and os.path.isfile(stamp):
        with open(stamp) as f:
            if f.read().strip() == onnx.__version__:
                return dest
    tmp = "%s.tmp-%d" % (dest, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _GENERATE_SNIPPET, tmp], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0 or not os.path.isdir(os.path.join(tmp, "node")):
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit("onnx_node_tests: generating the ONNX backend test data failed")
    with open(os.path.join(tmp, "onnx-version.txt"), "w") as f:
        f.write(onnx.__version__ + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    print("generated ONNX %s backend test data in %.1f s" % (onnx.__version__, time.monotonic() - start))
    return dest


# ----------------------------------------------------------------------------------------------------
# mxsim invocation
# ----------------------------------------------------------------------------------------------------

def run_mxsim(mxsim, args, timeout):
    """Runs mxsim; returns (exit code or None on timeout, stdout, stderr).

    The lead rebuilds mxsim while tests run, so a binary that is momentarily missing or busy (ETXTBSY)
    is retried for up to 30 s before giving up."""
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    deadline = time.monotonic() + 30
    while True:
        try:
            proc = subprocess.run([mxsim] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True, errors="replace", timeout=timeout, env=env)
            return proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            return None, "", ""
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def supported_ops(mxsim):
    """The operator types `mxsim ops` prints, one per line."""
    rc, out, err = run_mxsim(mxsim, ["ops"], 60)
    if rc != 0:
        raise SystemExit("onnx_node_tests: '%s ops' failed (exit %s): %s" % (mxsim, rc, err.strip()))
    return {line.strip() for line in out.splitlines() if line.strip()}


# ----------------------------------------------------------------------------------------------------
# Expected-unsupported list
# ----------------------------------------------------------------------------------------------------

def load_expected(path):
    """Reads the TSV: case name, expected stderr substring ('|' separates alternatives), reason.
    Blank lines and lines starting with '#' are ignored."""
    entries = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or not all(c.strip() for c in cols):
                raise SystemExit("%s:%d: expected 3 tab-separated columns (case, substring, reason)"
                                 % (path, lineno))
            name, substring, reason = (c.strip() for c in cols)
            if name in entries:
                raise SystemExit("%s:%d: duplicate entry %s" % (path, lineno, name))
            entries[name] = ([s.strip() for s in substring.split("|")], reason)
    return entries


# ----------------------------------------------------------------------------------------------------
# One case
# ----------------------------------------------------------------------------------------------------

class Result:
    """What happened to one case."""

    def __init__(self, name, ops, in_scope, outcome, detail, seconds=0.0):
        self.name = name
        self.ops = ops            # sorted operator labels of the case ("Op" or "domain:Op")
        self.in_scope = in_scope
        self.outcome = outcome
        self.detail = detail
        self.seconds = seconds

    @property
    def failed(self):
        return OUTCOMES[self.outcome][0]


def collect_ops(graph, ops):
    """Adds (domain, op_type) of every node to ops, including nodes of subgraphs (If/Loop/Scan bodies)."""
    for node in graph.node:
        ops.add((node.domain, node.op_type))
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                collect_ops(attr.g, ops)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    collect_ops(g, ops)
    return ops


def op_label(domain, op_type):
    return op_type if domain in DEFAULT_DOMAINS else "%s:%s" % (domain, op_type)


def read_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor


def rewrite_case(model, data_dir, out_model, out_input):
    """Rewrites an ONNX test model into mxsim's form (see module docstring) and writes the input NPY.

    Returns a short note when the case could not be rewritten faithfully (then mxsim must reject it)."""
    graph = model.graph
    notes = []
    init_names = {t.name for t in graph.initializer}
    # ONNX test data holds one input_K.pb per graph input, in graph.input order.
    inputs = list(graph.input)
    computed = [vi for vi in inputs if vi.name not in init_names]
    if not computed:
        notes.append("no graph input")
        np.save(out_input, np.zeros([1], np.float32))
    else:
        first = computed[0]
        if first.type.HasField("tensor_type"):
            array = numpy_helper.to_array(read_tensor(os.path.join(data_dir, "input_0.pb")))
            np.save(out_input, array)  # non-float dtypes are saved as they are; mxsim must reject them
        else:
            notes.append("input 0 has %s" % first.type.WhichOneof("value"))
            np.save(out_input, np.zeros([1], np.float32))
        kept = [first]
        for k, vi in enumerate(inputs):
            if vi is first or vi.name in init_names:
                continue
            if not vi.type.HasField("tensor_type"):
                # A sequence/optional/map value cannot be an initializer; leave it a graph input.
                notes.append("input %d has %s" % (k, vi.type.WhichOneof("value")))
                kept.append(vi)
                continue
            tensor = read_tensor(os.path.join(data_dir, "input_%d.pb" % k))
            tensor.name = vi.name
            graph.initializer.append(tensor)
        del graph.input[:]
        graph.input.extend(kept)
        # IR < 4 requires every initializer to be a graph input too; IR 4 lifts that and is otherwise
        # the same format, so moving constants out of graph.input needs at least IR 4.
        if model.ir_version < 4 and graph.initializer:
            model.ir_version = 4
    onnx.save(model, out_model)
    return "; ".join(notes)


def one_stderr_line(stderr):
    """The single stderr line, or None if stderr is empty or has several lines."""
    lines = stderr.strip("\n").splitlines()
    return lines[0] if len(lines) == 1 and lines[0].strip() else None


def describe_exit(rc, stderr):
    if rc is None:
        return "timed out after %d s" % CASE_TIMEOUT_S
    text = stderr.strip()
    if len(text) > 400:
        text = text[:400] + "..."
    head = "killed by signal %d" % -rc if rc < 0 else "exit %d" % rc
    nlines = len(stderr.strip("\n").splitlines())
    if nlines > 1:
        head += " (%d stderr lines)" % nlines
    return "%s: %s" % (head, text.replace("\n", " | ") or "(no stderr)")


def check_rejection(rc, stderr, output_path, phrases):
    """None if mxsim rejected the case cleanly (exit 1, one stderr line containing one of phrases, no
    output file); else what was wrong."""
    if rc != 1:
        return "expected exit 1 with '%s'; got %s" % ("' or '".join(phrases), describe_exit(rc, stderr))
    line = one_stderr_line(stderr)
    if line is None:
        return "expected one stderr line; got %s" % describe_exit(rc, stderr)
    if not any(p in line for p in phrases):
        return "message lacks '%s': %s" % ("' or '".join(phrases), line)
    if os.path.exists(output_path):
        return "rejected but wrote the output file: %s" % line
    return None


def compare(output_path, expected):
    """None if the NPY at output_path matches expected (shape, assert_allclose); else a description."""
    try:
        actual = np.load(output_path)
    except Exception as e:  # missing or unreadable file after exit 0
        return "cannot read output: %s" % e
    if actual.shape != expected.shape:
        return "shape %s, expected %s" % (list(actual.shape), list(expected.shape))
    try:
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)
    except AssertionError:
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        diff = np.abs(a - e)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(e != 0, diff / np.abs(e), np.where(diff == 0, 0.0, np.inf))
        bad = int(np.count_nonzero(~np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)))
        return "max abs err %.3g, max rel err %.3g, %d of %d elements off" % (
            np.nanmax(diff), np.nanmax(rel), bad, e.size)
    return None


def run_case(case_dir, work, mxsim, supported, expected, derived=False):
    """Prepares and runs one case (or its custom-domain variant if derived); returns a Result."""
    name = os.path.basename(case_dir) + (DERIVED_SUFFIX if derived else "")
    start = time.monotonic()
    ops = []
    in_scope = False
    try:
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        if derived:
            move_to_custom_domain(model)
        op_set = collect_ops(model.graph, set())
        ops = sorted(op_label(d, t) for d, t in op_set)
        # Only default-domain operators count: an operator of another domain is a different operator
        # even if its name matches one mxsim supports.
        in_scope = all(d in DEFAULT_DOMAINS and t in supported for d, t in op_set)
        data_dir = os.path.join(case_dir, "test_data_set_0")
        out_dir = os.path.join(work, "cases", name)
        os.makedirs(out_dir, exist_ok=True)
        model_path = os.path.join(out_dir, "model.onnx")
        input_path = os.path.join(out_dir, "input.npy")
        output_path = os.path.join(out_dir, "output.npy")
        if os.path.exists(output_path):
            os.remove(output_path)
        note = rewrite_case(model, data_dir, model_path, input_path)
        rc, _, stderr = run_mxsim(mxsim, ["infer", "--ideal", "--threads", "1", "--model", model_path,
                                          "--input", input_path, "--output", output_path],
                                  CASE_TIMEOUT_S)
    except Exception as e:  # broken case data or harness bug: report, do not abort the run
        return Result(name, ops, in_scope, "harness-error", "%s: %s" % (type(e).__name__, e),
                      time.monotonic() - start)

    def result(outcome, detail):
        if note:
            detail = "%s [rewrite: %s]" % (detail, note)
        return Result(name, ops, in_scope, outcome, detail, time.monotonic() - start)

    if not in_scope:
        problem = check_rejection(rc, stderr, output_path, [UNSUPPORTED_OP_PHRASE])
        if problem:
            return result("bad-unsupported-op", problem)
        return result("rejected-unsupported-op", one_stderr_line(stderr))

    if name in expected:
        phrases, reason = expected[name]
        if rc == 0:
            # Accepted a case it must reject. If the answer is even right, the list entry is stale.
            expected_text = "' or '".join(phrases)
            if not model.graph.output or not model.graph.output[0].type.HasField("tensor_type"):
                return result("bad-rejection", "expected rejection ('%s'), got exit 0 (the reference "
                              "output is not a tensor)" % expected_text)
            try:
                mismatch = compare(output_path, numpy_helper.to_array(
                    read_tensor(os.path.join(data_dir, "output_0.pb"))))
            except Exception as e:
                mismatch = "cannot read output_0.pb: %s" % e
            if mismatch is None and len(model.graph.output) > 1:
                # Output 0 is right, but the other outputs were silently dropped: not a pass.
                return result("bad-rejection", "expected rejection ('%s'), got exit 0: output 0 matches but "
                              "the graph has %d outputs" % (expected_text, len(model.graph.output)))
            if mismatch is None:
                return result("stale-entry", "stale entry - remove from list (passes; listed because: %s)"
                              % reason)
            return result("bad-rejection", "expected rejection ('%s'), got exit 0 and a wrong answer: %s"
                          % (expected_text, mismatch))
        problem = check_rejection(rc, stderr, output_path, phrases)
        if problem:
            return result("bad-rejection", problem)
        return result("rejected-as-listed", one_stderr_line(stderr))

    if rc != 0:
        return result("error", describe_exit(rc, stderr))
    try:
        reference = numpy_helper.to_array(read_tensor(os.path.join(data_dir, "output_0.pb")))
    except Exception as e:
        return result("harness-error", "cannot read output_0.pb: %s" % e)
    mismatch = compare(output_path, reference)
    if mismatch:
        return result("mismatch", mismatch)
    if len(model.graph.output) > 1:
        # Only output 0 can come back from mxsim; such a case belongs in the list, not among passes.
        return result("mismatch", "output 0 matches but the graph has %d outputs" % len(model.graph.output))
    return result("pass", "")


# ----------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------

def print_summary(results, supported, expected, unknown_entries, seconds):
    counts = collections.Counter(r.outcome for r in results)
    print()
    derived = sum(1 for r in results if r.name.endswith(DERIVED_SUFFIX))
    print("ONNX %s backend node tests through mxsim infer --ideal: %d cases (+%d derived), %.1f s, "
          "%d supported ops" % (onnx.__version__, len(results) - derived, derived, seconds, len(supported)))
    print()
    print("%-26s %6s  %s" % ("outcome", "cases", "meaning"))
    for outcome, (is_failure, meaning) in OUTCOMES.items():
        print("%-26s %6d  %s%s" % (outcome, counts[outcome], meaning, "  [FAILURE]" if is_failure and
                                   counts[outcome] else ""))
    dormant = sum(1 for r in results if not r.in_scope and r.name in expected)
    print("(list entries for cases with a not-yet-supported operator, dormant: %d)" % dormant)

    # Per-operator counts over in-scope cases (a case with several operators counts for each).
    per_op = collections.OrderedDict((op, collections.Counter()) for op in sorted(supported))
    for r in results:
        if not r.in_scope:
            continue
        for op in r.ops:
            c = per_op.setdefault(op, collections.Counter())
            c["cases"] += 1
            c["failed" if r.failed else r.outcome] += 1
    print()
    print("%-22s %6s %6s %8s %7s" % ("op (in-scope cases)", "cases", "pass", "listed", "failed"))
    for op, c in per_op.items():
        if c["cases"]:
            print("%-22s %6d %6d %8d %7d" % (op, c["cases"], c["pass"], c["rejected-as-listed"], c["failed"]))
    idle = [op for op, c in per_op.items() if not c["cases"]]
    if idle:
        print("(supported ops without an in-scope case here: %s)" % ", ".join(idle))

    failures = [r for r in results if r.failed]
    if failures or unknown_entries:
        print()
        print("failures (%d):" % (len(failures) + len(unknown_entries)))
        for r in sorted(failures, key=lambda r: (r.outcome, r.name)):
            print("  %-50s %-19s [%s] %s" % (r.name, r.outcome, ",".join(r.ops), r.detail))
        for name in unknown_entries:
            print("  %-50s %-19s no such case in the generated data (typo or onnx version change)"
                  % (name, "unknown-list-entry"))
    return bool(failures or unknown_entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mxsim", required=True, help="path of the mxsim binary")
    parser.add_argument("--work", required=True, help="scratch directory (generated data, rewritten cases)")
    parser.add_argument("--cases-glob", default="test_*", help="case names to run (fnmatch; default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default %(default)s)")
    parser.add_argument("--list", default=DEFAULT_LIST, help="expected-unsupported list (default: next to this script)")
    parser.add_argument("--verbose", action="store_true", help="print every case's outcome as it finishes")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    start = time.monotonic()
    mxsim = os.path.abspath(args.mxsim)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    expected = load_expected(args.list)
    generated = ensure_generated(work)
    supported = supported_ops(mxsim)

    case_dirs = sorted(d for d in glob.glob(os.path.join(generated, "node", "test_*"))
                       if fnmatch.fnmatchcase(os.path.basename(d), args.cases_glob))
    if not case_dirs:
        print("onnx_node_tests: no case matches %r" % args.cases_glob, file=sys.stderr)
        return 1
    all_names = {os.path.basename(d) for d in glob.glob(os.path.join(generated, "node", "test_*"))}
    unknown_entries = sorted(n for n in expected if n not in all_names
                             and fnmatch.fnmatchcase(n, args.cases_glob))

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, d, work, mxsim, supported, expected) for d in case_dirs]
        futures += [pool.submit(run_case, d, work, mxsim, supported, expected, True)
                    for d in case_dirs if os.path.basename(d) == DERIVED_FROM]
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            if args.verbose:  # as_completed yields in this thread, so lines never interleave
                print("%-26s %-50s %5.2fs %s" % (r.outcome, r.name, r.seconds, r.detail), flush=True)
    results.sort(key=lambda r: r.name)
    failed = print_summary(results, supported, expected, unknown_entries, time.monotonic() - start)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
