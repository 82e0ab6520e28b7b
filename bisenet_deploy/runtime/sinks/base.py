"""The one sink shape: `write(result)` for every frame, `close(success=True)` once, a context manager.

`result` is a runtime.result.FrameResult; a sink reads only what it needs (the overlay, the colour
mask, the labels), and what nobody reads is never computed. A sink module is registered in
sinks/__init__.py; a sink that `--output` can name says which values it takes with `accepts(spec)`.
"""

import numpy as np


class Sink(object):
    """Base of every sink. `closed` turns True when the sink wants the run to stop (a window the user closed)."""

    forms = ()  # the --output forms this sink takes, for help and error texts

    @classmethod
    def accepts(cls, spec):
        # type: (str) -> bool
        """True when this sink handles `--output spec`."""
        return False

    @classmethod
    def from_spec(cls, spec, stream):
        """The sink for `--output spec`; `stream` is an OutputStream (fps, frame size, class count)."""
        raise NotImplementedError

    @property
    def closed(self):
        return False

    def write(self, result):
        raise NotImplementedError

    def close(self, success=True):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        # Ctrl-C ends a run normally: what was written so far is kept.
        self.close(success=exc_type is None or issubclass(exc_type, KeyboardInterrupt))


def check_bgr(image):
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("expected an (h, w, 3) uint8 BGR image, got {} {}".format(image.shape, image.dtype))
