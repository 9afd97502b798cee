#!/usr/bin/python3
"""Regenerate the bad-model fixtures of tests/data/bad_models/ (checked by tests/cli/bad_models.sh).

Usage (Debian's /usr/bin/python3, which has onnx):

    /usr/bin/python3 tests/data/bad_models/make_fixtures.py [--out DIR]   # default: this directory

Each fixture is a small, deterministic ONNX file built with onnx.helper (fixed producer, IR version and
opset; no random numbers; weights are ramps), broken in exactly one way, so mxsim must reject it with
exit status 1 and one error line naming the file and the culprit:

    truncated.onnx              a valid Conv-Relu model cut in half
    empty.onnx                  0 bytes
    unsupported_op.onnx         a ConvTranspose node 'deconv1' (a real ONNX op mxsim does not lower)
    unknown_op.onnx             node 'frob1', op Frobnicate of the custom domain com.example.mxsim
    missing_initializer.onnx    Conv 'conv1' whose weights 'w_missing' are defined nowhere
    shape_mismatch.onnx         Conv 'conv1' with 4x3x3x3 weights fed a 1-channel input
    add_shape_mismatch.onnx     Add 'add1' of computed [N,4,8,8] and [N,4,7,7]: not broadcastable
    external_data_missing.onnx  initializer 'w' with data_location=EXTERNAL in missing_weights.bin,
                                which does not exist
    absurd_size.onnx            input 'x' declared [N, 1, 1000000, 1000000] (10^12 values per image)
    absurd_initializer.onnx     Gemm 'fc' weights 'B' declaring dims [8, 2^61] with no data: the
                                element count overflows int64 (to 0, which "matches" the empty data)
    wrong_input_type.onnx       graph input 'x' of element type INT64
    two_inputs.onnx             two non-constant graph inputs 'x' and 'z'
    dynamic_dims.onnx           input 'x' [N, 3, 'H', 'W']: symbolic spatial dims (needs --input-shape)
    cycle_or_unsorted.onnx      node 'second' reads a value of the later node 'first'
    nan_weight.onnx             conv_relu with a NaN in Conv 'conv1' weights 'w' (flat index 1)
    inf_bias.onnx               conv_relu with +inf in bias 'b'
    opset_0.onnx, opset_99.onnx conv_relu importing default-domain opset 0 / 99 (no such opsets)
    ir_version_negative.onnx, ir_version_99.onnx   conv_relu with IR version -1 / 99
    external_data_escape.onnx   weights 'w' in external data at ../../(...)/etc/passwd: outside the model's directory
    external_data_absolute.onnx weights 'w' in external data at /dev/zero: an absolute path (and a device)
    external_data_short.onnx    weights 'w' (432 bytes) in short_weights.bin, which holds 16 bytes
    huge_bias_dims.onnx         bias 'b' declaring dims [500000000] over 16 bytes of raw_data
    short_weights.bin           16 bytes 00..0f (the data file of external_data_short.onnx)

not_onnx.onnx (a text file) is committed as is and not regenerated here.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13
IR_VERSION = 7          # ONNX 1.7+ readers accept it; opset 13 needs IR >= 7
PRODUCER = "mxsim tests/data/bad_models/make_fixtures.py"


# ------------------------------------------------------------------------------------ helpers
def ramp(name: str, dims: Sequence[int]) -> TensorProto:
    """A float32 initializer with deterministic, small, non-constant values."""
    n = int(np.prod(dims))
    values = (np.arange(n, dtype=np.float32) % 7 - 3.0) / 8.0
    return numpy_helper.from_array(values.reshape(dims), name)


def tensor_input(name: str, dims: Sequence[object], elem: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    """A graph input/output; string dims are symbolic (dim_param), None leaves the shape unset."""
    return helper.make_tensor_value_info(name, elem, list(dims))


def model(nodes: List[onnx.NodeProto], inputs: List[onnx.ValueInfoProto], outputs: List[onnx.ValueInfoProto],
          initializers: Sequence[TensorProto] = (), extra_opsets: Optional[Dict[str, int]] = None,
          name: str = "bad_model") -> onnx.ModelProto:
    """A model with the fixed producer/IR/opset, so the bytes are reproducible."""
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", OPSET)]
    opsets += [helper.make_opsetid(d, v) for d, v in sorted((extra_opsets or {}).items())]
    m = helper.make_model(graph, opset_imports=opsets, producer_name=PRODUCER, producer_version="1")
    m.ir_version = IR_VERSION
    return m


def conv_relu(in_channels: int = 3, weight_channels: int = 3) -> onnx.ModelProto:
    """x [N, in_channels, 8, 8] -> Conv 'conv1' (4 x weight_channels x 3 x 3, pad 1) -> Relu -> y."""
    return model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu1")],
        [tensor_input("x", ["N", in_channels, 8, 8])], [tensor_input("y", ["N", 4, 8, 8])],
        [ramp("w", [4, weight_channels, 3, 3]), ramp("b", [4])])


# ----------------------------------------------------------------------------------- fixtures
def truncated() -> bytes:
    data = conv_relu().SerializeToString()
    return data[: len(data) // 2]


def empty() -> bytes:
    return b""


def unsupported_op() -> onnx.ModelProto:
    # ConvTranspose (a standard ONNX op PyTorch emits for nn.ConvTranspose2d); weights are Cin x Cout x k x k.
    return model(
        [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="deconv1", strides=[2, 2])],
        [tensor_input("x", ["N", 3, 8, 8])], [tensor_input("y", ["N", 4, 17, 17])], [ramp("w", [3, 4, 3, 3])])


def unknown_op() -> onnx.ModelProto:
    return model(
        [helper.make_node("Relu", ["x"], ["r"], name="relu1"),
         helper.make_node("Frobnicate", ["r"], ["y"], name="frob1", domain="com.example.mxsim", strength=3)],
        [tensor_input("x", ["N", 3, 8, 8])], [tensor_input("y", ["N", 3, 8, 8])],
        extra_opsets={"com.example.mxsim": 1})


def missing_initializer() -> onnx.ModelProto:
    return model(
        [helper.make_node("Conv", ["x", "w_missing"], ["y"], name="conv1")],
        [tensor_input("x", ["N", 3, 8, 8])], [tensor_input("y", ["N", 4, 6, 6])])


def shape_mismatch() -> onnx.ModelProto:
    return conv_relu(in_channels=1, weight_channels=3)


def add_shape_mismatch() -> onnx.ModelProto:
    # Two computed branches of the same input: 1x1 conv keeps 8x8, 2x2 conv gives 7x7.
    return model(
        [helper.make_node("Conv", ["x", "w1"], ["a"], name="conv_a"),
         helper.make_node("Conv", ["x", "w2"], ["b"], name="conv_b"),
         helper.make_node("Add", ["a", "b"], ["y"], name="add1")],
        [tensor_input("x", ["N", 4, 8, 8])], [tensor_input("y", ["N", 4, 8, 8])],
        [ramp("w1", [4, 4, 1, 1]), ramp("w2", [4, 4, 2, 2])])


def external_data_missing() -> onnx.ModelProto:
    m = conv_relu()
    w = m.graph.initializer[0]
    assert w.name == "w"
    nbytes = len(w.raw_data)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "missing_weights.bin"), ("offset", "0"), ("length", str(nbytes))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return m


def absurd_size() -> onnx.ModelProto:
    return model(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu1")],
        [tensor_input("x", ["N", 1, 1000000, 1000000])], [tensor_input("y", ["N", 4, 1000000, 1000000])],
        [ramp("w", [4, 1, 3, 3])])


def absurd_initializer() -> onnx.ModelProto:
    # 8 * 2^61 = 2^64 elements: wraps to 0 in 64-bit arithmetic, which equals the (empty) data size.
    # (helper.make_tensor refuses a size mismatch, so the proto is filled in by hand.)
    b = TensorProto(name="B", data_type=TensorProto.FLOAT, dims=[8, 2 ** 61])
    return model(
        [helper.make_node("Gemm", ["x", "B"], ["y"], name="fc")],
        [tensor_input("x", ["N", 8])], [tensor_input("y", ["N", 2 ** 61])], [b])


def wrong_input_type() -> onnx.ModelProto:
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu1")],
        [tensor_input("x", ["N", 3, 8, 8], TensorProto.INT64)],
        [tensor_input("y", ["N", 3, 8, 8], TensorProto.INT64)])


def two_inputs() -> onnx.ModelProto:
    return model(
        [helper.make_node("Add", ["x", "z"], ["y"], name="add1")],
        [tensor_input("x", ["N", 3, 8, 8]), tensor_input("z", ["N", 3, 8, 8])],
        [tensor_input("y", ["N", 3, 8, 8])])


def dynamic_dims() -> onnx.ModelProto:
    # A fully convolutional net exported with dynamic H and W: valid ONNX, but mxsim needs fixed
    # shapes to map the layers, so the user has to give them (--input-shape).
    m = conv_relu()
    for vi in (m.graph.input[0], m.graph.output[0]):
        dims = vi.type.tensor_type.shape.dim
        dims[2].dim_param, dims[3].dim_param = "H", "W"
    return m


def cycle_or_unsorted() -> onnx.ModelProto:
    # A valid graph once sorted (x -> first -> a -> second -> y), stored in the wrong order.
    return model(
        [helper.make_node("Relu", ["a"], ["y"], name="second"),
         helper.make_node("Relu", ["x"], ["a"], name="first")],
        [tensor_input("x", ["N", 3, 8, 8])], [tensor_input("y", ["N", 3, 8, 8])])


def with_weights(values: Dict[str, Sequence[float]]) -> onnx.ModelProto:
    """conv_relu with some of its weight entries replaced (flat index -> value, per initializer)."""
    m = conv_relu()
    for t in m.graph.initializer:
        if t.name in values:
            a = numpy_helper.to_array(t).copy()
            flat = a.reshape(-1)
            for i, v in enumerate(values[t.name]):
                flat[i] = v
            t.CopyFrom(numpy_helper.from_array(a, t.name))
    return m


def nan_weight() -> onnx.ModelProto:
    return with_weights({"w": [0.5, float("nan")]})


def inf_bias() -> onnx.ModelProto:
    return with_weights({"b": [float("inf")]})


def with_versions(opset: int = OPSET, ir_version: int = IR_VERSION) -> onnx.ModelProto:
    m = conv_relu()
    m.opset_import[0].version = opset
    m.ir_version = ir_version
    return m


def external_at(location: str) -> onnx.ModelProto:
    """conv_relu whose weights 'w' (432 bytes) are declared to live in external data at `location`."""
    m = conv_relu()
    w = m.graph.initializer[0]
    nbytes = len(w.raw_data)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(nbytes))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return m


def huge_bias_dims() -> onnx.ModelProto:
    # The bias declares 5*10^8 values over 16 bytes of raw_data: the old decoder allocated 2 GB (62 s) first.
    m = conv_relu()
    b = m.graph.initializer[1]
    assert b.name == "b"
    del b.dims[:]
    b.dims.append(500_000_000)
    return m


#: fixture file -> builder (bytes, or a ModelProto to serialise).
FIXTURES = {
    "truncated.onnx": truncated,
    "empty.onnx": empty,
    "unsupported_op.onnx": unsupported_op,
    "unknown_op.onnx": unknown_op,
    "missing_initializer.onnx": missing_initializer,
    "shape_mismatch.onnx": shape_mismatch,
    "add_shape_mismatch.onnx": add_shape_mismatch,
    "external_data_missing.onnx": external_data_missing,
    "absurd_size.onnx": absurd_size,
    "absurd_initializer.onnx": absurd_initializer,
    "wrong_input_type.onnx": wrong_input_type,
    "two_inputs.onnx": two_inputs,
    "dynamic_dims.onnx": dynamic_dims,
    "cycle_or_unsorted.onnx": cycle_or_unsorted,
    "nan_weight.onnx": nan_weight,
    "inf_bias.onnx": inf_bias,
    "opset_0.onnx": lambda: with_versions(opset=0),
    "opset_99.onnx": lambda: with_versions(opset=99),
    "ir_version_negative.onnx": lambda: with_versions(ir_version=-1),
    "ir_version_99.onnx": lambda: with_versions(ir_version=99),
    "external_data_escape.onnx": lambda: external_at("../../../../../../../../../../etc/passwd"),
    "external_data_absolute.onnx": lambda: external_at("/dev/zero"),
    "external_data_short.onnx": lambda: external_at("short_weights.bin"),
    "huge_bias_dims.onnx": huge_bias_dims,
    "short_weights.bin": lambda: bytes(range(16)),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate mxsim's bad-model fixtures.")
    parser.add_argument("--out", default=HERE, help="output directory (default: %(default)s)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name, build in FIXTURES.items():
        result = build()
        data = result if isinstance(result, bytes) else result.SerializeToString()
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
