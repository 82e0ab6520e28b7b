"""--gst PIPELINE, and the one way into OpenCV for every GStreamer source: --gst, --camera csi
(nvarguscamerasrc) and --rtsp all become a pipeline ending in BGR frames at an appsink, opened by
`open_pipeline`. A --gst pipeline without an appsink gets a BGR one appended."""

import logging
import re

import cv2

from ...core.errors import InputError
from ..gst_support import opencv_build_facts, require_opencv_gstreamer
from .base import CaptureSource, SourceType

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


def open_pipeline(pipeline, label, what, no_open_hint, no_frame_hint):
    """A live CaptureSource reading `pipeline` (ending in an appsink) through OpenCV's GStreamer backend.

    `what` names the flag for the no-GStreamer message; the hints end the one-line errors."""
    require_opencv_gstreamer(what)
    log.debug("GStreamer pipeline: %s", pipeline)
    capture = cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER)
    if not capture.isOpened():
        capture.release()
        raise InputError("{} did not open{}".format(label, no_open_hint))
    source = CaptureSource(capture, label, live=True)
    return source.probe("{} opened but delivered no frame{}".format(label, no_frame_hint))


def open_gst(pipeline, options):
    pipeline = with_appsink(pipeline)
    return open_pipeline(pipeline, "GStreamer pipeline '{}'".format(pipeline), "--gst",
                         " (check it with gst-launch-1.0, replacing appsink by fakesink)", "")


SOURCE = SourceType(
    "gst", "--gst", open_gst, form="--gst PIPELINE",
    argparse={"metavar": "PIPELINE", "help": "GStreamer pipeline; a BGR appsink is appended when it has none"},
    example="  --gst PIPELINE      " + "GStreamer pipeline, appsink added".ljust(38) + "--gst 'videotestsrc is-live=true'")
