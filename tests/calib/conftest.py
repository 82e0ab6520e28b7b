"""Fixtures for tests/calib: generated scenes on disk, the trained demo model exported, and
bisenet-calibrate in-process."""

import pytest
from cli_capture import run_cli
from scene_images import write_scene_images

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.scenes.demo_model import DEMO_INPUT_SIZE

# The trained demo model at its own size: precision checks need a network whose scores mean
# something (random weights are near-ties everywhere, so INT8 flips pixels a trained model keeps).
MODEL_SIZE = "{}x{}".format(*DEMO_INPUT_SIZE)


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
def logits_onnx(demo_onnx_logits):
    """The demo model (resnet18/16, 37 classes) with the logits head at 192x256 (two ConvTranspose)."""
    return demo_onnx_logits


@pytest.fixture(scope="session")
def labels_onnx(demo_onnx_labels):
    """The same network with the labels head (int32 1x192x256)."""
    return demo_onnx_labels


@pytest.fixture
def run_calibrate():
    """Run bisenet-calibrate in-process: returns (exit code, stdout, stderr)."""

    return lambda *argv: run_cli(calibrate_main, *argv)
