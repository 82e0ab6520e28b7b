"""MACs read off an ONNX: hand-built graphs whose multiply-accumulates are counted by hand here."""

import json

import numpy as np
import onnx
import pytest
from model_files import export_onnx
from onnx import TensorProto, helper, numpy_helper

from bisenet_deploy.bench.macs import count_macs, source_onnx
from bisenet_deploy.core.model_info import sidecar_path


def weight(name, shape):
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def save(path, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, "hand_made", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


def write_mixed_model(path, qdq=False):
    """x (1,3,16,16) -> Conv 8x3x3x3 pad 1 -> grouped Conv 8x(8/2)x3x3 stride 2 -> ConvTranspose 8->4 k2 s2
    -> Reshape (1,4*16,16) -> MatMul by 16x10; and Gemm on a second input (5,6)^T x (5,7) (transA)."""
    conv_w = "w1"
    initializers = [weight("w1", (8, 3, 3, 3)), weight("w2", (8, 4, 3, 3)), weight("w3", (8, 4, 2, 2)),
                    weight("m", (16, 10)), weight("g", (5, 7)),
                    numpy_helper.from_array(np.array([1, 64, 16], np.int64), "shape")]
    nodes = []
    if qdq:  # the first conv's weight and input behind Q/DQ pairs, as bisenet-calibrate writes them
        initializers += [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
                         numpy_helper.from_array(np.array(0, np.int8), "zp")]
        nodes += [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"]),
                  helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xd"]),
                  helper.make_node("QuantizeLinear", ["w1", "s", "zp"], ["wq"]),
                  helper.make_node("DequantizeLinear", ["wq", "s", "zp"], ["wd"])]
        conv_w = "wd"
    nodes += [helper.make_node("Conv", ["xd" if qdq else "x", conv_w], ["c1"], pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c1"], ["r1"]),
              helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], group=2),
              helper.make_node("ConvTranspose", ["c2", "w3"], ["d"], strides=[2, 2]),
              helper.make_node("Reshape", ["d", "shape"], ["flat"]),
              helper.make_node("MatMul", ["flat", "m"], ["y"]),
              helper.make_node("Gemm", ["a", "g"], ["z"], transA=1)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16]),
              helper.make_tensor_value_info("a", TensorProto.FLOAT, [5, 6])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 10]),
               helper.make_tensor_value_info("z", TensorProto.FLOAT, [6, 7])]
    return save(path, nodes, inputs, outputs, initializers)


# by hand: output values x products summed into each
CONV1 = (8 * 16 * 16) * (3 * 3 * 3)  # 8 channels of 16x16, each a 3x3 window over 3 channels
CONV2 = (8 * 8 * 8) * (4 * 3 * 3)  # stride 2 -> 8x8; groups of 2: each output sees 8 / 2 channels
DECONV = (8 * 8 * 8) * (4 * 2 * 2)  # every input value scatters into 4 / 1 channels x a 2x2 kernel -> 4x16x16
MATMUL = (64 * 10) * 16  # (1,64,16) x (16,10)
GEMM = (6 * 7) * 5  # A^T is 6x5
HAND_COUNT = CONV1 + CONV2 + DECONV + MATMUL + GEMM


def test_macs_are_counted_as_by_hand(tmp_path):
    assert count_macs(write_mixed_model(tmp_path / "mixed.onnx")) == HAND_COUNT == 92370


def test_a_qdq_model_counts_the_same_layers(tmp_path):
    assert count_macs(write_mixed_model(tmp_path / "mixed.qdq.onnx", qdq=True)) == HAND_COUNT


def test_a_dynamic_size_gives_none_not_a_guess(tmp_path):
    path = save(tmp_path / "dynamic.onnx", [helper.make_node("Conv", ["x", "w"], ["y"])],
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, "h", "w"])],
                [weight("w", (4, 3, 1, 1))])
    assert count_macs(path) is None


def test_an_exported_network_s_macs_grow_with_its_input_area(tiny_checkpoint, tiny_onnx_logits, tmp_path):
    """The convolutions work per pixel: twice the sides, four times the MACs (but for the few on the globally
    pooled context, whose size does not change)."""
    larger = export_onnx(tiny_checkpoint, tmp_path, "tiny_large", "128x192", "logits")
    assert count_macs(tiny_onnx_logits) > 0
    assert count_macs(larger) / count_macs(tiny_onnx_logits) == pytest.approx(4, rel=1e-3)


def test_an_engine_counts_its_source_onnx_through_the_sidecar(tmp_path, tiny_onnx_logits):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"plan")
    assert source_onnx(str(engine)) is None  # no sidecar: no MACs rather than a failed bench
    with open(sidecar_path(str(engine)), "w") as handle:
        json.dump({"format": "bisenet-deploy/engine", "onnx": {"path": tiny_onnx_logits}}, handle)
    assert source_onnx(str(engine)) == tiny_onnx_logits
    with open(sidecar_path(str(engine)), "w") as handle:
        json.dump({"format": "bisenet-deploy/engine", "onnx": {"path": str(tmp_path / "gone.onnx")}}, handle)
    assert source_onnx(str(engine)) is None


@pytest.mark.parametrize("name, exported, expected", [
    ("m.onnx", None, "m.onnx"), ("m.pth", "exported.onnx", "exported.onnx"), ("m.pth", None, None)])
def test_source_onnx_of_onnx_and_checkpoints(tmp_path, name, exported, expected):
    path = tmp_path / name
    path.write_bytes(b"x")
    found = source_onnx(str(path), exported)
    assert found == (str(path) if expected == name else expected)
