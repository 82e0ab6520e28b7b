"""Network output -> label map at the frame's size, for either head.

labels head: the network already upsampled and took the argmax at its input size, so only a nearest
resize to the frame remains. logits head: the scores (1/8-resolution, or full-resolution from a
PixelShuffle head: card head_upsample mode "none") are upsampled bilinearly straight to the frame size
(an identity when it is the input size), then argmax, as the seed's eval does (align_corners=True):
bilinear.argmax_upsampled is the reference, and labels_from_output gets the same labels from
LabelUpsampler (label_upsample.py), which interpolates only where classes meet.
"""

import cv2
import numpy as np

from ..core.errors import InputError
from .label_upsample import shared_upsampler


def head_align_corners(card):
    # type: (dict) -> bool
    return bool(card.get("head_upsample", {}).get("align_corners", True))


def label_dtype(num_classes):
    """uint8 while class indices fit, else uint16."""
    return np.uint8 if num_classes <= 255 else np.uint16


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
