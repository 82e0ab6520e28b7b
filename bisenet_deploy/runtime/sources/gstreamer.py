"""--gst PIPELINE, and the one way into OpenCV for every GStreamer source: --gst, --camera csi
(nvarguscamerasrc) and --rtsp all become a pipeline ending in BGR frames at an appsink, opened by
`open_pipeline` within --source-timeout. A --gst pipeline without an appsink gets a BGR one appended."""

import logging
import re

import cv2

from ...core.errors import InputError
from ..gst_support import missing_elements, opencv_build_facts, require_opencv_gstreamer
from .base import SourceType
from .live_capture import open_live

log = logging.getLogger(__name__)

TO_BGR = "videoconvert ! video/x-raw,format=BGR ! "
# Appended to --gst: a small queue without dropping, so a file or test source gives every frame (the capture
# thread reads continuously, so a live source does not lag either)
GST_APPSINK = TO_BGR + "appsink max-buffers=2 sync=false"
# For a network stream the newest frame only: latency must not queue up inside GStreamer
LIVE_APPSINK = TO_BGR + "appsink drop=true max-buffers=1 sync=false"


def opencv_has_gstreamer():
    # type: () -> bool
    """True when this OpenCV can open GStreamer pipelines (JetPack's can; pip's wheels cannot)."""
    return opencv_build_facts()["gstreamer"]


def with_appsink(pipeline):
    # type: (str) -> str
    """`pipeline` as given when it has an appsink, else with a BGR conversion and appsink appended."""
    if re.search(r"\bappsink\b", pipeline):
        return pipeline
    return "{} ! {}".format(pipeline.strip().rstrip("!").strip(), GST_APPSINK)


def open_pipeline(pipeline, label, what, timeout, open_hint, frame_hint):
    """A live source reading `pipeline` (ending in an appsink) through OpenCV's GStreamer backend.

    `what` names the flag for the no-GStreamer message; the hints end the one-line errors. A pipeline
    with an element GStreamer lacks fails at once, one that does not start within `timeout` seconds then."""
    require_opencv_gstreamer(what)
    log.debug("GStreamer pipeline: %s", pipeline)
    missing = missing_elements(pipeline)
    if missing:
        raise InputError("{} cannot start: GStreamer has no element {}{}".format(
            label, ", ".join(repr(name) for name in missing), open_hint))
    return open_live(lambda: cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER), label, timeout, open_hint, frame_hint)


def open_gst(pipeline, options):
    pipeline = with_appsink(pipeline)
    return open_pipeline(pipeline, "GStreamer pipeline '{}'".format(pipeline), "--gst", options["timeout"],
                         " (check it with gst-launch-1.0, replacing appsink by fakesink)", "")


SOURCE = SourceType(
    "gst", "--gst", open_gst, live=True, form="--gst PIPELINE",
    argparse={"metavar": "PIPELINE", "help": "GStreamer pipeline; a BGR appsink is appended when it has none"},
    example="  --gst PIPELINE      " + "GStreamer pipeline, appsink added".ljust(38) + "--gst 'videotestsrc is-live=true'")
