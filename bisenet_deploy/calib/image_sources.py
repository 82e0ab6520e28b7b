"""Where calibration images come from: a folder, a glob, one image or a video, as an ImageSource
that lists its keys (files or frame indices) before anything is decoded, so a selection can be made
first and only the chosen images are read."""

import glob
import os

import cv2

from ..errors import InputError
from ..runtime.sources import decode_image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm")
SPEC_FORMS = "a folder of images, a glob such as 'frames/*.jpg', or a video file"


class ImageSource(object):
    """Where calibration images come from: `keys` name every image, `read(keys)` decodes them.

    `read` yields (key, BGR frame or None when unreadable) for the keys asked for, in that order.
    `sequential` sources (videos) can only be read forwards, so their selections are kept in key order.
    """

    sequential = False

    def __init__(self, location, keys):
        self.location = location
        self.keys = list(keys)

    def name(self, key):
        """The image's name without extension: what label files are matched by."""
        raise NotImplementedError

    def label(self, key):
        """How to name one image in messages."""
        raise NotImplementedError

    def read(self, keys):
        raise NotImplementedError

    def describe(self):
        raise NotImplementedError


class ImageFiles(ImageSource):
    """Image files; keys are their paths, sorted, so the selection does not depend on the filesystem."""

    def __init__(self, location, paths):
        super(ImageFiles, self).__init__(location, sorted(paths))

    def name(self, key):
        return os.path.splitext(os.path.basename(key))[0]

    def label(self, key):
        return key

    def read(self, keys):
        for key in keys:
            yield key, decode_image(key)

    def describe(self):
        return "{} image files in {}".format(len(self.keys), self.location)


class VideoFrames(ImageSource):
    """Every `step`-th frame of a video; keys are frame indices."""

    sequential = True

    def __init__(self, location, frame_count, step):
        super(VideoFrames, self).__init__(location, range(0, frame_count, step))
        self.frame_count = frame_count
        self.step = step
        self._stem = os.path.splitext(os.path.basename(location))[0]

    def name(self, key):
        return "{}_{:06d}".format(self._stem, key)

    def label(self, key):
        return "frame {} of {}".format(key, self.location)

    def read(self, keys):
        """Frames at the given ascending indices, decoding only those (grab() skips the rest)."""
        capture = cv2.VideoCapture(self.location)
        try:
            position = 0
            ended = False
            for key in keys:
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

    def describe(self):
        every = "every frame" if self.step == 1 else "one frame in {}".format(self.step)
        return "{} frames of video {}, {} of {}".format(len(self.keys), self.location, every, self.frame_count)


def _count_frames(capture):
    """Frame count from the container, or by reading through when the container does not say."""
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count > 0:
        return count
    count = 0
    while capture.grab():
        count += 1
    return count


def _open_video(path, step):
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise InputError("{} is neither an image nor a video this OpenCV can open; calibration images are {}".format(
                path, SPEC_FORMS))
        count = _count_frames(capture)
    finally:
        capture.release()
    if count == 0:
        raise InputError("video {} has no frames".format(path))
    return VideoFrames(path, count, step)


def _is_image_name(path):
    return path.lower().endswith(IMAGE_EXTENSIONS)


def open_image_source(spec, frame_step=1):
    # type: (str, int) -> ImageSource
    """The ImageSource `spec` names: a folder, a glob, one image or a video (every `frame_step`-th frame)."""
    if int(frame_step) < 1:
        raise InputError("the frame step must be at least 1, got {}".format(frame_step))
    if os.path.isdir(spec):
        paths = [os.path.join(spec, name) for name in os.listdir(spec) if _is_image_name(name)]
        paths = [path for path in paths if os.path.isfile(path)]
        if not paths:
            raise InputError("no images ({}) in folder {}".format(" ".join(IMAGE_EXTENSIONS), spec))
        return ImageFiles(spec, paths)
    if os.path.isfile(spec):
        return ImageFiles(spec, [spec]) if _is_image_name(spec) else _open_video(spec, int(frame_step))
    if not any(char in spec for char in "*?["):
        raise InputError("calibration images not found: {} (expected {})".format(spec, SPEC_FORMS))
    matches = [path for path in glob.glob(spec, recursive=True) if os.path.isfile(path)]
    paths = [path for path in matches if _is_image_name(path)]
    if not paths:
        raise InputError("{} matches {} files but no images ({})".format(
            spec, len(matches), " ".join(IMAGE_EXTENSIONS)) if matches else "no files match {}".format(spec))
    return ImageFiles(spec, paths)
