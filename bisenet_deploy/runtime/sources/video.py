"""--video FILE: every frame of a video file, in order; or, for calibration, chosen frames of it."""

import os

import cv2

from ...core.errors import InputError
from ...core.images import stem
from .base import CaptureSource, Frame, SourceType


def _check_file(path):
    if os.path.isdir(path):
        raise InputError("{} is a folder; for a folder of images use --images {}".format(path, path))
    if not os.path.isfile(path):
        raise InputError("no such video file: {}".format(path))
    if not os.access(path, os.R_OK):
        raise InputError("cannot read video file {} (permission denied)".format(path))


def open_video(path, options):
    _check_file(path)
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise InputError("cannot open {} as a video (empty, corrupt or a format this OpenCV cannot decode)".format(
            path))
    source = CaptureSource(capture, "video " + path, live=False, name_prefix=stem(path) + "_")
    return source.probe("video {} has no decodable frames".format(path))


class VideoFrames(object):
    """Every `step`-th frame of a video, listed before anything is decoded; keys are frame indices."""

    sequential = True  # read forwards only, so a selection is read in key order

    def __init__(self, location, frame_count, step=1, keys=None):
        self.location = location
        self.frame_count = frame_count
        self.step = step
        self.keys = list(range(0, frame_count, step)) if keys is None else list(keys)
        self._stem = stem(location)

    def subset(self, keys):
        return VideoFrames(self.location, self.frame_count, self.step, sorted(keys))

    def name(self, key):
        return "{}_{:06d}".format(self._stem, key)

    def item_text(self, key):
        return "frame {} of {}".format(key, self.location)

    def read_keys(self):
        """(key, BGR frame or None) at the ascending keys, decoding only those (grab() skips the rest)."""
        capture = cv2.VideoCapture(self.location)
        try:
            position, ended = 0, False
            for key in self.keys:
                while not ended and position < key:
                    ended = not capture.grab()
                    position += 1
                frame = None
                if not ended:
                    ok, frame = capture.read()
                    position += 1
                    ended = not ok
                yield key, frame if not ended else None
        finally:
            capture.release()

    def frames(self):
        """Frame for each readable key, named like the rest of the runtime names video frames."""
        for key, image in self.read_keys():
            if image is not None:
                yield Frame(image, self.name(key), None, {"path": self.location, "frame": key})

    def describe(self):
        every = "every frame" if self.step == 1 else "one frame in {}".format(self.step)
        return "{} frames of video {}, {} of {}".format(len(self.keys), self.location, every, self.frame_count)


def count_frames(capture):
    """Frame count from the container, or by reading through when the container does not say."""
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count > 0:
        return count
    count = 0
    while capture.grab():
        count += 1
    return count


def list_video_frames(path, step, not_a_video):
    # type: (str, int, str) -> VideoFrames
    """The frames of `path` every `step`; `not_a_video` is the message when OpenCV cannot open it."""
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise InputError(not_a_video)
        count = count_frames(capture)
    finally:
        capture.release()
    if count == 0:
        raise InputError("video {} has no frames".format(path))
    return VideoFrames(path, count, step)


SOURCE = SourceType(
    "video", "--video", open_video, form="--video FILE",
    argparse={"metavar": "FILE", "help": "video file; every frame is processed"},
    example="  --video FILE        video file, every frame               --video walk.mp4")
