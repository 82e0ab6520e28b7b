"""Calibration images from a ROS bag topic (the robot's own camera: the best calibration set there is),
listed like a video's frames (runtime.sources.video.VideoFrames): keys are message indices, listed before
anything is decoded, read forwards only."""

import os

from . import bag_images, check_image_topic, open_bag


class BagImages(object):
    """Every `step`-th image message of `topic` in the bag at `path`."""

    sequential = True

    def __init__(self, path, topic, count, step=1, keys=None, library=None):
        self.path, self.topic, self.count, self.step, self.library = path, topic, count, step, library
        self.location = "{} {}".format(path, topic)
        self.keys = list(range(0, count, step)) if keys is None else list(keys)
        stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
        self._prefix = "{}_{}".format(stem, topic.strip("/").replace("/", "_"))

    def subset(self, keys):
        return BagImages(self.path, self.topic, self.count, self.step, sorted(keys), self.library)

    def name(self, key):
        return "{}_{:06d}".format(self._prefix, key)

    def item_text(self, key):
        return "message {} on {} in {}".format(key, self.topic, self.path)

    def read_keys(self):
        """(key, BGR frame or None where a message does not convert) at the ascending keys."""
        wanted = iter(self.keys)
        key = next(wanted, None)
        if key is None:
            return
        reader = open_bag(self.path, self.library)
        try:
            for index, _, frame, _ in bag_images(reader, self.topic):
                if index == key:
                    yield key, frame
                    key = next(wanted, None)
                    if key is None:
                        return
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
    return BagImages(path, topic, count, int(frame_step), library=library)
