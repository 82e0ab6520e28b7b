"""The reference bilinear upsample of class scores and its argmax, in numpy, with PyTorch's exact
source-index arithmetic (OpenCV's resize only knows half-pixel centres): what every faster path
(LabelUpsampler, the CUDA kernel) is tested against, and the taps they all share."""

import numpy as np

# Upsampled scores are produced a band of rows at a time, so a 37-class 1080p frame never needs
# hundreds of MB of float scores and each band (512 KB) stays in cache for the argmax.
BAND_ELEMENTS = 1 << 17


def linear_taps(in_size, out_size, align_corners):
    # type: (int, int, bool) -> tuple
    """(lower, upper, frac): output i = in[lower[i]] * (1 - frac[i]) + in[upper[i]] * frac[i].

    Source coordinates in float32, as PyTorch's CPU kernel computes them, so rounding matches too.
    """
    out_idx = np.arange(out_size, dtype=np.float32)
    if align_corners:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1) if out_size > 1 else np.float32(0)
        src = out_idx * scale
    else:
        scale = np.float32(in_size) / np.float32(out_size)
        src = np.maximum((out_idx + np.float32(0.5)) * scale - np.float32(0.5), np.float32(0))
    lower = np.minimum(src.astype(np.int64), in_size - 1)  # src >= 0, so truncation is floor
    upper = np.minimum(lower + 1, in_size - 1)
    return lower, upper, (src - lower.astype(np.float32)).astype(np.float32)


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
