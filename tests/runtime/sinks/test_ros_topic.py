"""SegnetPublishers renders only what someone subscribes to; the ROS side here is a stub publisher
(the real topics are tested against a real roscore in tests/ros/test_node_robot.py)."""

import types

import numpy as np

from bisenet_deploy.runtime.overlay import OverlayRenderer
from bisenet_deploy.runtime.result import FrameResult
from bisenet_deploy.runtime.sinks.ros_topic import SegnetPublishers

CARD = {"classes": ["a", "b"], "colors": [[255, 0, 0], [0, 255, 0]], "num_classes": 2, "input_size": [4, 6]}


class StubPublisher(object):
    def __init__(self, name, message_class, queue_size):
        self.name, self.sent, self.subscribers = name, [], 0

    def get_num_connections(self):
        return self.subscribers

    def publish(self, message):
        self.sent.append(message)

    def unregister(self):
        pass


def Message(**fields):
    return types.SimpleNamespace(**fields)


def stub_rospy():
    return types.SimpleNamespace(Publisher=StubPublisher, get_time=lambda: 11.0)


class CountingResult(FrameResult):
    """A FrameResult that counts how often the blended overlay is made."""
    overlays_made = 0

    @property
    def blended(self):
        CountingResult.overlays_made += 1
        return super(CountingResult, self).blended


def result(index, labels, meta):
    renderer = OverlayRenderer(CARD, alpha=0.5, legend=False)
    return CountingResult(index, np.zeros((4, 6, 3), np.uint8), labels, meta=meta, stamp=10.0, renderer=renderer)


def test_stub_publishers_render_only_subscribed_outputs():
    messages = types.SimpleNamespace(Image=Message, Header=Message, String=Message)
    status = {"network_fps": 1.0, "end_to_end_fps": 1.0, "dropped": 0, "skipped": 0}
    sink = SegnetPublishers(stub_rospy(), messages, CARD, 0.5, "point", "point", lambda: status)
    header = Message(seq=1, stamp=Message(secs=10, nsecs=0), frame_id="f")
    labels = np.array([[0, 1, 1, 0, 0, 1]] * 4, np.uint8)
    meta = {"header": header, "stamp": [10, 0], "frame_id": "f"}
    sink.publishers["class_mask"].subscribers = 1
    sink.write(result(0, labels, meta))
    assert [len(p.sent) for p in (sink.publishers[n] for n in ("class_mask", "color_mask", "overlay", "stats"))] == [
        1, 0, 0, 0]
    assert CountingResult.overlays_made == 0
    sent = sink.publishers["class_mask"].sent[0]
    assert sent.encoding == "mono8" and sent.header.frame_id == "f" and sent.header is not header
    sink.publishers["overlay"].subscribers = 1
    sink.write(result(1, labels, meta))
    assert CountingResult.overlays_made == 1 and len(sink.publishers["overlay"].sent) == 1
