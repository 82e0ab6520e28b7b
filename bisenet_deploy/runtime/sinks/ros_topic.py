"""Results onto ROS 1 topics with ros_deep_learning's segnet names and types: class_mask (mono8,
mono16 above 255 classes), color_mask (rgb8), overlay (bgr8), each with the input image's header,
plus stats (std_msgs/String, JSON). Like segnet, an image is rendered only when someone subscribes."""

from ..mask_filters import filtered_mask
from ..overlay import blend
from ..postprocess import label_dtype
from ..ros_image import image_fields, label_encoding
from ..seg_stats import stats_json, stats_record
from .base import Sink

PUBLISHER_QUEUE = 2  # as segnet


class SegnetPublishers(Sink):
    """`write(result)` publishes one frame; `result.meta["header"]` is the input's std_msgs/Header.

    `status()` returns the run-wide numbers for the stats topic: network_fps, end_to_end_fps,
    dropped, skipped. `grid_hw` is the network's input size, the grid the linear filter scales from.
    """

    def __init__(self, rospy, messages, card, alpha, mask_filter, overlay_filter, status, namespace="~"):
        self._rospy = rospy
        self._messages = messages
        self.names = list(card["classes"])
        self.colors = list(card["colors"])
        self.num_classes = card["num_classes"]
        self.grid_hw = tuple(card["input_size"])
        self.alpha = alpha
        self.mask_filter = mask_filter
        self.overlay_filter = overlay_filter
        self._status = status

        def advertise(name, message_class):
            return rospy.Publisher(namespace + name, message_class, queue_size=PUBLISHER_QUEUE)

        self.publishers = {"class_mask": advertise("class_mask", messages.Image),
                           "color_mask": advertise("color_mask", messages.Image),
                           "overlay": advertise("overlay", messages.Image),
                           "stats": advertise("stats", messages.String)}

    def wanted(self, name):
        return self.publishers[name].get_num_connections() > 0

    def _image(self, header, array, encoding):
        message = self._messages.Image(**image_fields(array, encoding))
        # a header per message: publishing writes its own sequence number into it
        message.header = self._messages.Header(seq=header.seq, stamp=header.stamp, frame_id=header.frame_id)
        return message

    def _overlay(self, result):
        if self.overlay_filter == "point":
            return result.blended  # the GPU's blend when the backend made one
        return blend(result.frame, filtered_mask(result.labels, self.colors, "linear", self.grid_hw), self.alpha)

    def write(self, result):
        header = result.meta["header"]
        labels = result.labels
        if self.wanted("class_mask"):
            labels = labels.astype(label_dtype(self.num_classes), copy=False)
            self.publishers["class_mask"].publish(self._image(header, labels, label_encoding(self.num_classes)))
        if self.wanted("color_mask"):
            mask = filtered_mask(result.labels, self.colors, self.mask_filter, self.grid_hw)
            self.publishers["color_mask"].publish(self._image(header, mask[:, :, ::-1], "rgb8"))
        if self.wanted("overlay"):
            self.publishers["overlay"].publish(self._image(header, self._overlay(result), "bgr8"))
        if self.wanted("stats"):
            status = self._status()
            latency = self._rospy.get_time() - result.stamp
            record = stats_record(result.labels, self.names, result.timings, result.meta["stamp"], result.index,
                                  status["network_fps"], status["end_to_end_fps"], latency, status["dropped"],
                                  status["skipped"])
            record["frame_id"] = result.meta.get("frame_id", "")
            self.publishers["stats"].publish(self._messages.String(data=stats_json(record)))

    def close(self, success=True):
        for publisher in self.publishers.values():
            publisher.unregister()
