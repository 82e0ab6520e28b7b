"""--camera csi[:N]: a Jetson CSI camera through nvarguscamerasrc (needs OpenCV with GStreamer)."""

import re

from ...core.errors import InputError
from ..gst_support import missing_elements, require_opencv_gstreamer
from . import gstreamer
from .base import SourceType

MAX_SENSOR_ID = 255  # nvarguscamerasrc's sensor-id range


def parse_sensor(value):
    match = re.match(r"^csi(?::(\d+))?$", value.strip().lower())
    if not match:
        return None
    sensor_id = int(match.group(1) or 0)
    if sensor_id > MAX_SENSOR_ID:
        raise InputError("--camera {}: a CSI sensor id is 0..{}".format(value, MAX_SENSOR_ID))
    return sensor_id


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
    # The same path as --gst: only the pipeline and the messages differ.
    require_opencv_gstreamer("--camera csi")  # before the element: without GStreamer, that is the message
    if missing_elements("nvarguscamerasrc"):
        raise InputError("--camera csi needs GStreamer's nvarguscamerasrc (JetPack's Argus camera plugin), and this "
                         "machine has none; for a USB camera use --camera N, to run on a file use --video FILE")
    pipeline = csi_pipeline(sensor_id, options["width"], options["height"], options["fps"], options["flip"])
    return gstreamer.open_pipeline(
        pipeline, "CSI camera {} via nvarguscamerasrc, flip-method {}".format(sensor_id, options["flip"]),
        "--camera csi", options["timeout"],
        " (is nvargus-daemon running, the sensor id right and, in a container, /tmp/argus_socket mounted?); "
        "to run on a file use --video FILE",
        "; check that {}x{} @ {} fps is one of its sensor modes (gst-launch-1.0 nvarguscamerasrc sensor-id={} ! "
        "fakesink lists them)".format(options["width"], options["height"], options["fps"], sensor_id))


SOURCE = SourceType(
    "csi", "--camera", open_csi_camera, parse=parse_sensor, cameras=True, live=True, form="--camera [N|csi[:N]]",
    example="  --camera csi[:N]    TX2 CSI camera via nvarguscamerasrc   --camera csi --width 1920 --height 1080 --flip 2")
