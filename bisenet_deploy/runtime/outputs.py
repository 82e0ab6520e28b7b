"""Where bisenet-run's results go: a window, an overlay video, or a folder of per-frame PNGs.

Every sink has close(success=True) and is a context manager, so a run opened under `with`/ExitStack
finalizes its video on end of stream or Ctrl-C and leaves nothing half-written after a crash.
"""

import argparse
import logging
import os
import sys
import tempfile

import cv2
import numpy as np

from ..atomic import write_bytes_atomic
from ..errors import InputError

log = logging.getLogger(__name__)

WINDOW_NAME = "bisenet-run"
VIDEO_FOURCCS = {".mp4": "mp4v", ".avi": "MJPG"}
DEFAULT_VIDEO_FPS = 30.0  # for sources that do not know their rate (image folders)
OUTPUT_EXAMPLES = """\
outputs:
  (default)           window with the overlay, legend and FPS; q or Esc quits
  --headless          no window; print the summary only (or combine with --output)
  --output FILE.mp4   overlay video (.mp4: mp4v, .avi: MJPG), same frame size and count as the input
  --output DIR/       per frame: 000000_labels.png (class indices), 000000_mask.png (class colours)
                      and 000000_overlay.png (the overlay)
"""


def _alpha(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("expected a number from 0 to 1, got {!r}".format(text))
    return value


def add_output_args(parser):
    """Add the 'output' group: window or not, a video or folder to write, and how the overlay looks."""
    group = parser.add_argument_group("output", "where results go (default: a window)")
    group.add_argument("--output", metavar="FILE.mp4|DIR/",
                       help="write an overlay video (.mp4 or .avi) or, for a path ending in '/', per-frame PNGs")
    group.add_argument("--headless", action="store_true", help="do not open a window")
    group.add_argument("--alpha", type=_alpha, default=0.5,
                       help="opacity of the class colours over the frame, 0..1 (default 0.5)")
    group.add_argument("--mask-only", action="store_true", help="show/write the colour mask instead of the overlay")
    group.add_argument("--no-legend", action="store_true", help="leave out the legend of the classes present")
    return group


def _check_bgr(image):
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("expected an (h, w, 3) uint8 BGR image, got {} {}".format(image.shape, image.dtype))


class _Sink(object):
    def close(self, success=True):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        # Ctrl-C ends a run normally: what was written so far is kept.
        self.close(success=exc_type is None or issubclass(exc_type, KeyboardInterrupt))


class VideoFileSink(_Sink):
    """An overlay video written under a temporary name and renamed into place by close(success=True)."""

    def __init__(self, path, fps, frame_size_wh):
        extension = os.path.splitext(path)[1].lower()
        if extension not in VIDEO_FOURCCS:
            raise InputError("video output must end in {}, got {}".format(" or ".join(sorted(VIDEO_FOURCCS)), path))
        if not fps or fps <= 0:
            raise ValueError("fps must be positive, got {}".format(fps))
        self.path = os.path.abspath(path)
        self.frame_size_wh = (int(frame_size_wh[0]), int(frame_size_wh[1]))
        self.frames_written = 0
        self._warned_resize = False
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            # Not atomic_path: OpenCV picks the container from the extension, so the temp name must keep it.
            handle, self._tmp = tempfile.mkstemp(prefix="." + os.path.basename(self.path) + ".",
                                                 suffix=".part" + extension, dir=directory)
        except OSError as exc:
            raise InputError("cannot write video into {}: {}".format(directory, exc.strerror or exc))
        os.close(handle)
        fourcc = VIDEO_FOURCCS[extension]
        self._writer = cv2.VideoWriter(self._tmp, cv2.VideoWriter_fourcc(*fourcc), float(fps), self.frame_size_wh)
        if not self._writer.isOpened():
            self._writer = None
            os.remove(self._tmp)
            raise InputError("this OpenCV cannot encode {} ({}) video; try --output {}".format(
                extension, fourcc, os.path.splitext(path)[0] + (".avi" if extension != ".avi" else ".mp4")))

    def write(self, image):
        """Append one BGR frame; a frame of another size is resized (warned once), since a video has one size."""
        _check_bgr(image)
        width, height = self.frame_size_wh
        if image.shape[:2] != (height, width):
            if not self._warned_resize:
                log.warning("frame size %dx%d differs from the video's %dx%d; resizing (use --output DIR/ to keep "
                            "sizes)", image.shape[1], image.shape[0], width, height)
                self._warned_resize = True
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        self._writer.write(image)
        self.frames_written += 1

    def close(self, success=True):
        """Finalize: keep the video if `success` and a frame was written, else delete the partial file."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        try:
            if success and self.frames_written:
                os.replace(self._tmp, self.path)
                log.info("wrote %s (%d frames)", self.path, self.frames_written)
            elif success:
                log.warning("no frames were written; %s not created", self.path)
        finally:
            if os.path.exists(self._tmp):
                os.remove(self._tmp)


class DirectorySink(_Sink):
    """Per frame `{index:06d}_labels.png` (class indices, exact), `{index:06d}_mask.png` (BGR colours) and,
    when given, `{index:06d}_overlay.png` (the picture as the window shows it).

    Labels are 8-bit PNGs, or 16-bit when the model has more than 255 classes (or, with `num_classes`
    unknown, when a frame holds a label above 255).
    """

    def __init__(self, path, num_classes=None):
        self.path = os.path.abspath(path)
        self.num_classes = num_classes
        self.frames_written = 0
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise InputError("--output {} is a file, not a folder".format(path))
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as exc:
            raise InputError("cannot create output folder {}: {}".format(path, exc.strerror or exc))

    def _label_dtype(self, labels):
        if self.num_classes is not None:
            return np.uint16 if self.num_classes > 255 else np.uint8
        return np.uint16 if labels.size and labels.max() > 255 else np.uint8

    def write(self, index, labels, mask, overlay=None):
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype.kind not in "iu":
            raise ValueError("labels must be an (h, w) integer array, got {} {}".format(labels.shape, labels.dtype))
        dtype = self._label_dtype(labels)
        if labels.size and (labels.min() < 0 or labels.max() > np.iinfo(dtype).max):
            raise ValueError("labels {}..{} do not fit {}".format(labels.min(), labels.max(), np.dtype(dtype).name))
        _check_bgr(mask)
        stem = os.path.join(self.path, "{:06d}".format(index))
        _write_png(stem + "_labels.png", labels.astype(dtype))
        _write_png(stem + "_mask.png", mask)
        if overlay is not None:
            _write_png(stem + "_overlay.png", overlay)
        self.frames_written += 1

    def close(self, success=True):
        """Nothing to finalize: every PNG was already written whole (temp name, then rename)."""


def _write_png(path, array):
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise ValueError("OpenCV could not encode {} as PNG".format(path))
    write_bytes_atomic(path, encoded.tobytes())


class WindowSink(_Sink):
    """The on-screen window; `closed` turns True when the user presses q or Esc or closes the window."""

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

    def write(self, image):
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


def _output_kind(path):
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        return "dir"
    if os.path.splitext(path)[1].lower() in VIDEO_FOURCCS:
        return "video"
    raise InputError("--output expects FILE.mp4, FILE.avi or a folder ending in '/', got {!r}".format(path))


def open_outputs(ns, fps, frame_size_wh, num_classes=None):
    """The sinks the flags ask for: the window unless --headless, plus a video or folder for --output."""
    target = getattr(ns, "output", None)
    kind = _output_kind(target) if target else None  # refuse a bad path before opening anything
    sinks = []
    try:
        if not getattr(ns, "headless", False):
            sinks.append(WindowSink())
        if kind == "dir":
            sinks.append(DirectorySink(target, num_classes))
        elif kind == "video":
            if not fps:
                log.info("the source has no frame rate; writing %s at %.0f fps", target, DEFAULT_VIDEO_FPS)
            sinks.append(VideoFileSink(target, fps or DEFAULT_VIDEO_FPS, frame_size_wh))
    except Exception:
        for sink in sinks:
            sink.close(success=False)
        raise
    return sinks
