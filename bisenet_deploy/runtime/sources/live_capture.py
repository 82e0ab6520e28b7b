"""Cameras and streams through cv2.VideoCapture, each within --source-timeout: opening and the first frame
take at most that long (else one line, exit 2), and a source that then delivers nothing for that long
ends like the end of a stream (the run prints its summary).

OpenCV has no deadline of its own there: a GStreamer pipeline that never starts (an element missing, no
Argus daemon) blocks the open forever, and a stream that stops sending without closing blocks read().
So every call into the capture goes through BoundedCalls.
"""

import logging

from ...core.errors import InputError
from .base import CaptureSource
from .bounded_calls import BoundedCalls, Overdue

log = logging.getLogger(__name__)

SOURCE_TIMEOUT_S = 10.0  # --source-timeout's default


class LiveCaptureSource(CaptureSource):
    """A live CaptureSource whose reads give up after `timeout` seconds; `stalled` says one did."""

    def __init__(self, capture, label, calls, timeout, transform=None):
        super(LiveCaptureSource, self).__init__(capture, label, live=True, transform=transform)
        self._calls = calls
        self.timeout = timeout
        self.stalled = False

    def _grab(self):
        try:
            return self._calls.call(self.timeout, self._capture.read)
        except Overdue:
            if not self.stalled and self.frames_read:  # while opening, the InputError says it
                log.warning("%s delivered no frame for %g s (--source-timeout): ending as at the end of the stream",
                            self.short_label(), self.timeout)
            self.stalled = True
            return False, None

    def _release(self):
        capture, self._capture = self._capture, None
        if capture is not None and not self._calls.stuck:  # one stuck in read() must not be released under it
            try:
                self._calls.call(self.timeout, capture.release)
            except Overdue:
                log.debug("%s: release did not return within %g s", self.short_label(), self.timeout)
        self._calls.close()


def open_live(open_capture, label, timeout, open_hint="", frame_hint="", not_opened=None, transform=None):
    """A LiveCaptureSource of `open_capture()` (a cv2.VideoCapture, opened or not) with its first frame read.

    InputError, one line: `not_opened` (default "LABEL did not open" + open_hint) when OpenCV could not
    open it, "... did not open within N s" + open_hint when opening took longer, and "... delivered no
    frame within N s" + frame_hint when no frame came."""
    calls = BoundedCalls(label)
    try:
        capture = calls.call(timeout, open_capture)
    except Overdue:
        calls.close()
        raise InputError("{} did not open within {:g} s (--source-timeout){}".format(label, timeout, open_hint))
    if not capture.isOpened():
        capture.release()
        calls.close()
        raise InputError(not_opened or "{} did not open{}".format(label, open_hint))
    source = LiveCaptureSource(capture, label, calls, timeout, transform)
    return source.probe("{} opened but delivered no frame within {:g} s{}".format(label, timeout, frame_hint))
