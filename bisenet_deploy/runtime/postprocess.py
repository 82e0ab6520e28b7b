"""Network output -> label map at the frame's size, for either head.

labels head: the network already upsampled and took the argmax at its input size, so only a nearest
resize to the frame remains. logits head: 1/8-resolution scores are upsampled bilinearly straight to
the frame size, then argmax, as the seed's eval does (align_corners=True). OpenCV's resize only knows
half-pixel centres, so the upsample is done here with PyTorch's exact source-index arithmetic:
argmax_upsampled is the reference, labels_from_output gets the same labels from LabelUpsampler
(label_upsample.py), which interpolates only where classes meet.
"""

import cv2
import numpy as np

from ..core.errors import InputError
from .bilinear import linear_taps
from .label_upsample import shared_upsampler

# Upsampled scores are produced a band of rows at a time, so a 37-class 1080p frame never needs
# hundreds of MB of float scores and each band (512 KB) stays in cache for the argmax.
BAND_ELEMENTS = 1 << 17


def head_align_corners(card):
    # type: (dict) -> bool
    return bool(card.get("head_upsample", {}).get("align_corners", True))


def label_dtype(num_classes):
    """uint8 while class indices fit, else uint16."""
    return np.uint8 if num_classes <= 255 else np.uint16


def _interpolate_columns(scores, out_w, align_corners):
    """(C, h, w) -> (h, out_w, C): classes last, so the argmax runs over contiguous memory."""
    channels_last = np.ascontiguousarray(scores.transpose(1, 2, 0))
    lower, upper, frac = linear_taps(scores.shape[2], out_w, align_corners)
    frac = frac[:, None]
    return channels_last[:, lower] * (np.float32(1) - frac) + channels_last[:, upper] * frac


def _interpolate_rows(columns, taps, start, stop):
    """Output rows start:stop of the vertical pass, (stop - start, W, C)."""
    lower, upper, frac = taps
    frac = frac[start:stop, None, None]
    return columns[lower[start:stop]] * (np.float32(1) - frac) + columns[upper[start:stop]] * frac


def upsample_bilinear(scores, out_hw, align_corners):
    # type: (np.ndarray, tuple, bool) -> np.ndarray
    """(C, h, w) float32 -> (C, H, W), equal to torch's F.interpolate(mode="bilinear") to float rounding."""
    scores = np.asarray(scores, np.float32)
    columns = _interpolate_columns(scores, int(out_hw[1]), align_corners)
    out_h = int(out_hw[0])
    rows = _interpolate_rows(columns, linear_taps(scores.shape[1], out_h, align_corners), 0, out_h)
    return rows.transpose(2, 0, 1)


def argmax_upsampled(scores, out_hw, align_corners, dtype=np.uint8):
    # type: (np.ndarray, tuple, bool, type) -> np.ndarray
    """argmax over classes of upsample_bilinear(scores, out_hw), computed band by band."""
    scores = np.asarray(scores, np.float32)
    out_h, out_w = int(out_hw[0]), int(out_hw[1])
    columns = _interpolate_columns(scores, out_w, align_corners)
    taps = linear_taps(scores.shape[1], out_h, align_corners)
    labels = np.empty((out_h, out_w), dtype)
    band = max(1, BAND_ELEMENTS // (scores.shape[0] * out_w))
    for start in range(0, out_h, band):
        stop = min(out_h, start + band)
        labels[start:stop] = _interpolate_rows(columns, taps, start, stop).argmax(axis=2)
    return labels


def labels_from_output(output, card, frame_hw, index=0):
    # type: (np.ndarray, dict, tuple, int) -> np.ndarray
    """(h, w) label map at `frame_hw` from batch element `index` of the model's output."""
    height, width = int(frame_hw[0]), int(frame_hw[1])
    if height < 1 or width < 1:
        raise InputError("cannot produce labels for an empty {}x{} frame".format(height, width))
    dtype = label_dtype(card["num_classes"])
    output = np.asarray(output)
    if card["head"] == "labels":
        if output.ndim != 3:
            raise InputError("a labels head outputs N x H x W, but the model gave shape {}".format(output.shape))
        labels = output[index].astype(dtype)
        if labels.shape != (height, width):
            labels = cv2.resize(labels, (width, height), interpolation=cv2.INTER_NEAREST)
        return labels
    if output.ndim != 4 or output.shape[1] != card["num_classes"]:
        raise InputError("a {}-class logits head outputs N x {} x h x w, but the model gave shape {}".format(
            card["num_classes"], card["num_classes"], output.shape))
    scores = output[index].transpose(1, 2, 0)  # the classes contiguous, as LabelUpsampler reads them
    upsampler = shared_upsampler(scores.shape[:2], (height, width), card["num_classes"], head_align_corners(card),
                                 dtype)
    return upsampler(scores, out=np.empty((height, width), dtype))
