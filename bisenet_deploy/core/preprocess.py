"""The one reference preprocessing: BGR uint8 frame -> normalized float NCHW network input.

Shared by the CPU backends, calibration, evaluation and export verification, and the reference the
CUDA kernel (runtime/gpu/kernels.cu) is tested against. Matches the seed: RGB, x/255, ImageNet
mean/std, bilinear resize (cv2.INTER_LINEAR, i.e. half-pixel centres).

The frame is converted to float32 *before* the resize. On uint8, INTER_LINEAR uses fixed-point
coefficients and rounds to integers in ways that differ between OpenCV builds (SIMD, IPP, HALs), so
no GPU kernel could match it closely. On float32, OpenCV's own code is plain float arithmetic: source
x = float32((dx + 0.5) * src_w / dst_w - 0.5), clamped to the border, two taps horizontally, then two
taps vertically; the kernel does the same and agrees to float rounding. Intel IPP, which some x86
builds use instead, computes source coordinates in double, which moved results by up to 6e-4 after
normalization (3000-pixel-wide noise frame), so it is switched off for the resize (a per-thread
OpenCV setting); x86 OpenCV 4.1.1 (JetPack's version) and 5.0 then give identical results.
"""

import cv2
import numpy as np

from .errors import InputError
from .modelcard import IMAGENET_MEAN, IMAGENET_STD


def resize_linear(image, size_hw, dst=None):
    # type: (np.ndarray, tuple, np.ndarray) -> np.ndarray
    """cv2.resize INTER_LINEAR of a float32 image to (H, W) through OpenCV's own code, not IPP's
    (into `dst` when given)."""
    ipp_was_on = cv2.ipp.useIPP()
    cv2.ipp.setUseIPP(False)
    try:
        return cv2.resize(image, (int(size_hw[1]), int(size_hw[0])), dst=dst, interpolation=cv2.INTER_LINEAR)
    finally:
        cv2.ipp.setUseIPP(ipp_was_on)


def check_frame(frame_bgr):
    """InputError unless `frame_bgr` is an (h, w, 3) uint8 BGR image (what every preprocessing takes)."""
    if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
        raise InputError("expected an (h, w, 3) uint8 BGR image, got {}".format(
            "nothing" if frame_bgr is None else "{} {}".format(frame_bgr.shape, frame_bgr.dtype)))


def preprocess(frame_bgr, input_hw, mean=IMAGENET_MEAN, std=IMAGENET_STD, dtype=np.float32):
    """(1, 3, H, W) array of `dtype` from an (h, w, 3) uint8 BGR frame of any size."""
    check_frame(frame_bgr)
    height, width = int(input_hw[0]), int(input_hw[1])
    image = frame_bgr.astype(np.float32)
    if image.shape[:2] != (height, width):
        image = resize_linear(image, (height, width))
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) / np.float32(255.0)
    normalized = (rgb - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(normalized.transpose(2, 0, 1)[None]).astype(dtype, copy=False)
