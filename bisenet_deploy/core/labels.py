"""Ground-truth label files: one class index per pixel, in the generic (model index, 255 = ignore) or the
seed's SUN RGB-D coding (raw k -> class k-1, raw 0 -> ignore); read by bisenet-eval and bisenet-calibrate."""

import collections

import cv2
import numpy as np

from .errors import InputError
from .metrics import IGNORE_INDEX

Sample = collections.namedtuple("Sample", "name image_path label_path")
LAYOUTS = ("generic", "sunrgbd")


def _read_raw_label(path):
    """The stored integer array of a .npy or single-channel image label file."""
    if path.lower().endswith(".npy"):
        try:
            raw = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise InputError("cannot read label {}: {}".format(path, exc))
        if not isinstance(raw, np.ndarray):  # an .npz archive, not one array
            raise InputError("label {} holds an archive of arrays, not one label array".format(path))
    else:
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise InputError("cannot read label {}: not a readable image".format(path))
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[:, :, 0]
    if raw.ndim != 2:
        raise InputError("label {} must be one class index per pixel (h, w), got shape {}; "
                         "colour-coded masks are not class maps".format(path, raw.shape))
    if not np.issubdtype(raw.dtype, np.integer):
        # The seed casts with astype(int); accept floats only when that loses nothing.
        if not (np.issubdtype(raw.dtype, np.floating) and np.array_equal(raw, np.round(raw))):
            raise InputError("label {} must hold integer class indices, got {}".format(path, raw.dtype))
    return raw.astype(np.int64)


def load_label(sample, layout):
    # type: (Sample, str) -> np.ndarray
    """(h, w) uint8 model class indices with 255 = ignore."""
    if layout not in LAYOUTS:
        raise InputError("unknown dataset layout {!r}; choose {}".format(layout, ", ".join(LAYOUTS)))
    raw = _read_raw_label(sample.label_path)
    labels = raw
    if layout == "sunrgbd":
        # The seed's mapbg(0): raw k is model class k-1; raw 0 (unlabeled) becomes -1, then the ignore index.
        labels = raw - 1
        labels[labels == -1] = IGNORE_INDEX
    if labels.size and (labels.min() < 0 or labels.max() > IGNORE_INDEX):
        raise InputError("label {} holds values outside {} ({}..{})".format(
            sample.label_path, "0..256 (0 = unlabeled)" if layout == "sunrgbd" else "0..255",
            int(raw.min()), int(raw.max())))
    return labels.astype(np.uint8)


