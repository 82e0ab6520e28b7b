"""Reading ROS bags (ROS 1 .bag; ROS 2 sqlite3 or mcap): which library opens them, checking a topic,
and its images in time order with their headers. The source (sources/rosbag.py), the sink
(sinks/rosbag.py), evaluation and calibration all read bags through here.

The `rosbags` library reads every format (Python >= 3.10); where it cannot run (the TX2's Python 3.6)
ROS 1 bags are read with ROS's own `rosbag` module instead.
"""

import contextlib
import os
import sys

from ...core.errors import InputError
from ...core.lazy import is_installed
from ..ros_image import UnsupportedImage, bgr_from_compressed, bgr_from_image, header_meta

LIBRARIES = ("rosbags", "rosbag")
IMAGE_TYPES_TEXT = "sensor_msgs/Image or sensor_msgs/CompressedImage"


def pick_library():
    # type: () -> str
    """'rosbags' where it runs, else 'rosbag' (ROS 1's module), else an InputError saying how to get one."""
    # 0.11 (Python >= 3.10) is the rosbags whose bag converter the bag sink reuses
    if sys.version_info >= (3, 10) and is_installed("rosbags"):
        return "rosbags"
    if is_installed("rosbag"):
        return "rosbag"
    raise InputError("reading ROS bags needs the rosbags library (Python >= 3.10: pip install -e '.[ros]' in the "
                     "bisenet-deploy clone) or ROS 1's rosbag module (on a TX2: ROS Melodic built for Python 3, "
                     "or a Noetic container); this Python {}.{} has neither".format(*sys.version_info[:2]))


def open_bag(path, library=None):
    """A reader (with_rosbags.RosbagsReader or with_rosbag1.Rosbag1Reader) for the bag at `path`."""
    if not os.path.exists(path):
        raise InputError("no such bag: {}".format(path))
    library = library or pick_library()
    if library == "rosbags":
        from .with_rosbags import RosbagsReader
        return RosbagsReader(path)
    if library == "rosbag":
        from .with_rosbag1 import Rosbag1Reader
        return Rosbag1Reader(path)
    raise ValueError("unknown bag library {!r}".format(library))


def first_line(exc):
    """The first line of an exception's message, or its type's name when it has none (a bare assert)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


@contextlib.contextmanager
def reading(path, damage_errors):
    """A bag damaged after what its index describes (a cut or overwritten chunk) fails only when that part
    is read, with the library's own error (`damage_errors`): one InputError naming the bag instead."""
    try:
        yield
    except damage_errors as exc:
        raise InputError("cannot read bag {}: it is damaged ({})".format(path, first_line(exc)))


def check_image_topic(reader, topic):
    """InputError unless `topic` holds images; the message lists the bag's image topics."""
    images = sorted(t for t in reader.topics if reader.image_kind(t))
    if topic not in reader.topics:
        raise InputError("{} has no topic {}; its image topics: {}".format(
            reader.path, topic, ", ".join(images) if images else "none"))
    if reader.image_kind(topic) is None:
        raise InputError("topic {} in {} holds {}, not {}; image topics: {}".format(
            topic, reader.path, reader.topics[topic], IMAGE_TYPES_TEXT, ", ".join(images) if images else "none"))
    if reader.count(topic) == 0:
        raise InputError("topic {} in {} has no messages".format(topic, reader.path))


def decode(kind, message):
    """BGR frame of an Image or CompressedImage message; UnsupportedImage when it cannot be converted."""
    return bgr_from_compressed(message) if kind == "compressed" else bgr_from_image(message)


def bag_images(reader, topic):
    """(index, meta, BGR frame or None, reason) for every message on `topic`; meta holds the header."""
    for index, (time_ns, kind, message) in enumerate(reader.images(topic)):
        meta = header_meta(message.header)
        meta.update(bag_time_ns=int(time_ns), topic=topic, encoding=getattr(message, "encoding", "compressed"))
        try:
            yield index, meta, decode(kind, message), None
        except UnsupportedImage as exc:
            yield index, meta, None, str(exc)
