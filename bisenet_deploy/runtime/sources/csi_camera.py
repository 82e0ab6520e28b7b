"""--camera csi[:N]: a Jetson CSI camera through nvarguscamerasrc (needs OpenCV with GStreamer)."""

import logging
import re

import cv2

from ...core.errors import InputError
from .base import CaptureSource, SourceType
from .gstreamer import require_gstreamer

log = logging.getLogger(__name__)


def parse_sensor(value):
    match = re.match(r"^csi(?::(\d+))?$", value.strip().lower())
    return int(match.group(1) or 0) if match else None


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


def open_csi_camera(sensor_id, options):
    require_gstreamer("--camera csi")
    pipeline = csi_pipeline(sensor_id, options["width"], options["height"], options["fps"], options["flip"])
    log.debug("CSI pipeline: %s", pipeline)
    capture = cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER)
    if not capture.isOpened():
        raise InputError("CSI camera {} did not open through nvarguscamerasrc (is nvargus-daemon running, the sensor "
                         "id right and, in a container, /tmp/argus_socket mounted?); to run on a file use "
                         "--video FILE".format(sensor_id))
    source = CaptureSource(capture, "CSI camera {} via nvarguscamerasrc, flip-method {}".format(
        sensor_id, options["flip"]), live=True)
    return source.probe("CSI camera {} opened but delivered no frame; check that {}x{} @ {} fps is one of its sensor "
                        "modes (gst-launch-1.0 nvarguscamerasrc sensor-id={} ! fakesink lists them)".format(
                            sensor_id, options["width"], options["height"], options["fps"], sensor_id))


SOURCE = SourceType(
    "csi", "--camera", open_csi_camera, parse=parse_sensor, cameras=True, form="--camera [N|csi[:N]]",
    example="  --camera csi[:N]    TX2 CSI camera via nvarguscamerasrc   --camera csi --width 1920 --height 1080 --flip 2")
