"""Frames of another shape than the model's are stretched to it: bisenet-run says so once, with the export
size that avoids it, and stays quiet for frames of the model's shape at any resolution."""

import cv2
import numpy as np
import pytest

import cli_capture
from bisenet_deploy.runtime import run as run_module
from bisenet_deploy.runtime.frame_fit import ASPECT_TOLERANCE, stretch_warning


@pytest.mark.parametrize("frame_hw", [(480, 640), (960, 1280), (240, 320), (480, 660)])
def test_frames_of_the_model_s_shape_at_any_resolution_are_not_reported(frame_hw):
    assert stretch_warning(frame_hw, (480, 640)) is None


def test_a_stretch_beyond_the_tolerance_names_both_shapes_and_the_fitting_export():
    warning = stretch_warning((1024, 2048), (480, 640))
    assert warning.startswith("warning: frames are 1024x2048 but the model takes 480x640")
    assert "aspect 2.00 -> 1.33" in warning and "--input-size 1024x2048" in warning
    # the suggestion rounds each side up to a size every family exports at
    assert "--input-size 736x1280" in stretch_warning((720, 1280), (480, 640))
    width = int(640 * ASPECT_TOLERANCE) + 2
    assert stretch_warning((480, width), (480, 640)) is not None


def _images(folder, shape, count=2):
    folder.mkdir()
    rng = np.random.RandomState(0)
    for index in range(count):
        cv2.imwrite(str(folder / "f{}.png".format(index)), rng.randint(0, 256, shape + (3,)).astype(np.uint8))
    return folder


def _stretch_lines(caplog):
    return [record.getMessage() for record in caplog.records if "stretched" in record.getMessage()]


def test_bisenet_run_warns_once_for_stretched_frames(tiny_onnx_labels, tmp_path, caplog):
    images = _images(tmp_path / "wide", (64, 192), count=3)  # the tiny model takes 64x96
    code, _, stderr = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--images", images,
                                          "--output", str(tmp_path / "out") + "/")
    assert code == 0, stderr
    assert _stretch_lines(caplog) == [stretch_warning((64, 192), (64, 96))]


def test_bisenet_run_is_quiet_for_frames_of_the_model_s_shape(tiny_onnx_labels, tmp_path, caplog):
    images = _images(tmp_path / "scaled", (128, 192))
    code, _, stderr = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--images", images,
                                          "--output", str(tmp_path / "out") + "/")
    assert code == 0 and _stretch_lines(caplog) == [], stderr
