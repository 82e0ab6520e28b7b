"""--gst PIPELINE: any GStreamer pipeline ending in appsink, through OpenCV's GStreamer backend."""

import re

import cv2

from ...core.errors import InputError
from .base import CaptureSource, SourceType


def opencv_has_gstreamer():
    # type: () -> bool
    """True when this OpenCV can open GStreamer pipelines (JetPack's can; pip's wheels cannot)."""
    match = re.search(r"^\s*GStreamer:\s*(\w+)", cv2.getBuildInformation(), re.MULTILINE)
    return bool(match) and match.group(1).upper() == "YES"


def require_gstreamer(what):
    if not opencv_has_gstreamer():
        raise InputError("{} needs OpenCV built with GStreamer (JetPack's OpenCV is; pip's opencv-python is not); "
                         "to run on a file use --video FILE".format(what))


def open_gst(pipeline, options):
    require_gstreamer("--gst")
    capture = cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER)
    if not capture.isOpened():
        hint = "" if "appsink" in pipeline else " (it must end in appsink)"
        raise InputError("GStreamer pipeline did not open{}: {}".format(hint, pipeline))
    source = CaptureSource(capture, "GStreamer pipeline '{}'".format(pipeline), live=True)
    return source.probe("GStreamer pipeline opened but delivered no frame: {}".format(pipeline))


SOURCE = SourceType(
    "gst", "--gst", open_gst, form="--gst PIPELINE",
    argparse={"metavar": "PIPELINE", "help": "GStreamer pipeline ending in appsink"},
    example="  --gst PIPELINE      GStreamer pipeline ending in appsink  --gst 'videotestsrc ! videoconvert ! appsink'")
