"""One way into OpenCV for every GStreamer source: `--gst PIPELINE`, `--camera csi` (nvarguscamerasrc) and
`--rtsp URL` all become a pipeline that ends in BGR frames at an appsink, opened by `open_pipeline`.

When an RTSP server goes away mid-stream, rtspsrc reports an error, OpenCV's read() fails and the run
ends like the end of a file: cleanly, with its summary (there is no reconnect; rerun to join again).
Without GStreamer in OpenCV an RTSP URL still opens through OpenCV's FFmpeg backend.
"""

import logging
import re

import cv2

from ..errors import InputError
from .gstreamer import element_exists, opencv_build_facts, require_opencv_gstreamer

log = logging.getLogger(__name__)

TO_BGR = "videoconvert ! video/x-raw,format=BGR ! "
# Appended to --gst: a small queue without dropping, so a file or test source gives every frame (the capture
# thread reads continuously, so a live source does not lag either)
GST_APPSINK = TO_BGR + "appsink max-buffers=2 sync=false"
# For a network stream the newest frame only: latency must not queue up inside GStreamer
LIVE_APPSINK = TO_BGR + "appsink drop=true max-buffers=1 sync=false"
RTSP_LATENCY_MS = 200  # rtspsrc's jitter buffer: small for a live view, enough for Wi-Fi
RTSP_TCP_TIMEOUT_US = 5000000  # a server that stops sending without closing ends the run after 5 s


def with_appsink(pipeline):
    # type: (str) -> str
    """`pipeline` as given when it has an appsink, else with a BGR conversion and appsink appended."""
    if re.search(r"\bappsink\b", pipeline):
        return pipeline
    return "{} ! {}".format(pipeline.strip().rstrip("!").strip(), GST_APPSINK)


def rtsp_pipeline(url, latency_ms=RTSP_LATENCY_MS, nvvidconv=None):
    # type: (str, int, bool) -> str
    """Receive and decode an RTSP stream over TCP; on a Jetson nvvidconv takes the decoder's NVMM frames."""
    if nvvidconv is None:
        nvvidconv = element_exists("nvvidconv")
    convert = "nvvidconv ! video/x-raw,format=BGRx ! " if nvvidconv else ""
    return ("rtspsrc location={} latency={} protocols=tcp tcp-timeout={} ! decodebin ! {}{}".format(
        url, latency_ms, RTSP_TCP_TIMEOUT_US, convert, LIVE_APPSINK))


def without_password(url):
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def open_pipeline(pipeline, label, what, no_open_hint, no_frame_hint):
    """A live CaptureSource reading `pipeline` (ending in an appsink) through OpenCV's GStreamer backend.

    `what` names the flag for the no-GStreamer message; the hints end the one-line errors."""
    from .sources import CaptureSource  # sources.py registers these openers, so import it late

    require_opencv_gstreamer(what)
    log.debug("GStreamer pipeline: %s", pipeline)
    capture = cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER)
    if not capture.isOpened():
        capture.release()
        raise InputError("{} did not open{}".format(label, no_open_hint))
    source = CaptureSource(capture, label, live=True)
    source._probe("{} opened but delivered no frame{}".format(label, no_frame_hint))
    return source


def open_gst(pipeline, options):
    pipeline = with_appsink(pipeline)
    return open_pipeline(pipeline, "GStreamer pipeline '{}'".format(pipeline), "--gst",
                         " (check it with gst-launch-1.0, replacing appsink by fakesink)", "")


def open_rtsp(url, options):
    shown = without_password(url)
    if opencv_build_facts()["gstreamer"]:
        return open_pipeline(rtsp_pipeline(url), "stream " + shown, "--rtsp",
                             " (unreachable, wrong path or credentials)", "")
    from .sources import CaptureSource

    log.info("this OpenCV has no GStreamer; opening %s through FFmpeg", shown)
    capture = cv2.VideoCapture(url)
    if not capture.isOpened():
        raise InputError("cannot open stream {} (unreachable, wrong path or credentials)".format(shown))
    source = CaptureSource(capture, "stream " + shown, live=True)
    source._probe("stream {} opened but delivered no frame".format(shown))
    return source
