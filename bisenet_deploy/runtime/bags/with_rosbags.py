"""ROS 1 and ROS 2 bags (sqlite3 and mcap) through the `rosbags` library: pure Python, no ROS
installation, Python >= 3.10. Reading yields image messages; writing copies every original message
into a ROS 1 bag (converting ROS 2 messages with rosbags' own converter) and adds new topics."""

import os
import struct

from ...core import leftovers
from ...core.errors import InputError
from ...core.lazy import lazy_import
from ...core.outpaths import naming
from . import first_line, reading

IMAGE_KINDS = {"sensor_msgs/msg/Image": "image", "sensor_msgs/msg/CompressedImage": "compressed"}
OUTPUT_TYPES = {"image": "sensor_msgs/msg/Image", "string": "std_msgs/msg/String"}


def _rosbags(module, what):
    return lazy_import("rosbags." + module, what)


def bag_location(path):
    # type: (str) -> str
    """What rosbags opens: a ROS 1 .bag file, or a ROS 2 bag folder (given the folder or a file inside it)."""
    if os.path.isfile(path) and not path.endswith(".bag"):
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isfile(os.path.join(folder, "metadata.yaml")):
            return folder  # the .db3 / .mcap file of a ROS 2 bag
    return path


def damage_errors():
    """What rosbags raises on damaged bytes: its readers' errors, and its parsers' asserts, struct and
    text decoding failures."""
    return (_rosbags("rosbag1", "reading ROS bags").ReaderError, _rosbags("rosbag2", "reading ROS bags").ReaderError,
            _rosbags("highlevel", "reading ROS bags").AnyReaderError, AssertionError, struct.error, UnicodeError)


def _default_typestore():
    # ROS 2 bags from Foxy and earlier carry no message definitions; standard types come from here
    typesys = _rosbags("typesys", "reading ROS bags")
    return typesys.get_typestore(getattr(typesys.Stores, "ROS2_HUMBLE", typesys.Stores.ROS2_FOXY))


class RosbagsReader(object):
    """An open bag; `topics` maps topic -> message type; `images(topic)` yields (time_ns, kind, message)."""

    library = "rosbags"

    def __init__(self, path):
        highlevel = _rosbags("highlevel", "reading ROS bags")
        import pathlib
        self.path = path
        self.location = bag_location(path)
        try:
            self.reader = highlevel.AnyReader([pathlib.Path(self.location)], default_typestore=_default_typestore())
            self.reader.open()
        except (OSError, ValueError, KeyError) + damage_errors() as exc:
            raise InputError("cannot read bag {}: {}".format(path, first_line(exc)))
        self.is_ros2 = self.reader.is2
        self.topics = dict((c.topic, c.msgtype) for c in self.reader.connections)

    @property
    def format_name(self):
        if not self.is_ros2:
            return "ROS 1 bag"
        names = os.listdir(self.location) if os.path.isdir(self.location) else [self.location]
        return "ROS 2 bag ({})".format("mcap" if any(n.endswith(".mcap") for n in names) else "sqlite3")

    def image_kind(self, topic):
        """'image' or 'compressed' for an image topic; None for any other type."""
        return IMAGE_KINDS.get(self.topics.get(topic))

    def count(self, topic):
        return sum(c.msgcount for c in self.reader.connections if c.topic == topic)

    def rate(self, topic):
        """Messages a second on `topic` over the bag's span (None when that says nothing)."""
        count, span = self.count(topic), self.reader.duration * 1e-9
        return (count - 1) / span if count > 1 and span > 0 else None

    def images(self, topic):
        """(bag time in ns, kind, message) for every message on `topic`, in time order."""
        connections = [c for c in self.reader.connections if c.topic == topic]
        kind = self.image_kind(topic)
        with reading(self.path, damage_errors()):
            for connection, timestamp, raw in self.reader.messages(connections=connections):
                yield timestamp, kind, self.reader.deserialize(raw, connection.msgtype)

    def close(self):
        if self.reader is not None:
            self.reader.close()
            self.reader = None


class RosbagsWriter(object):
    """A ROS 1 bag at `path` holding every message of `reader`'s bag, plus topics added with add_topic."""

    def __init__(self, reader, path):
        rosbag1 = _rosbags("rosbag1", "writing ROS bags")
        converter = _rosbags("convert.converter", "writing ROS bags")
        typesys = _rosbags("typesys", "writing ROS bags")
        self.path = os.path.abspath(path)
        # rosbags refuses to overwrite, so the temporary name must not exist yet; registered, so that no
        # way of ending the run (a second signal during the clean-up too) leaves it behind
        self._tmp = leftovers.register(os.path.join(os.path.dirname(self.path),
                                                    ".{}.{}.part".format(os.path.basename(self.path), os.getpid())))
        _remove(self._tmp)
        self._writer = rosbag1.Writer(self._tmp)
        with naming(self.path):
            self._writer.open()
        try:
            with naming(self.path), reading(reader.path, damage_errors()):
                self._copy(reader, converter)
        except BaseException:  # a signal during the copy of a large bag too
            self.close(success=False)
            raise
        self._types = typesys.get_typestore(typesys.Stores.ROS1_NOETIC)

    def _copy(self, reader, converter):
        source = reader.reader
        connmap, convmap = converter.create_connections_converters(source.connections, None, source, self._writer)
        for connection, timestamp, raw in source.messages():
            self._writer.write(connmap[(connection.id, connection.owner)], timestamp, convmap[connection.msgtype](raw))

    def add_topic(self, topic, kind):
        """A handle for writing `kind` ('image' or 'string') messages on `topic`."""
        return self._writer.add_connection(topic, OUTPUT_TYPES[kind], typestore=self._types), OUTPUT_TYPES[kind]

    def _header(self, meta):
        types = self._types.types
        sec, nsec = meta["stamp"]
        return types["std_msgs/msg/Header"](seq=int(meta.get("seq", 0)),
                                             stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nsec),
                                             frame_id=meta.get("frame_id", ""))

    def write_image(self, handle, time_ns, meta, fields):
        import numpy as np
        connection, msgtype = handle
        message = self._types.types[msgtype](
            header=self._header(meta), height=fields["height"], width=fields["width"], encoding=fields["encoding"],
            is_bigendian=fields["is_bigendian"], step=fields["step"], data=np.frombuffer(fields["data"], np.uint8))
        with naming(self.path):
            self._writer.write(connection, time_ns, self._types.serialize_ros1(message, msgtype))

    def write_string(self, handle, time_ns, text):
        connection, msgtype = handle
        message = self._types.types[msgtype](data=text)
        with naming(self.path):
            self._writer.write(connection, time_ns, self._types.serialize_ros1(message, msgtype))

    def close(self, success=True):
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        try:
            with naming(self.path):
                writer.close()
                if success:
                    os.replace(self._tmp, self.path)
        finally:
            leftovers.discard(self._tmp)


def _remove(path):
    if os.path.exists(path):
        os.remove(path)
