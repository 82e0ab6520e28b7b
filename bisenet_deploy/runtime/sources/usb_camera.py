"""--camera N: a USB (V4L2) camera by index, within --source-timeout; --flip is applied in software."""

import glob
import re
import sys

import cv2

from ...core.errors import InputError
from ...core.images import natural_key
from .base import SourceType
from .camera_settings import flip_frame
from .live_capture import open_live

MAX_INDEX = 255  # V4L2 has /dev/video0 to /dev/video255
CAMERA_ARGPARSE = {"nargs": "?", "const": "0", "metavar": "N|csi[:N]",
                   "help": "USB camera by index (default 0), or the CSI camera with sensor id N (default 0)"}


def parse_index(value):
    if not re.match(r"^\d+$", value.strip()):
        return None
    if int(value) > MAX_INDEX:
        raise InputError("--camera {}: a camera index is 0..{} (/dev/video0../dev/video{})".format(
            value.strip(), MAX_INDEX, MAX_INDEX))
    return int(value)


def _video_devices():
    return sorted(glob.glob("/dev/video*"), key=natural_key)


def open_usb_camera(index, options):
    on_linux = sys.platform.startswith("linux")

    def open_capture():
        # V4L2 explicitly: with GStreamer built in (JetPack), OpenCV may otherwise route an index elsewhere.
        capture = cv2.VideoCapture(index, cv2.CAP_V4L2 if on_linux else cv2.CAP_ANY)
        if capture.isOpened():
            # Requests, not guarantees: the camera picks its nearest mode, and describe() reports what it chose.
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, options["width"])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, options["height"])
            capture.set(cv2.CAP_PROP_FPS, options["fps"])
        return capture

    found = ""
    if on_linux:
        devices = _video_devices()
        found = " (video devices here: {})".format(", ".join(devices) if devices else "none")
    flip = options["flip"]
    to_file = "; to run on a file use --video FILE"
    return open_live(open_capture, "USB camera {}{}".format(index, ", flip-method {}".format(flip) if flip else ""),
                     options["timeout"], to_file, to_file,
                     not_opened="no camera at index {}{}; for the CSI camera use --camera csi, to run on a file use "
                                "--video FILE".format(index, found),
                     transform=(lambda frame: flip_frame(frame, flip)) if flip else None)


SOURCE = SourceType(
    "camera", "--camera", open_usb_camera, parse=parse_index, cameras=True, live=True, form="--camera [N|csi[:N]]",
    argparse=CAMERA_ARGPARSE,
    example="  --camera [N]        USB/V4L2 camera N (default 0)         --camera 1")
