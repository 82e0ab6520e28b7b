"""What a sink receives for one frame: the frame, its label map, where it came from and how long it took.

The colour mask and the overlay are made on first use and kept: a run whose sinks only save label
maps never pays for them, and two sinks that both show the overlay pay once.
"""

import time

from .overlay import blend, colorize


class FrameResult(object):
    """One segmented frame.

    index    frame number in the source (gaps are frames a live source dropped)
    frame    the BGR uint8 frame as captured
    labels   (H, W) class indices at the frame's size
    name     the source item's stem (an image file's name without extension, or "000042" for a stream)
    stamp    the source's timestamp in seconds, or None when it has none
    meta     dict of source facts (a ROS header, the file path, ...)
    timings  {stage: milliseconds}; "overlay" appears once the overlay has been made
    """

    def __init__(self, index, frame, labels, name=None, stamp=None, meta=None, timings=None, renderer=None,
                 status=None, blended=None):
        """`renderer` (OverlayRenderer) draws `overlay` with the `status` line; `blended` is the frame already
        blended with the mask (the GPU path makes it), so the renderer only adds legend and status."""
        self.index = index
        self.frame = frame
        self.labels = labels
        self.name = name if name is not None else "{:06d}".format(index)
        self.stamp = stamp
        self.meta = meta if meta is not None else {}
        self.timings = timings if timings is not None else {}
        self.renderer = renderer
        self.status = status
        self._blended = blended
        self._color_mask = None
        self._overlay = None

    @property
    def colors(self):
        return self.renderer.colors

    @property
    def color_mask(self):
        """(H, W, 3) BGR class colours, made on first use."""
        if self._color_mask is None:
            self._color_mask = colorize(self.labels, self.colors)
        return self._color_mask

    @property
    def blended(self):
        """The frame blended with the class colours at the run's alpha, no legend or status line (what ROS
        topics carry); the GPU's blend when the backend made one."""
        if self._blended is None:
            self._blended = blend(self.frame, self.color_mask, self.renderer.alpha)
        return self._blended

    @property
    def overlay(self):
        """The BGR picture bisenet-run shows: the blended (or mask-only) image with legend and status line."""
        if self._overlay is None:
            start = time.perf_counter()
            # the mask made here is the one color_mask returns later, so a run colorizes each frame once
            needs_mask = self._blended is None or self.renderer.mask_only
            self._overlay = self.renderer.render(self.frame, self.labels, self.status, blended=self._blended,
                                                 mask=self.color_mask if needs_mask else None)
            self.timings["overlay"] = 1e3 * (time.perf_counter() - start)
        return self._overlay
