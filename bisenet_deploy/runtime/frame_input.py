"""A uint8 BGR camera frame to the network's float input in one compiled pass (native/frame_input.c):
colour swap, to-float and OpenCV's float INTER_LINEAR resize, and optionally the normalization into
NCHW, each value computed with the reference's arithmetic (core/preprocess.py) in its order.

OpenCV's float resize computes its taps so (resize.cpp, generic INTER_LINEAR): scale = 1 / (dst / src)
in double, source coordinate float32((d + 0.5) * scale - 0.5), lower index its floor, fraction the
float32 remainder; a column below 0 or at the last one takes that pixel alone (fraction 0), rows are
only clamped into the image. An exact 2x downscale, which OpenCV runs as INTER_AREA, gives the same
values: every fraction is 0.5 and every sum of integers exact. Where no C compiler is found, the
caller keeps OpenCV and numpy (backends/frames.py), which give the same values.
"""

import ctypes

import numpy as np

from . import native
from .native import address

NATIVE_NAME = "frame_input"


def cv_linear_taps(src_size, dst_size, columns):
    # type: (int, int, bool) -> tuple
    """(lower, upper, 1 - fraction, fraction) per output index, int32/int32/float32/float32, as OpenCV's
    float resize has them."""
    scale = 1.0 / (float(dst_size) / float(src_size))
    coordinate = ((np.arange(dst_size, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    lower = np.floor(coordinate).astype(np.int32)
    fraction = coordinate - lower.astype(np.float32)
    if columns:
        border = (lower < 0) | (lower >= src_size - 1)
        lower = np.clip(lower, 0, src_size - 1)
        fraction[border] = 0
        upper = np.minimum(lower + 1, src_size - 1)
    else:
        upper = np.clip(lower + 1, 0, src_size - 1)
        lower = np.clip(lower, 0, src_size - 1)
    return lower.astype(np.int32), upper.astype(np.int32), np.float32(1) - fraction, fraction


class NativeFrameInput(object):
    """`NativeFrameInput.create(frame_hw, input_hw)`, None where the C routine cannot be built; then
    `prepare(frame_bgr, out, mean=None, std=None)`: `out` is 1 x H x W x 3 float32 (RGB, resized), or
    with mean and std 1 x 3 x H x W float32, normalized."""

    def __init__(self, routine, frame_hw, input_hw):
        self._routine = routine
        self.frame_hw = tuple(int(v) for v in frame_hw)
        self.input_hw = tuple(int(v) for v in input_hw)
        self._rows = cv_linear_taps(self.frame_hw[0], self.input_hw[0], columns=False)
        self._cols = cv_linear_taps(self.frame_hw[1], self.input_hw[1], columns=True)
        self._pixels = np.empty(self.frame_hw[1] * 3, np.float32)
        self._slots = np.empty(2 * self.input_hw[1] * 3, np.float32)
        # the routine's arguments that are the same every frame (the arrays live as long as self)
        self._geometry = ((self.frame_hw[1],) + tuple(address(t) for t in self._rows) + (self.input_hw[0],)
                          + tuple(address(t) for t in self._cols)
                          + (self.input_hw[1], address(self._pixels), address(self._slots)))

    @classmethod
    def create(cls, frame_hw, input_hw):
        routine = _native_routine()
        return None if routine is None else cls(routine, frame_hw, input_hw)

    def prepare(self, frame_bgr, out, mean=None, std=None):
        if frame_bgr.shape[:2] != self.frame_hw:
            raise ValueError("a {} frame for a {} NativeFrameInput".format(frame_bgr.shape[:2], self.frame_hw))
        if frame_bgr.strides[1:] != (3, 1):  # rows may be apart (a crop); pixels must be packed
            frame_bgr = np.ascontiguousarray(frame_bgr)
        normalized = mean is not None
        expected = (1, 3) + self.input_hw if normalized else (1,) + self.input_hw + (3,)
        if out.shape != expected or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError("out must be a contiguous float32 array of shape {}".format(expected))
        if normalized:
            mean, std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self._routine(address(frame_bgr), frame_bgr.strides[0], *self._geometry, int(normalized),
                      address(mean) if normalized else None, address(std) if normalized else None, address(out))
        return out


def _native_routine():
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    return native.routine(NATIVE_NAME, [pointer, ctypes.c_long, integer] + [pointer] * 4 + [integer] + [pointer] * 4
                          + [integer, pointer, pointer, integer] + [pointer] * 3)
