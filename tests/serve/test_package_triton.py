"""bisenet-package --triton: every config.pbtxt parses with Triton's own schema; the repository layout
and the choices the config records."""

import json
import os

import numpy as np
import pytest

from bisenet_deploy.core.lazy import is_installed
from bisenet_deploy.serve.main import main as package_main
from bisenet_deploy.serve.triton_config import config_text, parse_config
from cli_capture import run_cli

pytestmark = pytest.mark.skipif(not is_installed("tritonclient"),
                                reason="needs tritonclient (the [serve] extra) for Triton's schema")


def _pb2():
    from tritonclient.grpc import model_config_pb2
    return model_config_pb2


def _config(folder):
    with open(os.path.join(str(folder), "config.pbtxt")) as handle:
        return parse_config(handle.read(), "config.pbtxt")


@pytest.mark.parametrize("platform, extra, files", [
    ("python", [], ["model.onnx", "model.py"]),
    ("python", ["--python-runtime", "openvino", "--raw-input"], ["model.onnx", "model.py"]),
    ("onnxruntime", ["--trt-accelerator", "fp16"], ["model.onnx"]),
    ("openvino", [], ["model.bin", "model.xml"]),
])
def test_each_platform_writes_a_config_triton_parses(demo_onnx_labels, tmp_path, platform, extra, files):
    if platform == "openvino" or "openvino" in extra:
        pytest.importorskip("openvino")
    code, out, err = run_cli(package_main, demo_onnx_labels, "--triton", tmp_path / "repo", "--name", "m",
                             "--platform", platform, *extra)
    assert code == 0, err
    config = _config(tmp_path / "repo" / "m")
    assert sorted(os.listdir(str(tmp_path / "repo" / "m" / "1"))) == files
    card = json.loads(config.parameters["bisenet_deploy.model_card"].string_value)
    assert card["input_size"] == [192, 256]
    if platform == "python":  # batch-1 ONNX: the python model runs a gathered batch frame by frame
        assert config.max_batch_size == 8 and list(config.dynamic_batching.preferred_batch_size) == [2, 4, 8]
        assert config.backend == "python" and config.instance_group[0].kind == _pb2().ModelInstanceGroup.KIND_CPU
    else:  # a fixed batch-1 model cannot be batched by the server, and says so
        assert config.max_batch_size == 0 and list(config.input[0].dims)[0] == 1
        assert "--dynamic-batch" in out
    if "--raw-input" in extra:
        assert config.input[0].data_type == _pb2().TYPE_UINT8
        assert list(config.input[0].dims) == [192, 256, 3] and card["input"]["dtype"] == "uint8"
    if "--trt-accelerator" in extra:
        accelerator = config.optimization.execution_accelerators.gpu_execution_accelerator[0]
        assert accelerator.name == "tensorrt" and accelerator.parameters["precision_mode"] == "FP16"
        assert config.instance_group[0].kind == _pb2().ModelInstanceGroup.KIND_GPU


def test_a_field_triton_does_not_know_is_refused_before_writing():
    with pytest.raises(ValueError, match="max_batch_sizee"):
        config_text({"name": "m", "backend": "python", "max_batch_sizee": 8})


def test_raw_input_graph_normalizes_exactly_as_the_reference(demo_onnx_labels, tmp_path):
    """The --raw-input model on uint8 RGB gives the float model's labels on the reference's input."""
    import onnxruntime
    from bisenet_deploy.core.model_info import load_model_card
    from bisenet_deploy.core.preprocess import preprocess

    code, _, err = run_cli(package_main, demo_onnx_labels, "--triton", tmp_path, "--name", "raw", "--raw-input",
                           "--platform", "python")
    assert code == 0, err
    card = load_model_card(demo_onnx_labels)
    frame = (np.random.RandomState(3).rand(192, 256, 3) * 255).astype(np.uint8)
    reference = onnxruntime.InferenceSession(demo_onnx_labels).run(
        None, {"input": preprocess(frame, (192, 256), card["mean"], card["std"], "float32")})[0]
    raw = onnxruntime.InferenceSession(str(tmp_path / "raw" / "1" / "model.onnx")).run(
        None, {"frame": frame[None, :, :, ::-1].copy()})[0]
    assert (raw == reference).mean() > 0.9999


def test_repackaging_replaces_the_model_folder_whole(demo_onnx_labels, tmp_path):
    for platform in ("python", "onnxruntime"):
        assert run_cli(package_main, demo_onnx_labels, "--triton", tmp_path, "--name", "m",
                       "--platform", platform)[0] == 0
    assert sorted(os.listdir(str(tmp_path / "m" / "1"))) == ["model.onnx"]
    assert sorted(os.listdir(str(tmp_path))) == ["m"]


def test_an_onnx_cannot_become_a_tensorrt_plan_here(demo_onnx_labels, tmp_path):
    code, _, err = run_cli(package_main, demo_onnx_labels, "--triton", tmp_path, "--platform", "tensorrt")
    assert code == 2 and "bisenet-build-engine" in err and len(err.strip().splitlines()) == 1
