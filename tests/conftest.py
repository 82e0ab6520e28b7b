"""Shared fixtures: one tiny random-weight checkpoint and its ONNX exports, made once per session."""

import pytest

from bisenet_deploy.export.demo import write_demo_checkpoint
from model_files import export_onnx

TINY_INPUT_SIZE = "64x96"


def pytest_collection_modifyitems(config, items):
    """Robot tests need the robot mirror (.venv-robot); they run only when selected with -m robot."""
    if "robot" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="robot test: run in .venv-robot with -m robot (./scripts/setup.sh --robot)")
    for item in items:
        if "robot" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Path (str) of a seed-format resnet18 checkpoint with in_planes=8, 37 classes."""
    path = tmp_path_factory.mktemp("tiny_model") / "tiny.pth"
    return write_demo_checkpoint(str(path), in_planes=8, seed=0)


def _export(checkpoint, tmp_path_factory, head):
    return export_onnx(checkpoint, tmp_path_factory.mktemp("tiny_onnx"), "tiny", TINY_INPUT_SIZE, head)


@pytest.fixture(scope="session")
def tiny_onnx_labels(tiny_checkpoint, tmp_path_factory):
    """Path (str) of the tiny checkpoint exported at 64x96 with the labels head (int32 1x64x96)."""
    return _export(tiny_checkpoint, tmp_path_factory, "labels")


@pytest.fixture(scope="session")
def tiny_onnx_logits(tiny_checkpoint, tmp_path_factory):
    """Path (str) of the tiny checkpoint exported at 64x96 with the logits head (float32 1x37x8x12)."""
    return _export(tiny_checkpoint, tmp_path_factory, "logits")


@pytest.fixture(scope="session")
def demo_onnx_labels(tmp_path_factory):
    """Path (str) of the shipped trained demo model exported at its own size (192x256), labels head:
    the model precision checks use, since a trained network's scores are not near-ties."""
    from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT, DEMO_INPUT_SIZE
    return export_onnx(DEMO_CHECKPOINT, tmp_path_factory.mktemp("demo_onnx"), "demo",
                       "{}x{}".format(*DEMO_INPUT_SIZE), "labels")


@pytest.fixture(scope="session")
def demo_onnx_logits(tmp_path_factory):
    """The same demo model with the logits head (float32 1x37x24x32)."""
    from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT, DEMO_INPUT_SIZE
    return export_onnx(DEMO_CHECKPOINT, tmp_path_factory.mktemp("demo_onnx"), "demo",
                       "{}x{}".format(*DEMO_INPUT_SIZE), "logits")


def write_channel_argmax_onnx(path, height=32, width=48):
    """An ONNX without a model card, as another tool would write it: input `image` (1,3,H,W) float32 ->
    ArgMax over the channels -> `pred` (1,H,W) int32. So after normalization a red pixel is class 0,
    green 1, blue 2."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("ArgMax", ["image"], ["index"], axis=1, keepdims=0),
         helper.make_node("Cast", ["index"], ["pred"], to=TensorProto.INT32)],
        "channel_argmax",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info("pred", TensorProto.INT32, [1, height, width])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7  # readable by older onnxruntime (JetPack's) as well
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture
def onnx_without_card(tmp_path):
    """Path (str) of a 32x48 3-class labels model that has no bisenet-deploy card (see write_channel_argmax_onnx)."""
    return write_channel_argmax_onnx(tmp_path / "foreign.onnx")
