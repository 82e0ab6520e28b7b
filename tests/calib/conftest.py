"""Fixtures for tests/calib: real images on disk, small exported models, and bisenet-calibrate in-process."""

import os

import cv2
import numpy as np
import pytest
from cli_capture import run_cli
from model_files import export_onnx

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.export.demo import write_demo_checkpoint

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "bisenet_deploy", "data", "sample.jpg")
MODEL_SIZE = "64x96"
# Few classes: a random-weight network's top two scores are then far enough apart that INT8 rounding
# flips few pixels, as in a trained network; with 37 random classes near-ties dominate.
NUM_CLASSES = 4


def write_scene_images(folder, count, seed=0):
    """`count` JPEGs cut from the sample photo: random crops (so sizes differ), flips and brightness."""
    os.makedirs(str(folder), exist_ok=True)
    photo = cv2.imread(SAMPLE)
    height, width = photo.shape[:2]
    rng = np.random.RandomState(seed)
    paths = []
    for index in range(count):
        crop_h, crop_w = rng.randint(height // 3, height), rng.randint(width // 3, width)
        top, left = rng.randint(0, height - crop_h + 1), rng.randint(0, width - crop_w + 1)
        image = photo[top:top + crop_h, left:left + crop_w]
        if rng.rand() < 0.5:
            image = image[:, ::-1]
        image = np.clip(image.astype(np.float32) * rng.uniform(0.6, 1.4), 0, 255).astype(np.uint8)
        path = os.path.join(str(folder), "scene{:03d}.jpg".format(index))
        assert cv2.imwrite(path, image)
        paths.append(path)
    return paths


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
