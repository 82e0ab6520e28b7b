"""The one reference preprocessing: BGR uint8 frame -> normalized float NCHW network input.

Shared by the CPU backends, calibration, evaluation and export verification, and the reference the
CUDA kernel is tested against. Matches the seed: RGB, x/255, ImageNet mean/std, bilinear resize
(cv2.INTER_LINEAR, i.e. half-pixel centres).
"""

import cv2
import numpy as np

from ..errors import InputError
from ..modelcard import IMAGENET_MEAN, IMAGENET_STD


def preprocess(frame_bgr, input_hw, mean=IMAGENET_MEAN, std=IMAGENET_STD, dtype=np.float32):
    """(1, 3, H, W) array of `dtype` from an (h, w, 3) uint8 BGR frame of any size."""
    if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
        raise InputError("expected an (h, w, 3) uint8 BGR image, got {}".format(
            "nothing" if frame_bgr is None else "{} {}".format(frame_bgr.shape, frame_bgr.dtype)))
    height, width = int(input_hw[0]), int(input_hw[1])
    if frame_bgr.shape[:2] != (height, width):
        frame_bgr = cv2.resize(frame_bgr, (width, height), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / np.float32(255.0)
    normalized = (rgb - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(normalized.transpose(2, 0, 1)[None]).astype(dtype, copy=False)
