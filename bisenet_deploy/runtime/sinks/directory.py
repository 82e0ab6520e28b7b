"""--output DIR/: per frame `NAME_labels.png` (class indices, exact), `NAME_mask.png` (BGR class
colours) and `NAME_overlay.png` (the overlay as the window shows it), each written whole (temporary
name, then rename). NAME is the source item's name (an image file's stem, so results map back to
inputs), made unique when two items share one (a.png, a.jpg)."""

import os

import cv2
import numpy as np

from ...core.atomic import write_bytes_atomic
from ...core.outpaths import check_output
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
        self._used_names = set()
        check_output(path, "--output", folder=True)
        os.makedirs(self.path, exist_ok=True)

    def _label_dtype(self, labels):
        if self.num_classes is not None:
            return np.uint16 if self.num_classes > 255 else np.uint8
        return np.uint16 if labels.size and labels.max() > 255 else np.uint8

    def write(self, result):
        self.write_maps(result.index, result.labels, result.color_mask, result.name, result.overlay)

    def _unique(self, name):
        candidate, number = name, 1
        while candidate in self._used_names:
            number += 1
            candidate = "{}-{}".format(name, number)
        self._used_names.add(candidate)
        return candidate

    def write_maps(self, index, labels, mask, name=None, overlay=None):
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype.kind not in "iu":
            raise ValueError("labels must be an (h, w) integer array, got {} {}".format(labels.shape, labels.dtype))
        dtype = self._label_dtype(labels)
        if labels.size and (labels.min() < 0 or labels.max() > np.iinfo(dtype).max):
            raise ValueError("labels {}..{} do not fit {}".format(labels.min(), labels.max(), np.dtype(dtype).name))
        check_bgr(mask)
        stem = os.path.join(self.path, self._unique(name or "{:06d}".format(index)))
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
