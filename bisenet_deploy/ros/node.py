"""bisenet-ros: a ROS 1 node with the interface of ros_deep_learning's segnet node, running BiSeNet
through the same backends, Segmenter and overlay as bisenet-run: image_in in; class_mask, color_mask,
overlay and stats out, each stamped with the input's header."""

import argparse
import collections
import importlib
import signal
import sys
import time

from ..core import interrupts
from ..core.cli import ArgumentParser, add_common_flags, run_main
from ..core.errors import InputError
from ..core.lazy import is_installed, lazy_import
from ..runtime.backends import create_backend
from ..runtime.model_card import load_model_card
from ..runtime.overlay import OverlayRenderer
from ..runtime.run import frame_result
from ..runtime.run_stats import RunStats
from ..runtime.segmenter import Segmenter
from ..runtime.sinks.ros_topic import SegnetPublishers
from ..runtime.sources.ros_topic import LatestImageSubscriber
from .master import reaching_master
from .params import DEFAULTS, read_params

NODE_NAME = "segnet"
WAIT_SECONDS = 0.5  # how long one wait for an image lasts before shutdown is looked at again
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # what roslaunch stops a node with
Messages = collections.namedtuple("Messages", "Image CompressedImage Header String VisionInfo")

EPILOG = """ROS arguments (after the flags):
  __name:=NAME               node name (default segnet), so topics are /NAME/...
  image_in:=/camera/image    the input topic (or ~image_in:=..., or <remap from="/segnet/image_in" ...>)
  _model_path:=MODEL         private parameters, also settable in a launch file (<param name="model_path" .../>)
parameters (default):
""" + "\n".join("  ~{:<16} {!r}".format(name, value) for name, value in DEFAULTS.items()) + """
topics (in the node's private namespace):
  in   image_in (sensor_msgs/Image) or, with ~compressed, image_in/compressed (sensor_msgs/CompressedImage)
  out  class_mask (mono8; mono16 above 255 classes), color_mask (rgb8), overlay (bgr8), stats (std_msgs/String,
       JSON), vision_info (vision_msgs/VisionInfo, latched, where vision_msgs is installed)
example:
  bisenet-ros image_in:=/camera/rgb/image_raw _model_path:=model.fp16.engine _overlay_alpha:=120
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-ros", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_flags(parser)
    return parser


def load_messages():
    sensor = lazy_import("sensor_msgs.msg", "bisenet-ros")
    std = lazy_import("std_msgs.msg", "bisenet-ros")
    vision = importlib.import_module("vision_msgs.msg") if is_installed("vision_msgs") else None
    return Messages(sensor.Image, sensor.CompressedImage, std.Header, std.String,
                    getattr(vision, "VisionInfo", None))


def input_topic(rospy, compressed):
    """~image_in, or what the plain name image_in is remapped to (segnet users write image_in:=/camera/...)."""
    private = rospy.resolve_name("~image_in")
    plain = rospy.resolve_name("image_in")
    unmapped_plain = rospy.get_namespace().rstrip("/") + "/image_in"
    if private == rospy.get_name().rstrip("/") + "/image_in" and plain != unmapped_plain:
        private = plain
    return private + "/compressed" if compressed else private


def publish_class_info(rospy, messages, card, model_path):
    """~class_labels and ~class_colors parameters, and a latched VisionInfo pointing at them (as segnet)."""
    rospy.set_param("~class_labels", list(card["classes"]))
    rospy.set_param("~class_colors", [list(c) for c in card["colors"]])
    if messages.VisionInfo is None:
        rospy.loginfo("vision_msgs is not installed: no vision_info topic (the classes are in ~class_labels)")
        return None
    publisher = rospy.Publisher("~vision_info", messages.VisionInfo, queue_size=1, latch=True)
    publisher.publish(messages.VisionInfo(method="bisenet " + model_path, database_version=0,
                                          database_location=rospy.resolve_name("~class_labels")))
    return publisher


def check_precision(params, backend):
    if params.precision and params.precision != backend.precision:
        raise InputError("~precision {}: {} runs at {} on the {} backend; build an engine of that precision with "
                         "bisenet-build-engine, or leave ~precision unset".format(
                             params.precision, params.model_path, backend.precision, backend.name))


class Pacer(object):
    """At most `rate` frames a second (0: no limit): wait(started) sleeps out the rest of the frame's slot;
    images arriving meanwhile replace each other, so the next frame is the newest one."""

    def __init__(self, rate):
        self.period = 1.0 / rate if rate > 0 else 0.0

    def wait(self, started, is_shutdown):
        deadline = started + self.period
        while self.period and not is_shutdown() and time.monotonic() < deadline:
            time.sleep(max(0.0, min(0.05, deadline - time.monotonic())))


def serve(rospy, messages, params, segmenter, card):
    """The node's loop: newest image -> Segmenter -> publishers, until ROS shuts down."""
    compressed = params.compressed
    topic = input_topic(rospy, compressed)
    source = LatestImageSubscriber(rospy, topic, messages.CompressedImage if compressed else messages.Image,
                                   compressed, rospy.logwarn)
    stats = RunStats()

    def status():
        return {"network_fps": stats.network_fps(), "end_to_end_fps": stats.end_to_end_fps(),
                "dropped": source.dropped, "skipped": source.skipped}

    renderer = OverlayRenderer(card, alpha=params.overlay_alpha / 255.0, legend=False)
    sink = SegnetPublishers(rospy, messages, card, renderer.alpha, params.mask_filter, params.overlay_filter, status)
    pacer = Pacer(params.max_rate)
    rospy.loginfo("%s: listening on %s (%s), publishing %s/{class_mask,color_mask,overlay,stats}; %s",
                  rospy.get_name(), topic, "CompressedImage" if compressed else "Image", rospy.get_name(),
                  segmenter.backend.describe())
    try:
        while not rospy.is_shutdown():
            interrupts.check()  # a signal whose exception rospy's code swallowed (it has bare excepts)
            frame = source.next_frame(WAIT_SECONDS)
            if frame is None:
                continue
            started = time.monotonic()
            result = frame_result(stats.frames, frame, segmenter.segment(frame.image), renderer, None)
            stats.add(result.timings)  # first, so this frame's stats count it
            sink.write(result)
            pacer.wait(started, rospy.is_shutdown)
    finally:
        source.close()
        sink.close()
    rospy.loginfo("%s", stats.summary(dropped=source.dropped))
    return stats


def run_node(argv):
    rospy = lazy_import("rospy", "bisenet-ros")
    messages = load_messages()
    # Our handlers, not rospy's (which shut the node down and exit 0): a signal raises Interrupted like in
    # every command, exit 128+N. SIGINT and SIGTERM even when started ignoring them, as rospy takes them:
    # roslaunch stops its nodes with them, also when a script started it in the background.
    interrupts.install(take=STOP_SIGNALS)
    try:
        with reaching_master(argv):  # its first calls: a master that is not there is one line naming its URI
            rospy.init_node(NODE_NAME, argv=argv, disable_signals=True)
            params = read_params(lambda name, default: rospy.get_param("~" + name, default))
        card = load_model_card(params.model_path)
        backend = create_backend(params.backend, params.model_path, card, threads=params.threads)
        with Segmenter(backend, card, params.overlay_alpha / 255.0) as segmenter:
            check_precision(params, backend)
            publish_class_info(rospy, messages, card, params.model_path)
            serve(rospy, messages, params, segmenter, card)
    finally:
        rospy.signal_shutdown("bisenet-ros ends")  # rospy's threads stop, the node leaves the master
    return 0


def main(argv=None):
    argv = list(sys.argv if argv is None else [sys.argv[0]] + list(argv))
    # ROS's own arguments (name:=value) belong to rospy; the rest are ours
    ours = [arg for arg in argv[1:] if ":=" not in arg]
    return run_main(lambda args: run_node(argv), build_parser(), ours)


if __name__ == "__main__":
    sys.exit(main())
