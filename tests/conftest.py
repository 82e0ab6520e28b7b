"""Shared fixtures: one tiny random-weight checkpoint and its ONNX exports, made once per session."""

import pytest

from bisenet_deploy.export.demo import write_demo_checkpoint
from bisenet_deploy.export.main import main as export_main

TINY_INPUT_SIZE = "64x96"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Path (str) of a seed-format resnet18 checkpoint with in_planes=8, 37 classes."""
    path = tmp_path_factory.mktemp("tiny_model") / "tiny.pth"
    return write_demo_checkpoint(str(path), in_planes=8, seed=0)


def _export(checkpoint, tmp_path_factory, head):
    output = str(tmp_path_factory.mktemp("tiny_onnx") / "tiny_{}.onnx".format(head))
    code = export_main([checkpoint, "-o", output, "--input-size", TINY_INPUT_SIZE, "--head", head])
    assert code == 0, "bisenet-export of the tiny checkpoint failed"
    return output


@pytest.fixture(scope="session")
def tiny_onnx_labels(tiny_checkpoint, tmp_path_factory):
    """Path (str) of the tiny checkpoint exported at 64x96 with the labels head (int32 1x64x96)."""
    return _export(tiny_checkpoint, tmp_path_factory, "labels")


@pytest.fixture(scope="session")
def tiny_onnx_logits(tiny_checkpoint, tmp_path_factory):
    """Path (str) of the tiny checkpoint exported at 64x96 with the logits head (float32 1x37x8x12)."""
    return _export(tiny_checkpoint, tmp_path_factory, "logits")
