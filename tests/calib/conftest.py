"""Fixtures for tests/calib: real images on disk, small exported models, and bisenet-calibrate in-process."""

import pytest
from cli_capture import run_cli
from model_files import export_onnx
from scene_images import write_scene_images

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.export.demo import write_demo_checkpoint

MODEL_SIZE = "64x96"
# Few classes: a random-weight network's top two scores are then far enough apart that INT8 rounding
# flips few pixels, as in a trained network; with 37 random classes near-ties dominate.
NUM_CLASSES = 4


@pytest.fixture
def scene_images():
    """write_scene_images(folder, count, seed=0) -> paths, for tests that need their own folder."""
    return write_scene_images


@pytest.fixture(scope="session")
def scene_dir(tmp_path_factory):
    """A folder of 40 scene JPEGs of assorted sizes."""
    folder = tmp_path_factory.mktemp("scenes")
    write_scene_images(folder, 40)
    return str(folder)


@pytest.fixture(scope="session")
def four_class_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("calib_model") / "four.pth"
    return write_demo_checkpoint(str(path), in_planes=8, num_classes=NUM_CLASSES, seed=0)


def _export(checkpoint, tmp_path_factory, head):
    return export_onnx(checkpoint, tmp_path_factory.mktemp("calib_onnx"), "four", MODEL_SIZE, head)


@pytest.fixture(scope="session")
def logits_onnx(four_class_checkpoint, tmp_path_factory):
    """4-class resnet18/8 with the logits head at 64x96 (two ConvTranspose in its FFM/heads)."""
    return _export(four_class_checkpoint, tmp_path_factory, "logits")


@pytest.fixture(scope="session")
def labels_onnx(four_class_checkpoint, tmp_path_factory):
    """The same network with the labels head (int32 1x64x96)."""
    return _export(four_class_checkpoint, tmp_path_factory, "labels")


@pytest.fixture
def run_calibrate():
    """Run bisenet-calibrate in-process: returns (exit code, stdout, stderr)."""

    return lambda *argv: run_cli(calibrate_main, *argv)
