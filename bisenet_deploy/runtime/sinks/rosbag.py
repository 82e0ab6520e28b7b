"""--output OUT.bag (with --rosbag): a ROS 1 bag with every message of the input bag plus, for each
segmented image of the topic T, T/class_mask (mono8, mono16 above 255 classes), T/color_mask (rgb8),
T/overlay (bgr8: the frame blended with the class colours, without legend or status line) and T/stats
(std_msgs/String, JSON), each with the image's header and at the image's bag time.

Written under a temporary name and renamed by close(success=True), so a failed run leaves no bag.
"""

import os

from ...core.errors import InputError
from ..bags import open_bag
from ..postprocess import label_dtype
from ..ros_image import image_fields, label_encoding
from ..seg_stats import stats_json, stats_record
from ..sources.rosbag import BagSource
from .base import Sink

BAG_SUFFIX = ".bag"
OUTPUT_TOPICS = (("class_mask", "image"), ("color_mask", "image"), ("overlay", "image"), ("stats", "string"))


def _writer_for(library, reader, path):
    if library == "rosbags":
        from ..bags.with_rosbags import RosbagsWriter
        return RosbagsWriter(reader, path)
    from ..bags.with_rosbag1 import Rosbag1Writer
    return Rosbag1Writer(reader, path)


class RosbagSink(Sink):
    """`write(result)` adds one frame's outputs; `close(success)` finalizes the bag."""

    forms = ("OUT.bag (with --rosbag)",)

    @classmethod
    def accepts(cls, spec):
        return spec.lower().endswith(BAG_SUFFIX)

    @classmethod
    def from_spec(cls, spec, stream):
        return cls(spec, stream.source, stream.classes)

    def __init__(self, path, source, classes):
        if not isinstance(source, BagSource):
            raise InputError("--output {} writes the input bag's messages with the results, so it needs a "
                             "--rosbag source; for other sources use FILE.mp4 or DIR/".format(path))
        if os.path.abspath(path) == os.path.abspath(source.reader.path):
            raise InputError("--output {} would overwrite the input bag".format(path))
        self.path = path
        self.topic = source.topic
        self.names = list(classes)
        self.num_classes = len(self.names)
        self.frames_written = 0
        library = source.reader.library
        # a reader of its own: the source's reader is busy on the capture thread
        copy_from = open_bag(source.reader.path, library)
        try:
            self._writer = _writer_for(library, copy_from, path)
        finally:
            copy_from.close()
        self._handles = dict((name, self._writer.add_topic(self.topic.rstrip("/") + "/" + name, kind))
                             for name, kind in OUTPUT_TOPICS)

    def write(self, result):
        meta = result.meta
        if "bag_time_ns" not in meta:
            raise ValueError("frame {} carries no bag time; RosbagSink takes frames of a BagSource".format(
                result.index))
        time_ns = meta["bag_time_ns"]
        labels = result.labels.astype(label_dtype(self.num_classes), copy=False)
        self._writer.write_image(self._handles["class_mask"], time_ns, meta,
                                 image_fields(labels, label_encoding(self.num_classes)))
        self._writer.write_image(self._handles["color_mask"], time_ns, meta,
                                 image_fields(result.color_mask[:, :, ::-1], "rgb8"))
        self._writer.write_image(self._handles["overlay"], time_ns, meta, image_fields(result.blended, "bgr8"))
        record = stats_record(labels, self.names, result.timings, meta["stamp"], result.index)
        self._writer.write_string(self._handles["stats"], time_ns, stats_json(record))
        self.frames_written += 1

    def close(self, success=True):
        self._writer.close(success=success and self.frames_written > 0)
