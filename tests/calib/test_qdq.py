"""Tests for bisenet_deploy/calib/qdq.py: what gets quantized, and that the QDQ graph has the shape
TensorRT's ONNX parser accepts, on real exported models quantized by onnxruntime."""

import collections
import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from bisenet_deploy.calib.images import CalibrationStream
from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.calib.qdq import CALIBRATION_KEY, StreamDataReader, card_for_calibration, check_quantizable, load_onnx, qdq_summary
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY
from bisenet_deploy.scenes.demo_model import DEMO_INPUT_SIZE


def op_counts(model):
    return collections.Counter(node.op_type for node in model.graph.node)


@pytest.fixture(scope="module")
def default_qdq(logits_onnx, scene_dir, tmp_path_factory):
    """(fp32 model, qdq model) with the default settings (Conv only, per tensor)."""
    output = str(tmp_path_factory.mktemp("qdq") / "default.qdq.onnx")
    code = calibrate_main([logits_onnx, "--images", scene_dir, "--count", "12", "-o", output, "--min-agreement", "0",
                           "--no-progress"])
    assert code == 0
    return onnx.load(logits_onnx), onnx.load(output)


@pytest.fixture(scope="module")
def deconv_qdq(labels_onnx, scene_dir, tmp_path_factory):
    """(fp32 model, qdq model) with --quantize-deconv --per-channel --method minmax."""
    output = str(tmp_path_factory.mktemp("qdq") / "deconv.qdq.onnx")
    code = calibrate_main([labels_onnx, "--images", scene_dir, "--count", "12", "-o", output, "--min-agreement", "0",
                           "--quantize-deconv", "--per-channel", "--method", "minmax", "--no-progress"])
    assert code == 0
    return onnx.load(labels_onnx), onnx.load(output)


def test_default_quantizes_every_conv_and_leaves_convtranspose_in_float(default_qdq):
    fp32, qdq = default_qdq
    counts = op_counts(fp32)
    assert counts["ConvTranspose"] == 2  # the test model really has deconvolutions to leave alone
    summary = qdq_summary(qdq)
    assert summary["Conv"] == {"total": counts["Conv"], "quantized": counts["Conv"]}
    assert summary["ConvTranspose"] == {"total": 2, "quantized": 0}
    assert summary["QuantizeLinear"] == op_counts(qdq)["QuantizeLinear"] > 0
    assert qdq_summary(fp32)["Conv"]["quantized"] == 0


def test_quantize_deconv_and_per_channel(deconv_qdq):
    fp32, qdq = deconv_qdq
    summary = qdq_summary(qdq)
    assert summary["ConvTranspose"] == {"total": 2, "quantized": 2}
    assert summary["Conv"]["quantized"] == op_counts(fp32)["Conv"]
    assert [o.version for o in qdq.opset_import if o.domain in ("", "ai.onnx")] == [13]  # QuantizeLinear axis
    weights = dict((init.name, numpy_helper.to_array(init)) for init in qdq.graph.initializer)
    producers = dict((out, node) for node in qdq.graph.node for out in node.output)
    conv = next(node for node in qdq.graph.node if node.op_type == "Conv")
    weight_dq = producers[conv.input[1]]
    out_channels = weights[producers[weight_dq.input[0]].input[0]].shape[0]
    assert weights[weight_dq.input[1]].shape == (out_channels,)  # one scale per output channel


@pytest.mark.parametrize("which", ["default_qdq", "deconv_qdq"])
def test_qdq_graph_has_the_shape_tensorrt_parses(request, which):
    _, qdq = request.getfixturevalue(which)
    initializers = dict((init.name, init) for init in qdq.graph.initializer)
    for node in qdq.graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        zero_point = numpy_helper.to_array(initializers[node.input[2]])
        assert zero_point.dtype == np.int8 and not zero_point.any()  # symmetric INT8
        if node.op_type == "DequantizeLinear":
            # TensorRT 8.x: DequantizeLinear inputs must be activations (float weights go through Q
            # first) and no INT32 bias is dequantized
            assert node.input[0] not in initializers
    assert "bisenet_deploy.model_card" in [p.key for p in qdq.metadata_props]


def test_calibration_record_in_the_card(default_qdq, logits_onnx):
    fp32, qdq = default_qdq
    card = json.loads(dict((p.key, p.value) for p in qdq.metadata_props)[MODEL_CARD_KEY])
    original = json.loads(dict((p.key, p.value) for p in fp32.metadata_props)[MODEL_CARD_KEY])
    entry = card.pop("calibration")
    assert card == original  # only the calibration record was added (the opset stays 11 per tensor)
    assert entry["method"] == "entropy" and entry["per_channel"] is False
    assert entry["images"]["used"] == 12 and entry["images"]["skipped"] == 0 and entry["count"] == 12
    assert entry["seed"] == 0
    assert entry["quantized_op_types"] == ["Conv"]
    assert entry["quantized_nodes"] == op_counts(fp32)["Conv"]
    assert entry["float_nodes"] == {"Conv": 0, "ConvTranspose": 2}
    assert entry["agreement"]["images"] == "held-out" and entry["agreement"]["count"] == 28
    assert 0.0 < entry["agreement"]["pixel_agreement"] <= 1.0
    assert entry["onnxruntime"] == __import__("onnxruntime").__version__


def test_a_model_without_card_is_described_by_its_graph(logits_onnx, tmp_path):
    model = load_onnx(logits_onnx)
    del model.metadata_props[:]
    card, has_card = card_for_calibration(model, "foreign.onnx")
    assert not has_card
    assert card["input_size"] == list(DEMO_INPUT_SIZE) and card["head"] == "logits" and card["num_classes"] == 37
    assert card["input"]["name"] == "input" and card["output"]["name"] == "logits"


def test_card_less_model_keeps_its_record_under_its_own_key(logits_onnx, scene_dir, tmp_path):
    model = load_onnx(logits_onnx)
    del model.metadata_props[:]
    foreign = str(tmp_path / "foreign.onnx")
    onnx.save(model, foreign)
    assert calibrate_main([foreign, "--images", scene_dir, "--count", "10", "--min-agreement", "0"]) == 0
    keys = dict((p.key, p.value) for p in onnx.load(str(tmp_path / "foreign.qdq.onnx")).metadata_props)
    assert MODEL_CARD_KEY not in keys
    assert json.loads(keys[CALIBRATION_KEY])["images"]["used"] == 10


def test_quantized_or_conv_free_models_are_refused(default_qdq, onnx_without_card):
    with pytest.raises(InputError, match="already holds QuantizeLinear"):
        check_quantizable(default_qdq[1], "model.qdq.onnx", False)
    with pytest.raises(InputError, match="no Conv node"):
        check_quantizable(load_onnx(onnx_without_card), "foreign.onnx", False)


def test_reader_serves_one_window_of_batches_at_a_time(scene_dir):
    card = {"input_size": [32, 48], "mean": [0.5] * 3, "std": [0.25] * 3, "input": {"name": "x", "dtype": "float32"}}
    stream = CalibrationStream(scene_dir, card, batch_size=2, count=6, min_images=1)
    reader = StreamDataReader(stream, "x")
    assert len(reader) == 3
    served = []
    for start in range(3):  # what onnxruntime's strided collection does
        reader.set_range(start, start + 1)
        window = []
        while True:
            item = reader.get_next()
            if item is None:
                break
            window.append(item["x"])
        served.append(window)
    assert [len(window) for window in served] == [1, 1, 1]
    expected = list(CalibrationStream(scene_dir, card, batch_size=2, count=6, min_images=1).batches())
    assert all(np.array_equal(window[0], batch) for window, batch in zip(served, expected))
    reader.set_range(3, 4)
    with pytest.raises(InputError, match="changed while being read"):
        reader.get_next()
