"""What every result sink shares: `write(result)`, `close(success=True)`, `with`, and frames kept at one size."""

import logging

import cv2

log = logging.getLogger(__name__)


class ResultSink(object):
    """Base of the sinks that take a FrameResult; `describe()` is the line printed when it opens."""

    writes_results = True  # the run loop hands these a FrameResult instead of the rendered image

    def write(self, result):
        raise NotImplementedError

    def describe(self):
        raise NotImplementedError

    def close(self, success=True):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close(success=exc_type is None or issubclass(exc_type, KeyboardInterrupt))


class FixedSize(object):
    """An encoder has one frame size: frames of another size are resized to it (warned once)."""

    def __init__(self, size_wh, what):
        self.size_wh = (int(size_wh[0]), int(size_wh[1]))
        self._what = what
        self._warned = False

    def fit(self, image):
        width, height = self.size_wh
        if image.shape[:2] == (height, width):
            return image
        if not self._warned:
            log.warning("frame size %dx%d differs from the %s's %dx%d; resizing", image.shape[1], image.shape[0],
                        self._what, width, height)
            self._warned = True
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
