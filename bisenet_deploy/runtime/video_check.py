"""Read a finished video back: OpenCV's writer drops frames it cannot write without saying so."""

import os

import cv2

from ..core.wording import count


def readable_frames(path):
    # type: (str) -> int
    """The frame count the container declares, or -1 when it does not open (an MP4 without moov)."""
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            return -1
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def _disk_is_full(path):
    try:
        stats = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except (OSError, AttributeError):
        return False
    return stats.f_bavail * stats.f_frsize < 64 * 1024


def incomplete_video_reason(path, frames_written):
    # type: (str, int) -> str
    """None when `path` holds `frames_written` frames (or one more: a signal that lands between the
    encoder's write and the caller's count leaves the frame in the file, uncounted), else what is
    wrong, in words."""
    found = readable_frames(path)
    if frames_written <= found <= frames_written + 1:
        return None
    what = "it does not open as a video" if found < 0 else "it holds {} of the {}".format(
        found, count(frames_written, "frame"))
    if _disk_is_full(path):
        what += "; the disk is full"
    return what
