"""One segmented frame as a `write(result)` sink sees it: the frame, its labels, its source metadata,
and the colour mask and overlay made only when a sink asks for them."""

from .overlay import blend, colorize


class FrameView(object):
    """index, frame (BGR as captured), labels (class ids at frame size), name, stamp (seconds or None),
    meta (the source's dict, e.g. a ROS header), timings ({stage: seconds}); lazy color_mask and overlay (BGR).

    `blended` is the overlay a GPU backend already made at `alpha`; labels and blended may be the
    backend's reused buffers, so a sink uses them inside write() and keeps copies only.
    """

    def __init__(self, index, frame, labels, timings, colors, alpha, meta=None, blended=None, name=None):
        self.index = index
        self.frame = frame
        self.labels = labels
        self.timings = timings
        self.meta = meta or {}
        self.name = name if name is not None else "{:06d}".format(index)
        self._colors = colors
        self._alpha = alpha
        self._color_mask = None
        self._overlay = blended

    @property
    def stamp(self):
        stamp = self.meta.get("stamp")
        return None if stamp is None else stamp[0] + stamp[1] * 1e-9

    @property
    def color_mask(self):
        if self._color_mask is None:
            self._color_mask = colorize(self.labels, self._colors)
        return self._color_mask

    @property
    def overlay(self):
        if self._overlay is None:
            self._overlay = blend(self.frame, self.color_mask, self._alpha)
        return self._overlay
