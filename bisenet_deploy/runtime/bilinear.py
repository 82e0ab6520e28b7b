"""The taps of 1-D linear interpolation, as PyTorch's CPU kernel computes them: the one definition the
reference upsample (postprocess.py) and LabelUpsampler (label_upsample.py) share."""

import numpy as np


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
