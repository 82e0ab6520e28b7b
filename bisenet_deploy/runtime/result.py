"""FrameResult: what the run loop hands every sink's write(result) for one frame."""

from .overlay import colorize


class FrameResult(object):
    """One segmented frame: `index`, `frame` (BGR as captured), `labels` (class ids at frame size), `name`,
    `stamp` (source time in seconds or None), `meta` (dict from the source), `timings` ({stage: ms}).

    `color_mask` and `overlay` are made on first use, so they cost nothing when no sink asks for them.
    """

    def __init__(self, index, frame, labels, timings, colors, name=None, stamp=None, meta=None,
                 overlay=None, make_overlay=None, color_mask=None):
        self.index, self.frame, self.labels = index, frame, labels
        self.timings = dict(timings)
        self.name, self.stamp, self.meta = name, stamp, dict(meta or {})
        self._colors = colors
        self._overlay, self._make_overlay = overlay, make_overlay
        self._color_mask = color_mask

    @property
    def color_mask(self):
        if self._color_mask is None:
            self._color_mask = colorize(self.labels, self._colors)
        return self._color_mask

    @property
    def overlay(self):
        if self._overlay is None:
            self._overlay = self._make_overlay() if self._make_overlay else self.color_mask
        return self._overlay
