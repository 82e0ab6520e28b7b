"""The on-screen window (when there is no --output, or with --window): the overlay, legend and FPS; q or Esc quits."""

import logging
import os
import sys

import cv2

from ...core.errors import InputError
from .base import Sink

log = logging.getLogger(__name__)

WINDOW_NAME = "bisenet-run"


class WindowSink(Sink):
    """`closed` turns True when the user presses q or Esc or closes the window."""

    def __init__(self, name=WINDOW_NAME):
        hint = "use --headless, or --output FILE.mp4|DIR/ to save the results"
        # On Linux, GTK exits the whole process when there is no display, so look before asking OpenCV.
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise InputError("no display to open a window on ($DISPLAY is not set); {}".format(hint))
        try:
            cv2.namedWindow(name, cv2.WINDOW_AUTOSIZE)
        except cv2.error:
            raise InputError("this OpenCV cannot open windows (built without GUI support, e.g. "
                             "opencv-python-headless); {}".format(hint))
        self.name = name
        self._open = True
        self._user_closed = False

    @property
    def closed(self):
        return self._user_closed

    def write(self, result):
        self.write_image(result.overlay)

    def write_image(self, image):
        if self._user_closed:
            return
        cv2.imshow(self.name, image)
        key = cv2.waitKey(1) & 0xFF
        # AUTOSIZE reads -1 once the window is gone (the check JetsonHacks' CSI-Camera uses on Jetson).
        if key in (ord("q"), 27) or cv2.getWindowProperty(self.name, cv2.WND_PROP_AUTOSIZE) < 0:
            self._user_closed = True

    def close(self, success=True):
        if not self._open:
            return
        self._open = False
        try:
            cv2.destroyWindow(self.name)
        except cv2.error:  # the user already closed it; nothing left to destroy
            log.debug("window %s was already gone", self.name)
