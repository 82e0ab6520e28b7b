"""An encoder has one frame size: frames of another size are resized to it (warned once)."""

import logging

import cv2

log = logging.getLogger(__name__)


class FixedSize(object):
    """Fits frames to the size a stream was opened with."""

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
