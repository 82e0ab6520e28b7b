"""sensor_msgs/Image and CompressedImage <-> numpy, without cv_bridge (built for Python 2 on Melodic).

Works on any object with the message's fields, so rospy messages, rosbags' messages and the ROS 1
`rosbag` module's messages all convert the same way. Incoming images become BGR uint8 frames, what
the runtime segments; outgoing ones are the segnet node's class_mask (mono8/mono16), color_mask
(rgb8) and overlay (bgr8). The encodings and OpenCV conversion codes are cv_bridge's.
"""

import cv2
import numpy as np

# encoding -> (channels, OpenCV conversion to BGR or None when the bytes already are BGR)
_TO_BGR = {
    "bgr8": (3, None),
    "rgb8": (3, cv2.COLOR_RGB2BGR),
    "mono8": (1, cv2.COLOR_GRAY2BGR),
    "8UC1": (1, cv2.COLOR_GRAY2BGR),
    "8UC3": (3, None),  # OpenCV's own type: BGR by convention
    "bgra8": (4, cv2.COLOR_BGRA2BGR),
    "rgba8": (4, cv2.COLOR_RGBA2BGR),
    "8UC4": (4, cv2.COLOR_BGRA2BGR),
    # ROS's yuv422 is UYVY; yuv422_yuy2 is YUYV (both 2 bytes a pixel)
    "yuv422": (2, cv2.COLOR_YUV2BGR_UYVY),
    "uyvy": (2, cv2.COLOR_YUV2BGR_UYVY),
    "yuv422_yuy2": (2, cv2.COLOR_YUV2BGR_YUY2),
    "yuyv": (2, cv2.COLOR_YUV2BGR_YUY2),
    # ROS names the 2x2 pattern from the top-left pixel, OpenCV from the second row's: cv_bridge's mapping
    "bayer_rggb8": (1, cv2.COLOR_BayerBG2BGR),
    "bayer_bggr8": (1, cv2.COLOR_BayerRG2BGR),
    "bayer_gbrg8": (1, cv2.COLOR_BayerGR2BGR),
    "bayer_grbg8": (1, cv2.COLOR_BayerGB2BGR),
}
SUPPORTED_ENCODINGS = tuple(sorted(_TO_BGR))


class UnsupportedImage(ValueError):
    """An image this converter cannot turn into a BGR frame (encoding, size or data); the text says why."""


def _buffer(data):
    """The message's data field as a flat uint8 array (rospy gives bytes, rosbags a numpy array)."""
    if isinstance(data, np.ndarray):
        return data.reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


def bgr_from_image(msg):
    # type: (object) -> np.ndarray
    """(height, width, 3) uint8 BGR from a sensor_msgs/Image; UnsupportedImage when it cannot be read."""
    encoding = msg.encoding
    if encoding not in _TO_BGR:
        raise UnsupportedImage("image encoding {!r} is not supported (supported: {})".format(
            encoding, ", ".join(SUPPORTED_ENCODINGS)))
    channels, code = _TO_BGR[encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    row_bytes = width * channels
    data = _buffer(msg.data)
    if height < 1 or width < 1 or step < row_bytes or data.size < step * (height - 1) + row_bytes:
        raise UnsupportedImage("{} image {}x{} with step {} does not fit its {} data bytes".format(
            encoding, width, height, step, data.size))
    if data.size < step * height:  # the last row may come without its padding
        data = np.concatenate([data, np.zeros(step * height - data.size, np.uint8)])
    # rows may be padded past width * channels: view with the step, then crop
    rows = data[:step * height].reshape(height, step)[:, :row_bytes]
    pixels = rows.reshape(height, width, channels) if channels > 1 else rows
    if code is None:
        return np.ascontiguousarray(pixels)
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def bgr_from_compressed(msg):
    # type: (object) -> np.ndarray
    """BGR uint8 from a sensor_msgs/CompressedImage (JPEG or PNG); UnsupportedImage when it does not decode."""
    data = _buffer(msg.data)
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if frame is None:
        raise UnsupportedImage("compressed image (format {!r}, {} bytes) does not decode as JPEG or PNG".format(
            getattr(msg, "format", ""), data.size))
    return frame


def label_encoding(num_classes):
    """mono8 while class indices fit a byte, as segnet's class_mask; mono16 above 255 classes."""
    return "mono8" if num_classes <= 255 else "mono16"


# encoding -> (dtype, channels) of what the node publishes
_OUT_LAYOUT = {"mono8": (np.uint8, 1), "mono16": (np.uint16, 1), "rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3)}


def image_fields(array, encoding):
    # type: (np.ndarray, str) -> dict
    """The sensor_msgs/Image fields (height, width, encoding, is_bigendian, step, data) for `array`.

    `array` is (h, w) for mono8/mono16 and (h, w, 3) for rgb8/bgr8, already in that channel order.
    16-bit data is written little-endian (is_bigendian 0), as every ROS platform in use is.
    """
    dtype, channels = _OUT_LAYOUT[encoding]
    expected_ndim = 2 if channels == 1 else 3
    if array.ndim != expected_ndim or (channels == 3 and array.shape[2] != 3):
        raise ValueError("{} takes an array of {} dimensions, got shape {}".format(encoding, expected_ndim, array.shape))
    pixels = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    height, width = pixels.shape[:2]
    return {"height": height, "width": width, "encoding": encoding, "is_bigendian": 0,
            "step": width * channels * pixels.itemsize, "data": pixels.tobytes()}


def header_meta(header):
    # type: (object) -> dict
    """{"stamp": [sec, nsec], "frame_id", "seq"} of a std_msgs/Header from rospy, rosbag or rosbags."""
    stamp = header.stamp
    sec = getattr(stamp, "sec", None)
    nsec = getattr(stamp, "nanosec", None)
    if sec is None:  # rospy/genpy name them secs and nsecs
        sec, nsec = stamp.secs, stamp.nsecs
    return {"stamp": [int(sec), int(nsec)], "frame_id": str(header.frame_id), "seq": int(getattr(header, "seq", 0))}


def stamp_seconds(meta):
    # type: (dict) -> float
    sec, nsec = meta["stamp"]
    return sec + nsec * 1e-9
