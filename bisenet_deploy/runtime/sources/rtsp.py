"""--rtsp URL: a network stream (credentials are never printed)."""

import re

import cv2

from ...core.errors import InputError
from .base import CaptureSource, SourceType


def parse_url(value):
    if not re.match(r"rtsps?://", value):
        raise InputError("--rtsp expects a URL such as rtsp://host:8554/path, got {!r}".format(value))
    return value


def without_password(url):
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def open_rtsp(url, options):
    shown = without_password(url)
    capture = cv2.VideoCapture(url)
    if not capture.isOpened():
        raise InputError("cannot open stream {} (unreachable, wrong path or credentials)".format(shown))
    source = CaptureSource(capture, "stream " + shown, live=True)
    return source.probe("stream {} opened but delivered no frame".format(shown))


SOURCE = SourceType(
    "rtsp", "--rtsp", open_rtsp, parse=parse_url, form="--rtsp URL",
    argparse={"metavar": "URL", "help": "RTSP stream, rtsp://host[:port]/path"},
    example="  --rtsp URL          network stream                        --rtsp rtsp://192.168.1.5:8554/cam")
