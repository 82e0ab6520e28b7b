"""--output DIR/: per frame `{index:06d}_labels.png` (class indices, exact), `{index:06d}_mask.png`
(BGR class colours) and `{index:06d}_overlay.png` (the overlay as the window shows it), each written
whole (temporary name, then rename)."""

import os

import cv2
import numpy as np

from ...core.atomic import write_bytes_atomic
from ...core.errors import InputError
from .base import Sink, check_bgr


class DirectorySink(Sink):
    """Labels are 8-bit PNGs, or 16-bit when the model has more than 255 classes (or, with `num_classes`
    unknown, when a frame holds a label above 255)."""

    forms = ("a folder ending in '/'",)

    @classmethod
    def accepts(cls, spec):
        return spec.endswith(("/", os.sep)) or os.path.isdir(spec)

    @classmethod
    def from_spec(cls, spec, stream):
        return cls(spec, stream.num_classes)

    def __init__(self, path, num_classes=None):
        self.path = os.path.abspath(path)
        self.num_classes = num_classes
        self.frames_written = 0
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise InputError("--output {} is a file, not a folder".format(path))
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as exc:
            raise InputError("cannot create output folder {}: {}".format(path, exc.strerror or exc))

    def _label_dtype(self, labels):
        if self.num_classes is not None:
            return np.uint16 if self.num_classes > 255 else np.uint8
        return np.uint16 if labels.size and labels.max() > 255 else np.uint8

    def write(self, result):
        self.write_maps(result.index, result.labels, result.color_mask, result.overlay)

    def write_maps(self, index, labels, mask, overlay=None):
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype.kind not in "iu":
            raise ValueError("labels must be an (h, w) integer array, got {} {}".format(labels.shape, labels.dtype))
        dtype = self._label_dtype(labels)
        if labels.size and (labels.min() < 0 or labels.max() > np.iinfo(dtype).max):
            raise ValueError("labels {}..{} do not fit {}".format(labels.min(), labels.max(), np.dtype(dtype).name))
        check_bgr(mask)
        stem = os.path.join(self.path, "{:06d}".format(index))
        _write_png(stem + "_labels.png", labels.astype(dtype))
        _write_png(stem + "_mask.png", mask)
        if overlay is not None:
            check_bgr(overlay)
            _write_png(stem + "_overlay.png", overlay)
        self.frames_written += 1

    def close(self, success=True):
        """Nothing to finalize: every PNG was already written whole."""


def _write_png(path, array):
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise ValueError("OpenCV could not encode {} as PNG".format(path))
    write_bytes_atomic(path, encoded.tobytes())
