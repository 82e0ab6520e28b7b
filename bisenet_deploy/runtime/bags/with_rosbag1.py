"""ROS 1 bags through ROS's own `rosbag` module: the fallback where `rosbags` cannot run (the TX2's
Python 3.6, with ROS Melodic built for Python 3 or a Noetic container). Same interface as with_rosbags."""

import os
import struct

from ...core import leftovers
from ...core.errors import InputError
from ...core.lazy import lazy_import
from ...core.outpaths import naming
from . import reading

IMAGE_KINDS = {"sensor_msgs/Image": "image", "sensor_msgs/CompressedImage": "compressed"}


def _rosbag():
    return lazy_import("rosbag", "reading ROS 1 bags without the rosbags library")


def damage_errors():
    """What rosbag raises on damaged bytes: its own errors, genpy's, and struct and text decoding failures."""
    return (_rosbag().ROSBagException, lazy_import("genpy", "reading ROS 1 bags").DeserializationError, struct.error,
            UnicodeError)


class Rosbag1Reader(object):
    """An open ROS 1 bag; `topics` maps topic -> message type; `images(topic)` yields (time_ns, kind, message)."""

    library = "rosbag"
    is_ros2 = False
    format_name = "ROS 1 bag"

    def __init__(self, path):
        rosbag = _rosbag()
        self.path = path
        if os.path.isdir(path):
            raise InputError("{} is a folder (a ROS 2 bag?); ROS 2 bags need the rosbags library, which needs "
                             "Python >= 3.10: pip install rosbags".format(path))
        try:
            self.bag = rosbag.Bag(path, "r")
        except (IOError, OSError, ValueError) + damage_errors() as exc:
            raise InputError("cannot read bag {}: {}".format(path, str(exc).strip() or type(exc).__name__))
        info = self.bag.get_type_and_topic_info().topics
        self.topics = dict((topic, value.msg_type) for topic, value in info.items())
        self._counts = dict((topic, value.message_count) for topic, value in info.items())
        self._rates = dict((topic, value.frequency) for topic, value in info.items())

    def image_kind(self, topic):
        return IMAGE_KINDS.get(self.topics.get(topic))

    def count(self, topic):
        return self._counts.get(topic, 0)

    def rate(self, topic):
        """Messages a second on `topic`, as rosbag measures it (None when it cannot)."""
        return self._rates.get(topic) or None

    def images(self, topic):
        kind = self.image_kind(topic)
        with reading(self.path, damage_errors()):
            for _, message, stamp in self.bag.read_messages(topics=[topic]):
                yield stamp.to_nsec(), kind, message

    def close(self):
        if self.bag is not None:
            self.bag.close()
            self.bag = None


class Rosbag1Writer(object):
    """A ROS 1 bag at `path` holding every message of `reader`'s bag, plus topics added with add_topic."""

    def __init__(self, reader, path):
        rosbag = _rosbag()
        self._genpy = lazy_import("genpy", "writing ROS 1 bags")
        self._msgs = {"image": lazy_import("sensor_msgs.msg", "writing images into a ROS 1 bag").Image,
                      "string": lazy_import("std_msgs.msg", "writing stats into a ROS 1 bag").String}
        self.path = os.path.abspath(path)
        self._tmp = leftovers.register(os.path.join(os.path.dirname(self.path),
                                                    ".{}.{}.part".format(os.path.basename(self.path), os.getpid())))
        with naming(self.path):
            self._bag = rosbag.Bag(self._tmp, "w")
        try:
            with naming(self.path), reading(reader.path, damage_errors()):
                for topic, raw, stamp in reader.bag.read_messages(raw=True):
                    self._bag.write(topic, raw, stamp, raw=True)
        except BaseException:  # a signal during the copy of a large bag too
            self.close(success=False)
            raise

    def add_topic(self, topic, kind):
        return topic, kind

    def _time(self, time_ns):
        secs, nsecs = divmod(int(time_ns), 1000000000)
        return self._genpy.Time(secs, nsecs)

    def write_image(self, handle, time_ns, meta, fields):
        topic, kind = handle
        message = self._msgs[kind]()
        message.header.seq = int(meta.get("seq", 0))
        message.header.stamp = self._genpy.Time(*meta["stamp"])
        message.header.frame_id = meta.get("frame_id", "")
        for name, value in fields.items():
            setattr(message, name, value)
        with naming(self.path):
            self._bag.write(topic, message, self._time(time_ns))

    def write_string(self, handle, time_ns, text):
        topic, kind = handle
        with naming(self.path):
            self._bag.write(topic, self._msgs[kind](data=text), self._time(time_ns))

    def close(self, success=True):
        if self._bag is None:
            return
        bag, self._bag = self._bag, None
        try:
            with naming(self.path):
                bag.close()
                if success:
                    os.replace(self._tmp, self.path)
        finally:
            leftovers.discard(self._tmp)
