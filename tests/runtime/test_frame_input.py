"""The compiled frame pass (runtime/frame_input.py) gives the reference preprocessing's values bit for
bit: OpenCV's float INTER_LINEAR resize (up, down, exact 2x, one-pixel frames, same size), the colour
swap, and the normalization into NCHW."""

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.core.preprocess import preprocess, resize_linear
from bisenet_deploy.runtime.frame_input import NativeFrameInput, cv_linear_taps

GEOMETRIES = [((480, 640), (512, 512)), ((480, 640), (480, 640)), ((720, 1280), (512, 512)),
              ((1024, 1024), (512, 512)), ((100, 90), (512, 512)), ((37, 53), (19, 101)), ((1, 5), (4, 4)),
              ((480, 640), (192, 256)), ((3, 1), (7, 2))]


@pytest.fixture
def native_pass():
    if NativeFrameInput.create((8, 8), (4, 4)) is None:
        pytest.skip("no C compiler here")
    return NativeFrameInput.create


def random_frame(hw, seed):
    return np.random.RandomState(seed).randint(0, 256, tuple(hw) + (3,)).astype(np.uint8)


def reference_rgb(frame, input_hw):
    image = frame.astype(np.float32)
    if image.shape[:2] != tuple(input_hw):
        image = resize_linear(image, input_hw)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("frame_hw,input_hw", GEOMETRIES)
def test_resized_rgb_equals_the_reference(native_pass, frame_hw, input_hw):
    frame = random_frame(frame_hw, sum(frame_hw))
    out = native_pass(frame_hw, input_hw).prepare(frame, np.empty((1,) + input_hw + (3,), np.float32))
    np.testing.assert_array_equal(out[0], reference_rgb(frame, input_hw))


@pytest.mark.parametrize("frame_hw,input_hw", GEOMETRIES)
def test_normalized_nchw_equals_the_reference_preprocessing(native_pass, frame_hw, input_hw):
    frame = random_frame(frame_hw, sum(input_hw))
    out = native_pass(frame_hw, input_hw).prepare(frame, np.empty((1, 3) + input_hw, np.float32), IMAGENET_MEAN,
                                                  IMAGENET_STD)
    np.testing.assert_array_equal(out, preprocess(frame, input_hw, IMAGENET_MEAN, IMAGENET_STD))


def test_a_cropped_frame_whose_rows_are_apart_is_read_in_place(native_pass):
    big = random_frame((300, 400), 5)
    crop = big[20:260, 30:350]  # rows 1200 bytes apart, 960 bytes each
    out = native_pass(crop.shape[:2], (128, 160)).prepare(crop, np.empty((1, 128, 160, 3), np.float32))
    np.testing.assert_array_equal(out[0], reference_rgb(np.ascontiguousarray(crop), (128, 160)))


def test_wrong_frame_or_output_buffer_is_refused(native_pass):
    prepare = native_pass((48, 64), (32, 32)).prepare
    with pytest.raises(ValueError, match="frame"):
        prepare(random_frame((64, 48), 1), np.empty((1, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="out must be"):
        prepare(random_frame((48, 64), 1), np.empty((1, 32, 32, 3), np.float64))
    with pytest.raises(ValueError, match=r"\(1, 3, 32, 32\)"):
        prepare(random_frame((48, 64), 1), np.empty((1, 32, 32, 3), np.float32), IMAGENET_MEAN, IMAGENET_STD)


def test_column_taps_take_the_border_pixel_alone_and_rows_are_only_clamped():
    lower, upper, keep, frac = cv_linear_taps(4, 8, columns=True)  # 2x up: the first and last outputs lie outside
    assert (lower[0], frac[0], keep[0]) == (0, 0, 1) and (lower[-1], upper[-1], frac[-1]) == (3, 3, 0)
    lower, upper, keep, frac = cv_linear_taps(4, 8, columns=False)
    assert (lower[0], upper[0]) == (0, 0) and frac[0] == np.float32(0.75)  # -0.25 -> floor -1, clamped
    np.testing.assert_array_equal(keep, np.float32(1) - frac)
