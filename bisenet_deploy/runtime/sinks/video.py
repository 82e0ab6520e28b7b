"""--output FILE.mp4|FILE.avi: the overlay as a video (H.264 in an .mp4 where this machine can encode it,
video_codecs.py), written under a temporary name and renamed into place when the run ends normally (or
by Ctrl-C)."""

import logging
import os

import cv2

from ...core import leftovers
from ...core.atomic import publish, temporary_sibling
from ...core.errors import InputError
from ...core.outpaths import OutputError
from ...core.wording import count
from ..video_check import incomplete_video_reason
from .base import Sink, check_bgr
from .video_codecs import MP4V, no_h264_warning, open_video_writer

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".avi")
DEFAULT_VIDEO_FPS = 30.0  # for sources that do not know their rate (image folders)


class VideoFileSink(Sink):
    """An overlay video; `write_image` appends any BGR picture, `write(result)` the result's overlay."""

    forms = ("FILE.mp4", "FILE.avi")

    @classmethod
    def accepts(cls, spec):
        return os.path.splitext(spec)[1].lower() in VIDEO_EXTENSIONS

    @classmethod
    def from_spec(cls, spec, stream):
        if not stream.fps:
            log.info("the source has no frame rate; writing %s at %.0f fps", spec, DEFAULT_VIDEO_FPS)
        return cls(spec, stream.fps or DEFAULT_VIDEO_FPS, stream.frame_size_wh)

    def __init__(self, path, fps, frame_size_wh):
        extension = os.path.splitext(path)[1].lower()
        if extension not in VIDEO_EXTENSIONS:
            raise InputError("video output must end in {}, got {}".format(" or ".join(sorted(VIDEO_EXTENSIONS)), path))
        if not fps or fps <= 0:
            raise ValueError("fps must be positive, got {}".format(fps))
        self.path = os.path.abspath(path)
        self.frame_size_wh = (int(frame_size_wh[0]), int(frame_size_wh[1]))
        self.fps = float(fps)
        self.frames_written = 0
        self._warned_resize = False
        # Not atomic_path: OpenCV picks the container from the extension, so the temp name must keep it.
        self._tmp = temporary_sibling(self.path, suffix=".part" + extension)
        self._writer, self.codec = open_video_writer(self._tmp, extension, self.fps, self.frame_size_wh)
        if self._writer is None:
            leftovers.discard(self._tmp)
            raise InputError("this OpenCV cannot encode {} video ({}); try --output {}".format(
                extension, self.codec, os.path.splitext(path)[0] + (".avi" if extension != ".avi" else ".mp4")))
        if self.codec == MP4V:
            log.warning("%s", no_h264_warning(self.path))

    def describe(self):
        """What the run writes, codec included (a browser plays an .mp4 only when it is H.264)."""
        return "writing {} as {}, {}x{} at {:g} fps".format(self.path, self.codec, self.frame_size_wh[0],
                                                            self.frame_size_wh[1], self.fps)

    def write(self, result):
        self.write_image(result.overlay)

    def write_image(self, image):
        """Append one BGR frame; a frame of another size is resized (warned once), since a video has one size."""
        check_bgr(image)
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
        """Finalize: keep the video if `success` and every frame is in it, else delete the partial file.

        OpenCV's writer does not report failed writes (a full disk), so the finished file is read back:
        a video that does not hold all its frames is an output that could not be written (OutputError,
        exit 2 like a label map or a bag on a full disk) and is not kept."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        try:
            if success and self.frames_written:
                problem = incomplete_video_reason(self._tmp, self.frames_written)
                if problem:
                    raise OutputError("the video {} was not written completely ({}); nothing kept".format(
                        self.path, problem))
                publish(self._tmp, self.path)
                log.info("wrote %s (%s, %s)", self.path, count(self.frames_written, "frame"), self.codec)
            elif success:
                log.warning("no frames were written; %s not created", self.path)
        finally:
            leftovers.discard(self._tmp)
