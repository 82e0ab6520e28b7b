"""segnet's two mask filters for colour masks and overlays at the frame's size.

point: each pixel takes its class's colour (hard edges; the colours equal the class mask exactly).
linear: the colour mask is made on the network's input grid and scaled to the frame bilinearly, so
class borders blend softly, as segnet's linear filter does. On a frame of the network's input size
both are the same.
"""

import cv2

from ..core.errors import InputError
from .overlay import colorize

FILTERS = ("linear", "point")


def check_filter(name, what="filter"):
    if name not in FILTERS:
        raise InputError("{} must be one of {}, got {!r}".format(what, " or ".join(FILTERS), name))
    return name


def filtered_mask(labels, colors, filter_name, grid_hw):
    # type: (object, list, str, tuple) -> object
    """(h, w, 3) uint8 BGR colour mask of `labels` (h, w) with `filter_name` over a `grid_hw` network grid."""
    check_filter(filter_name)
    height, width = labels.shape[:2]
    grid_h, grid_w = int(grid_hw[0]), int(grid_hw[1])
    if filter_name == "point" or (grid_h, grid_w) == (height, width):
        return colorize(labels, colors)
    grid = cv2.resize(labels, (grid_w, grid_h), interpolation=cv2.INTER_NEAREST)
    return cv2.resize(colorize(grid, colors), (width, height), interpolation=cv2.INTER_LINEAR)
