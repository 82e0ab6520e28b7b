"""The one source model: a FrameSource yields Frames (image plus name, stamp and metadata), and each
source kind is one module that declares its command-line flag and how it opens (a SourceType).

Live sources (cameras, streams) may drop frames downstream; file sources (videos, image folders)
never do. Opening reads the first frame, so a source that opens but delivers nothing fails there
with one clear line instead of as an empty run.
"""

import collections
import logging

import cv2

from ...core.errors import InputError
from ...core.wording import count

log = logging.getLogger(__name__)

Frame = collections.namedtuple("Frame", "image name stamp meta")
Frame.__doc__ = """image: BGR uint8; name: the item's stem ("scene001", "walk_000042"); stamp: seconds or None;
meta: dict of source facts (path, frame index, a ROS header)."""

SourceSpec = collections.namedtuple("SourceSpec", "kind location options")
SourceSpec.__doc__ = """What to open: `kind` names a SourceType; `location` is the camera index or CSI sensor id
(int), pipeline, path, glob or URL; `options` holds width/height/fps/flip for cameras."""


class SourceType(object):
    """One source kind as the command line sees it.

    kind      the SourceSpec kind this type opens
    flag      its option (several types may share one, e.g. --camera N and --camera csi)
    parse     (value) -> location, or None when the value is another type's form; InputError when bad
    opener    (location, options) -> FrameSource
    cameras   True when --width/--height/--fps/--flip apply
    live      True for cameras and streams: they take --source-timeout, as options["timeout"]
    argparse  keyword arguments for add_argument (the first type with a flag supplies them)
    example   lines for the --help epilog
    form      the flag's accepted form, for error messages
    settings  {flag: add_argument keywords} of options that belong to this type alone (--rosbag's --topic);
              their values become the SourceSpec's options, and giving one with another source is refused
    """

    def __init__(self, kind, flag, opener, parse=None, cameras=False, live=False, argparse=None, example="", form="",
                 settings=None):
        self.kind, self.flag, self.opener = kind, flag, opener
        self.parse = parse or (lambda value: value)
        self.cameras, self.live, self.argparse, self.example, self.form = cameras, live, argparse or {}, example, form
        self.settings = settings or {}

    @property
    def dest(self):
        return self.flag.lstrip("-").replace("-", "_")


def positive_or_none(value):
    return value if value == value and value > 0 else None  # value == value is False for NaN


class FrameSource(object):
    """Frames from one source; iterate for (index, Frame) or call read() until it returns None.

    `live` sources (cameras, streams) may be dropped from downstream; file sources never are.
    `fps` and `frame_count` are None when the source does not know them. Subclasses implement
    `_read_next()` returning a Frame (or a bare BGR image, named by its position) or None.
    """

    def __init__(self, live, fps=None, frame_count=None):
        self.live = live
        self.fps = fps
        self.frame_count = frame_count
        self.frame_size_wh = None
        self.frames_read = 0
        self.reached_end = False  # read() returned None because the source had no more frames
        self._first_frame = None
        self._position = 0

    def _read_next(self):
        """The next Frame from the device or files, or None at end of stream."""
        raise NotImplementedError

    def _next_frame(self):
        frame = self._read_next()
        if frame is not None and not isinstance(frame, Frame):
            frame = Frame(frame, "{:06d}".format(self._position), None, {})
        if frame is not None:
            self._position += 1
        return frame

    def probe(self, failure):
        """Read the first frame now, so a source that delivers nothing fails at open with `failure`."""
        frame = self._next_frame()
        if frame is None:
            self.close()
            raise InputError(failure)
        self._first_frame = frame
        self.frame_size_wh = (frame.image.shape[1], frame.image.shape[0])
        return self

    def read(self):
        """Next Frame, or None at end of stream."""
        if self._first_frame is not None:
            frame, self._first_frame = self._first_frame, None
        else:
            frame = self._next_frame()
        if frame is None:
            self.reached_end = True
        else:
            self.frames_read += 1
        return frame

    def report_shortfall(self):
        """Warn when a file source ended before the frame count it declared (a truncated video)."""
        if self.live or not self.reached_end or not self.frame_count or self.frames_read >= self.frame_count:
            return
        log.warning("%s ended early: read %d of the %d frames it declares (truncated or damaged?)",
                    self.short_label(), self.frames_read, self.frame_count)

    def short_label(self):
        return "the source"

    def describe(self):
        raise NotImplementedError

    def close(self):
        """Release the device or files; read() returns None afterwards. Safe to call more than once."""
        self._first_frame = None
        self._release()

    def _release(self):
        """Free what the subclass opened."""

    def __iter__(self):
        index = 0
        while True:
            frame = self.read()
            if frame is None:
                return
            yield index, frame
            index += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class CaptureSource(FrameSource):
    """A cv2.VideoCapture: video file, USB camera, GStreamer pipeline (CSI) or network stream."""

    def __init__(self, capture, label, live, transform=None, name_prefix=""):
        fps = positive_or_none(capture.get(cv2.CAP_PROP_FPS))
        count = None if live else positive_or_none(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        super(CaptureSource, self).__init__(live, fps, count)
        self._capture = capture
        self._label = label
        self._transform = transform
        self._name_prefix = name_prefix

    def short_label(self):
        return self._label

    def _grab(self):
        """(ok, image) of the capture's next frame."""
        return self._capture.read()

    def _read_next(self):
        if self._capture is None:
            return None
        ok, image = self._grab()
        if not ok or image is None:
            return None
        index = self._position
        stamp = index / self.fps if (self.fps and not self.live) else None  # a file's own clock
        return Frame(self._transform(image) if self._transform else image,
                     "{}{:06d}".format(self._name_prefix, index), stamp, {"frame": index})

    def describe(self):
        width, height = self.frame_size_wh
        details = ["{}x{}".format(width, height), "{:.1f} fps".format(self.fps) if self.fps else "fps unknown"]
        if self.frame_count:
            details.append(count(self.frame_count, "frame"))
        return "opened {} ({})".format(self._label, ", ".join(details))

    def _release(self):
        if self._capture is not None:
            self._capture.release()
            self._capture = None
