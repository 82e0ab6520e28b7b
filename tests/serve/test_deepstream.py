"""bisenet-package --deepstream: every key written is a documented one, the graph normalizes exactly,
and what nvinfer cannot run is refused."""

import configparser

import numpy as np
import pytest

from bisenet_deploy.core.model_info import load_model_card
from bisenet_deploy.core.preprocess import preprocess
from bisenet_deploy.export.main import main as export_main
from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT
from bisenet_deploy.serve.main import main as package_main
from cli_capture import run_cli

# nvinfer's [property] keys: gst-nvinfer's gstnvinfer_property_parser.h (DeepStream SDK sources, the
# 2018-2021 revision: CONFIG_GROUP_INFER_* names), the subset this package may write.
NVINFER_KEYS = {"gpu-id", "net-scale-factor", "offsets", "model-color-format", "onnx-file", "model-engine-file",
                "int8-calib-file", "labelfile-path", "batch-size", "network-mode", "num-detected-classes",
                "interval", "gie-unique-id", "network-type", "infer-dims", "maintain-aspect-ratio",
                "output-blob-names", "segmentation-threshold", "segmentation-output-order"}
# deepstream-app's groups and keys: DeepStream developer guide, "Reference Application Configuration"
# (application, tiled-display, source, streammux, primary-gie, segvisual, osd, sink groups).
APP_KEYS = {
    "application": {"enable-perf-measurement", "perf-measurement-interval-sec"},
    "tiled-display": {"enable", "rows", "columns", "width", "height"},
    "source": {"enable", "type", "uri", "num-sources", "gpu-id"},
    "streammux": {"gpu-id", "live-source", "batch-size", "batched-push-timeout", "width", "height"},
    "primary-gie": {"enable", "gpu-id", "batch-size", "gie-unique-id", "config-file"},
    "segvisual": {"enable", "gpu-id", "batch-size", "width", "height"},
    "osd": {"enable"},
    "sink": {"enable", "type", "sync"},
}


@pytest.fixture(scope="module")
def batch4_logits(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ds_model") / "demo.onnx")
    assert export_main([DEMO_CHECKPOINT, "-o", path, "--input-size", "192x256", "--head", "logits",
                        "--dynamic-batch", "4"]) == 0
    return path


def _read(path):
    parser = configparser.ConfigParser()
    parser.read(str(path))
    return parser


def test_configs_use_only_documented_keys(batch4_logits, tmp_path):
    code, out, err = run_cli(package_main, batch4_logits, "--deepstream", tmp_path, "--sources", "4")
    assert code == 0, err
    infer = _read(tmp_path / "config_infer_bisenet.txt")
    assert set(infer["property"]) <= NVINFER_KEYS
    prop = infer["property"]
    assert prop["network-type"] == "2" and prop["output-blob-names"] == "logits"
    assert prop["num-detected-classes"] == "37" and prop["batch-size"] == "4" and prop["net-scale-factor"] == "1.0"
    assert prop["model-engine-file"] == "demo.pixels.onnx_b4_gpu0_fp16.engine"
    assert len((tmp_path / "labels.txt").read_text().splitlines()) == 37
    app = _read(tmp_path / "deepstream_app_bisenet.txt")
    sources = [name for name in app.sections() if name.startswith("source")]
    assert len(sources) == 4 and app["streammux"]["batch-size"] == "4"
    for section in app.sections():
        group = section.rstrip("0123456789")
        assert set(app[section]) <= APP_KEYS[group], section


def test_graph_takes_pixels_and_normalizes_exactly(batch4_logits, tmp_path):
    import onnxruntime

    assert run_cli(package_main, batch4_logits, "--deepstream", tmp_path, "--sources", "2")[0] == 0
    card = load_model_card(batch4_logits)
    frame = (np.random.RandomState(5).rand(192, 256, 3) * 255).astype(np.uint8)
    reference = onnxruntime.InferenceSession(batch4_logits).run(
        None, {"input": preprocess(frame, (192, 256), card["mean"], card["std"], "float32")})[0]
    pixels = frame[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)  # what nvinfer feeds at scale 1
    scores = onnxruntime.InferenceSession(str(tmp_path / "demo.pixels.onnx")).run(None, {"input": pixels})[0]
    assert np.abs(scores - reference).max() < 1e-4
    assert (scores.argmax(1) == reference.argmax(1)).all()


def test_labels_head_and_batch_mismatch_are_refused(demo_onnx_labels, demo_onnx_logits, tmp_path):
    code, _, err = run_cli(package_main, demo_onnx_labels, "--deepstream", tmp_path)
    assert code == 2 and "float class scores" in err
    code, _, err = run_cli(package_main, demo_onnx_logits, "--deepstream", tmp_path, "--sources", "4")
    assert code == 2 and "--dynamic-batch 4" in err
