"""Whether frames fit the network: a fixed-size model stretches every frame to its input size, so frames
of another shape are segmented distorted and no longer match the source project's own code, which runs
the network at the frame's size."""

import math

from ..core.defaults import EVERY_FAMILY_MULTIPLE

# Stretching by more than this (as a ratio of aspect ratios) is reported; a camera of the model's shape
# at another resolution is only scaled, which is what a fixed-size model is for.
ASPECT_TOLERANCE = 1.05


def stretch_warning(frame_hw, input_hw):
    # type: (tuple, tuple) -> str
    """One line saying how a frame of `frame_hw` is distorted to `input_hw` and the export that avoids
    it, or None when the shapes agree within ASPECT_TOLERANCE."""
    frame_h, frame_w = frame_hw
    input_h, input_w = input_hw
    stretch = (float(frame_w) / frame_h) / (float(input_w) / input_h)
    if max(stretch, 1.0 / stretch) <= ASPECT_TOLERANCE:
        return None
    fitting = [int(math.ceil(float(side) / EVERY_FAMILY_MULTIPLE)) * EVERY_FAMILY_MULTIPLE for side in (frame_h, frame_w)]
    return ("warning: frames are {}x{} but the model takes {}x{}: each frame is stretched to it "
            "(aspect {:.2f} -> {:.2f}), which costs accuracy; export the checkpoint at the frames' shape, e.g. bisenet-export CKPT "
            "--input-size {}x{}".format(frame_h, frame_w, input_h, input_w, float(frame_w) / frame_h,
                                        float(input_w) / input_h, fitting[0], fitting[1]))
