"""Frame sources for bisenet-run: parse --camera/--video/--images/--rtsp/--gst into one SourceSpec,
then open it with one factory, `open_source(spec)`, that says what it opened with the settings in effect.

Every source yields BGR uint8 frames. Live sources (cameras, streams) may drop frames downstream;
file sources (videos, image folders) never do. Opening reads the first frame, so a source that opens
but delivers nothing fails here with one clear line instead of as an empty run.
"""

import collections
import glob
import logging
import os
import re
import sys

import cv2
import numpy as np

from ..errors import InputError
from . import gst_source
from .gstreamer import opencv_build_facts

log = logging.getLogger(__name__)

SourceSpec = collections.namedtuple("SourceSpec", "kind location options")
SourceSpec.__doc__ = """What to open: kind in camera|csi|gst|video|images|rtsp; location is the camera index or
CSI sensor id (int), pipeline, path, glob or URL; options holds width/height/fps/flip for cameras."""

ACCEPTED_FORMS = "--camera [N|csi[:N]], --video FILE, --images DIR|GLOB, --rtsp URL, --gst PIPELINE"
SOURCE_EXAMPLES = """\
sources (one of):
  --camera [N]        USB/V4L2 camera N (default 0)         --camera 1
  --camera csi[:N]    TX2 CSI camera via nvarguscamerasrc   --camera csi --width 1920 --height 1080 --flip 2
  --video FILE        video file, every frame               --video walk.mp4
  --images DIR|GLOB   images in name order, every one       --images 'frames/*.png'
  --rtsp URL          network stream                        --rtsp rtsp://192.168.1.5:8554/cam
  --gst PIPELINE      GStreamer pipeline (appsink appended)  --gst 'videotestsrc is-live=true'
"""
CAMERA_DEFAULTS = {"width": 1280, "height": 720, "fps": 30, "flip": 0}
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm")


def add_source_args(parser):
    """Add the 'source' group: exactly one of the source flags, plus camera settings."""
    group = parser.add_argument_group("source", "where frames come from (pick one)")
    which = group.add_mutually_exclusive_group()
    which.add_argument("--camera", nargs="?", const="0", metavar="N|csi[:N]",
                       help="USB camera by index (default 0), or the CSI camera with sensor id N (default 0)")
    which.add_argument("--video", metavar="FILE", help="video file; every frame is processed")
    which.add_argument("--images", metavar="DIR|GLOB", help="image folder or glob, in name order")
    which.add_argument("--rtsp", metavar="URL", help="RTSP stream, rtsp://host[:port]/path")
    which.add_argument("--gst", metavar="PIPELINE", help="GStreamer pipeline; a BGR appsink is appended when it has none")
    # Defaults are applied in source_from_args, so giving these with a file source can be refused.
    group.add_argument("--width", type=int, help="camera capture width (default {})".format(CAMERA_DEFAULTS["width"]))
    group.add_argument("--height", type=int,
                       help="camera capture height (default {})".format(CAMERA_DEFAULTS["height"]))
    group.add_argument("--fps", type=int, help="camera frame rate (default {})".format(CAMERA_DEFAULTS["fps"]))
    group.add_argument("--flip", type=int, choices=range(8), metavar="0..7",
                       help="nvvidconv flip-method: 0 none, 1 rotate 90 ccw, 2 rotate 180, 3 rotate 90 cw, "
                            "4 mirror, 5 upper-right diagonal, 6 upside down, 7 transpose (default 0)")
    return group


def source_from_args(ns):
    # type: (object) -> SourceSpec
    """The one SourceSpec the parsed flags ask for; InputError listing the accepted forms otherwise."""
    given = [(kind, getattr(ns, kind, None)) for kind in ("camera", "video", "images", "rtsp", "gst")]
    given = [(kind, value) for kind, value in given if value is not None]
    if len(given) != 1:
        raise InputError("{}; give one source: {}".format(
            "no source given" if not given else "more than one source given", ACCEPTED_FORMS))
    kind, value = given[0]
    camera_settings = dict((name, getattr(ns, name, None)) for name in CAMERA_DEFAULTS)
    if kind != "camera":
        extra = sorted(name for name, setting in camera_settings.items() if setting is not None)
        if extra:
            raise InputError("{} apply to --camera only, not --{}".format(
                ", ".join("--" + name for name in extra), kind))
        if kind == "rtsp" and not re.match(r"rtsps?://", value):
            raise InputError("--rtsp expects a URL such as rtsp://host:8554/path, got {!r}".format(value))
        return SourceSpec(kind, value, {})
    options = dict((name, CAMERA_DEFAULTS[name] if setting is None else setting)
                   for name, setting in camera_settings.items())
    for name in ("width", "height", "fps"):
        if options[name] <= 0:
            raise InputError("--{} must be positive, got {}".format(name, options[name]))
    match = re.match(r"^(?:(\d+)|csi(?::(\d+))?)$", value.strip().lower())
    if not match:
        raise InputError("--camera expects N or csi[:N], got {!r}; accepted sources: {}".format(value, ACCEPTED_FORMS))
    if match.group(1) is not None:
        return SourceSpec("camera", int(match.group(1)), options)
    return SourceSpec("csi", int(match.group(2) or 0), options)


def csi_pipeline(sensor_id, width, height, fps, flip):
    # type: (int, int, int, int, int) -> str
    """GStreamer pipeline for a Jetson CSI camera (Argus) delivering BGR frames to OpenCV's appsink."""
    # flip-methods 1, 3, 5 and 7 turn the picture by 90 degrees, so the converted frame is height x width.
    out_w, out_h = (height, width) if flip in (1, 3, 5, 7) else (width, height)
    return ("nvarguscamerasrc sensor-id={} ! "
            "video/x-raw(memory:NVMM), width=(int){}, height=(int){}, framerate=(fraction){}/1 ! "
            "nvvidconv flip-method={} ! video/x-raw, width=(int){}, height=(int){}, format=(string)BGRx ! "
            "videoconvert ! video/x-raw, format=(string)BGR ! "
            "appsink drop=1 max-buffers=1").format(sensor_id, width, height, fps, flip, out_w, out_h)


# nvvidconv's flip-methods 0..7, done in software for USB cameras.
_FLIPS = {
    0: lambda frame: frame,
    1: lambda frame: cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE),
    2: lambda frame: cv2.rotate(frame, cv2.ROTATE_180),
    3: lambda frame: cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE),
    4: lambda frame: cv2.flip(frame, 1),
    5: lambda frame: cv2.transpose(cv2.rotate(frame, cv2.ROTATE_180)),  # upper-right diagonal
    6: lambda frame: cv2.flip(frame, 0),
    7: lambda frame: cv2.transpose(frame),  # upper-left diagonal
}


def flip_frame(frame, method):
    """`frame` turned or mirrored as nvvidconv flip-method `method` (0..7) would."""
    return _FLIPS[method](frame)


def opencv_has_gstreamer():
    # type: () -> bool
    """True when this OpenCV can open GStreamer pipelines (JetPack's can; pip's wheels cannot)."""
    return opencv_build_facts()["gstreamer"]


class FrameSource(object):
    """Frames from one source; iterate for (index, frame_bgr) or call read() until it returns None.

    `live` sources (cameras, streams) may be dropped from downstream; file sources never are.
    `fps` and `frame_count` are None when the source does not know them.
    """

    def __init__(self, live, fps=None, frame_count=None):
        self.live = live
        self.fps = fps
        self.frame_count = frame_count
        self.frame_size_wh = None
        self._first_frame = None

    def _read_next(self):
        """The next frame from the device or files, or None at end of stream."""
        raise NotImplementedError

    def _probe(self, failure):
        """Read the first frame now, so a source that delivers nothing fails at open with `failure`."""
        frame = self._read_next()
        if frame is None:
            self.close()
            raise InputError(failure)
        self._first_frame = frame
        self.frame_size_wh = (frame.shape[1], frame.shape[0])

    def read(self):
        """Next BGR uint8 frame, or None at end of stream."""
        if self._first_frame is not None:
            frame, self._first_frame = self._first_frame, None
            return frame
        return self._read_next()

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


def _positive_or_none(value):
    return value if value == value and value > 0 else None  # value == value is False for NaN


class CaptureSource(FrameSource):
    """A cv2.VideoCapture: video file, USB camera, GStreamer pipeline (CSI) or network stream."""

    def __init__(self, capture, label, live, transform=None):
        fps = _positive_or_none(capture.get(cv2.CAP_PROP_FPS))
        count = None if live else _positive_or_none(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        super(CaptureSource, self).__init__(live, fps, count)
        self._capture = capture
        self._label = label
        self._transform = transform

    def _read_next(self):
        if self._capture is None:
            return None
        ok, frame = self._capture.read()
        if not ok or frame is None:
            return None
        return self._transform(frame) if self._transform else frame

    def describe(self):
        width, height = self.frame_size_wh
        details = ["{}x{}".format(width, height), "{:.1f} fps".format(self.fps) if self.fps else "fps unknown"]
        if self.frame_count:
            details.append("{} frames".format(self.frame_count))
        return "opened {} ({})".format(self._label, ", ".join(details))

    def _release(self):
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageFilesSource(FrameSource):
    """Image files in name order; files that do not decode are skipped with a warning."""

    def __init__(self, paths, location):
        super(ImageFilesSource, self).__init__(live=False, fps=None, frame_count=len(paths))
        self._paths = list(paths)
        self._location = location
        self._next = 0
        self.skipped = 0

    def _read_next(self):
        while self._next < len(self._paths):
            path = self._paths[self._next]
            self._next += 1
            frame = decode_image(path)
            if frame is not None:
                return frame
            self.skipped += 1
            log.warning("skipping %s: not a readable image", path)
        return None

    def describe(self):
        width, height = self.frame_size_wh
        return "opened images {} ({} files, first {}x{})".format(self._location, self.frame_count, width, height)

    def _release(self):
        self._next = len(self._paths)


def decode_image(path):
    """BGR uint8 image, or None when the file is missing, empty or not a decodable image."""
    # Reading bytes ourselves also copes with paths cv2.imread cannot open (non-ASCII on Windows).
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except (IOError, OSError):
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _natural_key(path):
    # frame2.png before frame10.png, as a person numbering files expects.
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path)]


def _image_paths(location):
    if os.path.isdir(location):
        names = [name for name in os.listdir(location) if name.lower().endswith(IMAGE_EXTENSIONS)]
        paths = [os.path.join(location, name) for name in names if os.path.isfile(os.path.join(location, name))]
        if not paths:
            raise InputError("no images ({}) in folder {}".format(" ".join(IMAGE_EXTENSIONS), location))
    else:
        paths = [path for path in glob.glob(location, recursive=True) if os.path.isfile(path)]
        if not paths:
            if any(char in location for char in "*?["):
                raise InputError("no files match --images {!r}".format(location))
            raise InputError("no such image folder or file: {}".format(location))
    return sorted(paths, key=_natural_key)


def _open_images(location, options):
    paths = _image_paths(location)
    source = ImageFilesSource(paths, location)
    source._probe("none of the {} files in {} could be decoded as an image".format(len(paths), location))
    return source


def _open_video(path, options):
    if os.path.isdir(path):
        raise InputError("{} is a folder; for a folder of images use --images {}".format(path, path))
    if not os.path.isfile(path):
        raise InputError("no such video file: {}".format(path))
    if not os.access(path, os.R_OK):
        raise InputError("cannot read video file {} (permission denied)".format(path))
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise InputError("cannot open {} as a video (empty, corrupt or a format this OpenCV cannot decode)".format(
            path))
    source = CaptureSource(capture, "video " + path, live=False)
    source._probe("video {} has no decodable frames".format(path))
    return source


def _video_devices():
    return sorted(glob.glob("/dev/video*"), key=_natural_key)


def _open_usb_camera(index, options):
    on_linux = sys.platform.startswith("linux")
    # V4L2 explicitly: with GStreamer built in (JetPack), OpenCV may otherwise route an index elsewhere.
    capture = cv2.VideoCapture(index, cv2.CAP_V4L2 if on_linux else cv2.CAP_ANY)
    if not capture.isOpened():
        found = ""
        if on_linux:
            devices = _video_devices()
            found = " (video devices here: {})".format(", ".join(devices) if devices else "none")
        raise InputError("no camera at index {}{}; for the CSI camera use --camera csi, to run on a file use "
                         "--video FILE".format(index, found))
    # Requests, not guarantees: the camera picks its nearest mode, and describe() reports what it chose.
    capture.set(cv2.CAP_PROP_FRAME_WIDTH, options["width"])
    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, options["height"])
    capture.set(cv2.CAP_PROP_FPS, options["fps"])
    flip = options["flip"]
    label = "USB camera {}{}".format(index, ", flip-method {}".format(flip) if flip else "")
    source = CaptureSource(capture, label, live=True,
                           transform=(lambda frame: flip_frame(frame, flip)) if flip else None)
    source._probe("camera {} opened but delivered no frame; to run on a file use --video FILE".format(index))
    return source


def _open_csi_camera(sensor_id, options):
    # The same path as --gst: only the pipeline and the messages differ.
    pipeline = csi_pipeline(sensor_id, options["width"], options["height"], options["fps"], options["flip"])
    return gst_source.open_pipeline(
        pipeline, "CSI camera {} via nvarguscamerasrc, flip-method {}".format(sensor_id, options["flip"]),
        "--camera csi",
        " (is nvargus-daemon running, the sensor id right and, in a container, /tmp/argus_socket mounted?); "
        "to run on a file use --video FILE",
        "; check that {}x{} @ {} fps is one of its sensor modes (gst-launch-1.0 nvarguscamerasrc sensor-id={} ! "
        "fakesink lists them)".format(options["width"], options["height"], options["fps"], sensor_id))


_OPENERS = {"video": _open_video, "images": _open_images, "camera": _open_usb_camera, "csi": _open_csi_camera,
            "gst": gst_source.open_gst, "rtsp": gst_source.open_rtsp}  # each: (location, options) -> FrameSource


def open_source(spec):
    # type: (SourceSpec) -> FrameSource
    """Open what `spec` names; InputError (one line, with a way forward) when it cannot be opened."""
    if spec.kind not in _OPENERS:
        raise ValueError("unknown source kind {!r}".format(spec.kind))
    return _OPENERS[spec.kind](spec.location, spec.options)
