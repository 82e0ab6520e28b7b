"""The reference preprocessing now resizes float32, so the CUDA kernel can match it: what changed, what stayed."""

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.core.preprocess import preprocess, resize_linear


def uint8_resize_preprocess(frame, input_hw):
    """The reference as it was: resize the uint8 frame (OpenCV fixed point, rounded to integers) first."""
    resized = cv2.resize(frame, (input_hw[1], input_hw[0]), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB).astype(np.float32) / np.float32(255.0)
    return ((rgb - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)).transpose(2, 0, 1)[None]


@pytest.mark.parametrize("frame_hw,input_hw", [((480, 640), (64, 96)), ((37, 53), (64, 96)),
                                               ((1080, 1920), (512, 1024)), ((7, 1), (5, 3))])
def test_float_resize_stays_within_one_grey_level_of_the_uint8_resize(frame_hw, input_hw, kernel_inputs):
    """Noise frames are the worst case; the uint8 path's rounding alone is half a grey level."""
    frame = kernel_inputs.random_frame(*frame_hw, seed=frame_hw[1])
    difference = np.abs(preprocess(frame, input_hw) - uint8_resize_preprocess(frame, input_hw)).max()
    assert difference < 1.0 / 255.0 / min(IMAGENET_STD)


def test_same_size_frames_are_not_resampled(kernel_inputs):
    frame = kernel_inputs.random_frame(64, 96, seed=4)
    expected = (frame[:, :, ::-1].astype(np.float32) / np.float32(255) - np.float32(IMAGENET_MEAN)) / np.float32(
        IMAGENET_STD)
    assert np.array_equal(preprocess(frame, (64, 96))[0], expected.transpose(2, 0, 1))


def test_exact_half_size_averages_two_by_two_blocks(kernel_inputs):
    """cv2 turns an exact 2x INTER_LINEAR downscale into INTER_AREA: the same 2x2 mean, exactly."""
    frame = kernel_inputs.random_frame(64, 96, seed=5).astype(np.float32)
    expected = frame.reshape(32, 2, 48, 2, 3).sum(axis=(1, 3)) / 4
    assert np.array_equal(resize_linear(frame, (32, 48)), expected)


@pytest.mark.parametrize("ipp_on", [True, False])
def test_resize_leaves_the_ipp_setting_as_it_found_it(ipp_on):
    was = cv2.ipp.useIPP()
    try:
        cv2.ipp.setUseIPP(ipp_on)
        before = cv2.ipp.useIPP()  # stays False on builds without IPP
        resize_linear(np.zeros((9, 7, 3), np.float32), (4, 5))
        assert cv2.ipp.useIPP() == before
    finally:
        cv2.ipp.setUseIPP(was)
