"""--rosbag BAG --topic T: every image of one topic of a recorded bag (ROS 1 .bag; ROS 2 folder,
sqlite3 or mcap), in time order, never dropped; each Frame carries the image's header as its stamp and
meta (stamp, frame_id, seq, bag time), which the bag sink writes its results back with."""

import logging

from ...core.errors import InputError
from ..bags import bag_images, check_image_topic, open_bag
from .base import Frame, FrameSource, SourceType

log = logging.getLogger(__name__)


class BagSource(FrameSource):
    """Every image of one topic of a bag, as Frames named `<topic>_<index>`."""

    def __init__(self, reader, topic):
        # the recording's rate, so a video written from it plays at the speed it was recorded
        super(BagSource, self).__init__(live=False, fps=reader.rate(topic), frame_count=reader.count(topic))
        self.reader = reader
        self.topic = topic
        self.skipped = 0
        self._items = bag_images(reader, topic)
        self._prefix = topic.strip("/").replace("/", "_") + "_"
        self._warned = set()

    def _read_next(self):
        if self._items is None:
            return None
        for index, meta, image, reason in self._items:
            if image is not None:
                sec, nsec = meta["stamp"]
                return Frame(image, "{}{:06d}".format(self._prefix, index), sec + nsec * 1e-9, meta)
            self.skipped += 1
            if reason not in self._warned:  # one line per kind of problem, not one per message
                self._warned.add(reason)
                log.warning("skipping images on %s: %s", self.topic, reason)
        return None

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


def open_bag_source(path, options, library=None):
    """The BagSource of `options["topic"]` in the bag at `path`."""
    topic = options["topic"]
    reader = open_bag(path, library)
    try:
        check_image_topic(reader, topic)
    except InputError:
        reader.close()
        raise
    return BagSource(reader, topic).probe("none of the {} messages on {} in {} could be converted to an image".format(
        reader.count(topic), topic, path))


SOURCE = SourceType(
    "rosbag", "--rosbag", open_bag_source, form="--rosbag BAG --topic T",
    argparse={"metavar": "BAG", "help": "ROS 1 .bag, or ROS 2 bag folder (sqlite3 or mcap); with --topic"},
    settings={"--topic": {"help": "the bag's sensor_msgs/Image or CompressedImage topic (with --rosbag)"}},
    example="  --rosbag BAG        images of a ROS 1/2 bag, every one    --rosbag run.bag --topic /camera/rgb/image_raw")
