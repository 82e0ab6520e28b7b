"""Images recorded in a ROS bag (ROS 1 .bag; ROS 2 sqlite3 or mcap) as a bisenet-run source: every
message of the topic, in time order, never dropped, each with its header as the frame's metadata.

The `rosbags` library reads every format (Python >= 3.10); where it cannot run (the TX2's Python 3.6)
ROS 1 bags are read with ROS's own `rosbag` module instead.
"""

import logging
import os
import sys

from ..errors import InputError
from ..lazy import is_installed
from .ros_image import UnsupportedImage, bgr_from_compressed, bgr_from_image, header_meta
from .sources import FrameSource

log = logging.getLogger(__name__)

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
    raise InputError("reading ROS bags needs the rosbags library (Python >= 3.10: pip install 'bisenet-deploy[ros]') "
                     "or ROS 1's rosbag module (on a TX2: ROS Melodic built for Python 3, or a Noetic container); "
                     "this Python {}.{} has neither".format(*sys.version_info[:2]))


def open_bag(path, library=None):
    """A reader (bag_rosbags.RosbagsReader or bag_rosbag1.Rosbag1Reader) for the bag at `path`."""
    if not os.path.exists(path):
        raise InputError("no such bag: {}".format(path))
    library = library or pick_library()
    if library == "rosbags":
        from .bag_rosbags import RosbagsReader
        return RosbagsReader(path)
    if library == "rosbag":
        from .bag_rosbag1 import Rosbag1Reader
        return Rosbag1Reader(path)
    raise ValueError("unknown bag library {!r}".format(library))


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


class BagSource(FrameSource):
    """Every image of one topic of a bag; `frame_meta(index)` returns (once) the header of frame `index`."""

    def __init__(self, reader, topic):
        # the recording's rate, so a video written from it plays at the speed it was recorded
        super(BagSource, self).__init__(live=False, fps=reader.rate(topic), frame_count=reader.count(topic))
        self.reader = reader
        self.topic = topic
        self.skipped = 0
        self._items = bag_images(reader, topic)
        self._produced = 0
        self._meta = {}
        self._warned = set()

    def _read_next(self):
        if self._items is None:
            return None
        for _, meta, frame, reason in self._items:
            if frame is not None:
                self._meta[self._produced] = meta
                self._produced += 1
                return frame
            self.skipped += 1
            if reason not in self._warned:  # one line per kind of problem, not one per message
                self._warned.add(reason)
                log.warning("skipping images on %s: %s", self.topic, reason)
        return None

    def frame_meta(self, index):
        # type: (int) -> dict
        return self._meta.pop(index, {})

    def describe(self):
        width, height = self.frame_size_wh
        rate = ", {:.1f} fps".format(self.fps) if self.fps else ""
        return "opened {} {}, topic {} ({}, {} messages{}, first {}x{}) with {}".format(
            self.reader.format_name, self.reader.path, self.topic, self.reader.topics[self.topic], self.frame_count,
            rate, width, height, self.reader.library)

    def _release(self):
        self._items = None
        if self.reader is not None:
            self.reader.close()
            self.reader = None


def open_bag_source(path, topic, library=None):
    # type: (str, str, str) -> BagSource
    reader = open_bag(path, library)
    try:
        check_image_topic(reader, topic)
    except InputError:
        reader.close()
        raise
    source = BagSource(reader, topic)
    source._probe("none of the {} messages on {} in {} could be converted to an image".format(
        source.frame_count, topic, path))
    return source
