"""--rtsp URL: a network stream (credentials are never printed). With GStreamer in OpenCV it is received
by rtspsrc over TCP on the same path as --gst (nvvidconv after the decoder on a Jetson); otherwise
through OpenCV's FFmpeg backend.

When the server goes away mid-stream, rtspsrc reports an error, OpenCV's read() fails and the run
ends like the end of a file: cleanly, with its summary (there is no reconnect; rerun to join again).
A server that stops sending without closing the connection ends it the same way after --source-timeout
(live_capture.py); rtspsrc alone gives up only after about 25 s.
"""

import logging
import re

import cv2

from ...core.errors import InputError
from ..gst_support import element_exists
from . import gstreamer
from .base import SourceType
from .live_capture import open_live

log = logging.getLogger(__name__)

RTSP_LATENCY_MS = 200  # rtspsrc's jitter buffer: small for a live view, enough for Wi-Fi
RTSP_TCP_TIMEOUT_US = 5000000  # rtspsrc's limit for connecting and for each RTSP reply


def parse_url(value):
    if not re.match(r"rtsps?://", value):
        raise InputError("--rtsp expects a URL such as rtsp://host:8554/path, got {!r}".format(value))
    return value


def without_password(url):
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def rtsp_pipeline(url, latency_ms=RTSP_LATENCY_MS, nvvidconv=None):
    # type: (str, int, bool) -> str
    """Receive and decode an RTSP stream over TCP; on a Jetson nvvidconv takes the decoder's NVMM frames."""
    if nvvidconv is None:
        nvvidconv = element_exists("nvvidconv")
    convert = "nvvidconv ! video/x-raw,format=BGRx ! " if nvvidconv else ""
    return "rtspsrc location={} latency={} protocols=tcp tcp-timeout={} ! decodebin ! {}{}".format(
        url, latency_ms, RTSP_TCP_TIMEOUT_US, convert, gstreamer.LIVE_APPSINK)


def open_rtsp(url, options):
    shown = without_password(url)
    hint = " (unreachable, wrong path or credentials)"
    if gstreamer.opencv_has_gstreamer():
        return gstreamer.open_pipeline(rtsp_pipeline(url), "stream " + shown, "--rtsp", options["timeout"], hint, "")
    log.info("this OpenCV has no GStreamer; opening %s through FFmpeg", shown)
    return open_live(lambda: cv2.VideoCapture(url), "stream " + shown, options["timeout"], hint,
                     not_opened="cannot open stream {}{}".format(shown, hint))


SOURCE = SourceType(
    "rtsp", "--rtsp", open_rtsp, parse=parse_url, live=True, form="--rtsp URL",
    argparse={"metavar": "URL", "help": "RTSP stream, rtsp://host[:port]/path"},
    example="  --rtsp URL          network stream                        --rtsp rtsp://192.168.1.5:8554/cam")
