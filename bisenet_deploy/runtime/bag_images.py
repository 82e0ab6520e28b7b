"""Calibration images from a ROS bag topic (the robot's own camera: the best calibration set there is),
with the calibration ImageSource's interface (location, keys, sequential, name, label, read, describe):
keys are message indices, read forwards like a video."""

import os

from .bag_source import bag_images, check_image_topic, open_bag


class BagImages(object):
    """Every `step`-th image message of `topic`; keys are message indices on the topic."""

    sequential = True

    def __init__(self, path, topic, count, step, library=None):
        self.location = "{} {}".format(path, topic)
        self.keys = list(range(0, count, step))
        self.path, self.topic, self.step, self.count, self.library = path, topic, step, count, library
        stem = os.path.basename(os.path.normpath(path))
        self._prefix = "{}_{}".format(os.path.splitext(stem)[0], topic.strip("/").replace("/", "_"))

    def name(self, key):
        return "{}_{:06d}".format(self._prefix, key)

    def label(self, key):
        return "message {} on {} in {}".format(key, self.topic, self.path)

    def read(self, keys):
        """Frames of the given ascending message indices (None where a message does not convert)."""
        wanted = iter(keys)
        key = next(wanted, None)
        if key is None:
            return
        reader = open_bag(self.path, self.library)
        try:
            for index, _, frame, _ in bag_images(reader, self.topic):
                while key is not None and key < index:  # asked for past the end of what is there
                    key = next(wanted, None)
                if key is None:
                    return
                if index == key:
                    yield key, frame
                    key = next(wanted, None)
        finally:
            reader.close()

    def describe(self):
        every = "every image" if self.step == 1 else "one image in {}".format(self.step)
        return "{} images of topic {} in bag {}, {} of {}".format(len(self.keys), self.topic, self.path, every,
                                                                 self.count)


def open_bag_images(path, topic, frame_step=1, library=None):
    # type: (str, str, int, str) -> BagImages
    reader = open_bag(path, library)
    try:
        check_image_topic(reader, topic)
        count = reader.count(topic)
    finally:
        reader.close()
    return BagImages(path, topic, count, int(frame_step), library)
