"""bisenet-ros against a real ROS master: roscore on loopback (a free port, a temporary ROS_HOME), the node
as a subprocess (the installed console script), a real rospy publisher and subscribers in this process.
Checked against the runtime's own output for the same frames: count, stamps, frame_ids, sizes, encodings,
labels, colours, stats; and that a slow node drops stale frames instead of queueing them."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest

from bag_files import ENCODINGS, decoded_reference, ros_encode, sample_frames
from bisenet_deploy.runtime.backends import create_backend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.overlay import blend, colorize
from bisenet_deploy.runtime.segmenter import Segmenter

pytestmark = pytest.mark.robot
START_TIMEOUT = 30.0  # roscore, or a node importing onnxruntime and loading its model
REPLY_TIMEOUT = 15.0  # one frame through the node
IN_TOPIC = "/test/camera/image_raw"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after {:.0f} s waiting for {}".format(timeout, what))


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="module")
def rospy_on_master(tmp_path_factory):
    """rospy initialised (as /bisenet_test) against a fresh roscore on 127.0.0.1; the env for child nodes."""
    home = tmp_path_factory.mktemp("ros_home")
    port = _free_port()
    env = dict(os.environ, ROS_MASTER_URI="http://127.0.0.1:{}".format(port), ROS_IP="127.0.0.1",
               ROS_HOME=str(home), ROS_LOG_DIR=str(home / "log"))
    env.pop("ROS_HOSTNAME", None)
    log = open(str(home / "roscore.log"), "w")
    core = subprocess.Popen(["roscore", "-p", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    os.environ.update((k, env[k]) for k in ("ROS_MASTER_URI", "ROS_IP", "ROS_HOME", "ROS_LOG_DIR"))
    os.environ.pop("ROS_HOSTNAME", None)
    try:
        import rosgraph
        _wait_for(lambda: rosgraph.is_master_online(env["ROS_MASTER_URI"]), START_TIMEOUT, "roscore")
        import rospy
        rospy.init_node("bisenet_test", disable_signals=True)
        yield rospy, env
        rospy.signal_shutdown("tests done")
    finally:
        _stop(core)
        log.close()


class Node(object):
    """bisenet-ros as a subprocess; `log()` is what it printed."""

    def __init__(self, env, log_path, *ros_args):
        script = os.path.join(os.path.dirname(sys.executable), "bisenet-ros")
        command = [script] if os.path.exists(script) else [sys.executable, "-m", "bisenet_deploy.ros.node"]
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(command + list(ros_args), env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def log(self):
        with open(self.log_path) as handle:
            return handle.read()

    def stop(self):
        _stop(self.process)
        self._log.close()


class Listener(object):
    """Subscribers to a node's outputs, collecting every message with a lock."""

    def __init__(self, rospy, node_name, names=("class_mask", "color_mask", "overlay", "stats")):
        from sensor_msgs.msg import Image
        from std_msgs.msg import String
        self.lock = threading.Lock()
        self.got = dict((name, []) for name in names)
        self.subscribers = [rospy.Subscriber("/{}/{}".format(node_name, name), String if name == "stats" else Image,
                                             self._keep, callback_args=name, queue_size=100) for name in names]

    def _keep(self, message, name):
        with self.lock:
            self.got[name].append(message)

    def count(self, name):
        with self.lock:
            return len(self.got[name])

    def connected(self):
        return all(s.get_num_connections() > 0 for s in self.subscribers)

    def close(self):
        for subscriber in self.subscribers:
            subscriber.unregister()


def image_message(rospy, frame, encoding, index, frame_id):
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    data, step = ros_encode(frame, encoding)
    return Image(header=Header(stamp=rospy.Time(1700000000 + index, 1000 + index), frame_id=frame_id),
                 height=frame.shape[0], width=frame.shape[1], encoding=encoding, is_bigendian=0, step=step, data=data)


def runtime_labels(model, frames):
    card = load_model_card(model)
    with Segmenter(create_backend("ort", model, card), card) as segmenter:
        return [segmenter.segment(frame).labels.copy() for frame in frames], card


def pixels(message, channels):
    data = np.frombuffer(message.data, np.uint8).reshape(message.height, message.step)
    shape = (message.height, message.width) + ((channels,) if channels > 1 else ())
    return data[:, :message.width * channels].reshape(shape)


@pytest.fixture
def start_node(rospy_on_master, tmp_path):
    rospy, env = rospy_on_master
    started = []

    def start(*ros_args, extra_env=None):
        node = Node(dict(env, **(extra_env or {})), str(tmp_path / "node{}.log".format(len(started))), *ros_args)
        started.append(node)
        return node

    yield rospy, start
    for node in started:
        node.stop()


def _connect(rospy, node, publisher, listener):
    def ready():
        assert node.process.poll() is None, "bisenet-ros exited:\n" + node.log()
        return publisher.get_num_connections() > 0 and listener.connected()
    _wait_for(ready, START_TIMEOUT, "bisenet-ros to subscribe and advertise")


def test_node_outputs_match_the_runtime_for_every_encoding(start_node, tiny_onnx_labels):
    from sensor_msgs.msg import Image
    rospy, start = start_node
    node = start("image_in:=" + IN_TOPIC, "_model_path:=" + tiny_onnx_labels, "_overlay_alpha:=128",
                 "_mask_filter:=point", "_overlay_filter:=point")
    publisher = rospy.Publisher(IN_TOPIC, Image, queue_size=10)
    listener = Listener(rospy, "segnet")
    _connect(rospy, node, publisher, listener)
    frames = sample_frames(len(ENCODINGS) + 1, seed=5)
    encodings = list(ENCODINGS) + ["rgb8"]
    sent = []
    for index, (frame, encoding) in enumerate(zip(frames, encodings)):
        if index == 2:  # not an image the node can read: one log line, no crash, no output
            bad = image_message(rospy, frame, "bgr8", 99, "bad")
            bad.encoding, bad.step, bad.data = "32FC1", frame.shape[1] * 4, bytes(frame.shape[0] * frame.shape[1] * 4)
            publisher.publish(bad)
            _wait_for(lambda: "32FC1" in node.log(), REPLY_TIMEOUT, "the node to refuse 32FC1")
            for _ in range(2):  # the same again, with time for the node to read each: no second log line
                publisher.publish(bad)
                time.sleep(0.5)
        publisher.publish(image_message(rospy, frame, encoding, index, "cam_{}".format(index)))
        sent.append(decoded_reference(frame, encoding))
        # one at a time, so this test sees every frame (dropping is the next test's subject)
        _wait_for(lambda: all(listener.count(n) > index for n in listener.got), REPLY_TIMEOUT, "frame {}".format(index))
    time.sleep(0.5)
    listener.close()
    expected, card = runtime_labels(tiny_onnx_labels, sent)
    got = listener.got
    assert [len(got[name]) for name in ("class_mask", "color_mask", "overlay", "stats")] == [len(frames)] * 4
    for index, labels in enumerate(expected):
        colours = colorize(labels, card["colors"])
        for name, encoding, channels, want in (("class_mask", "mono8", 1, labels),
                                               ("color_mask", "rgb8", 3, colours[:, :, ::-1]),
                                               ("overlay", "bgr8", 3, blend(sent[index], colours, 128 / 255.0))):
            message = got[name][index]
            assert (message.header.stamp.secs, message.header.stamp.nsecs) == (1700000000 + index, 1000 + index)
            assert message.header.frame_id == "cam_{}".format(index)
            assert (message.encoding, message.height, message.width) == (encoding, 48, 64)
            np.testing.assert_array_equal(pixels(message, channels), want, err_msg="{} {}".format(name, index))
        stats = json.loads(got["stats"][index].data)
        counts = np.bincount(labels.ravel(), minlength=card["num_classes"])
        assert stats["class_fractions"] == pytest.approx(
            dict((card["classes"][c], counts[c] / labels.size) for c in np.flatnonzero(counts)), abs=1e-6)
        assert stats["frame_id"] == "cam_{}".format(index)
    last = json.loads(got["stats"][-1].data)
    assert last["frames_skipped"] >= 2 and last["frames_skipped"] + last["frames_dropped"] == 3
    assert rospy.get_param("/segnet/class_labels") == card["classes"]
    assert rospy.get_param("/segnet/class_colors") == card["colors"]
    assert len([line for line in node.log().splitlines() if "32FC1" in line]) == 1, node.log()


# vision_msgs/VisionInfo as ROS 1 defines it; Debian has no vision_msgs, so the tests generate the
# message classes from this definition (genpy, as catkin would) instead of installing the package
VISION_INFO = """Header header
string method
int32 database_version
string database_location
================================================================================
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id
"""
VISION_MSGS_INIT = """import genpy.dynamic
VisionInfo = genpy.dynamic.generate_dynamic("vision_msgs/VisionInfo", {!r})["vision_msgs/VisionInfo"]
""".format(VISION_INFO)


def vision_msgs_generated_from_its_definition(folder):
    """A folder to put on PYTHONPATH that holds vision_msgs.msg.VisionInfo."""
    package = folder / "vision_msgs"
    (package / "msg").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "msg" / "__init__.py").write_text(VISION_MSGS_INIT)
    return str(folder)


def test_renamed_node_on_compressed_images_with_vision_info(start_node, tiny_onnx_labels, tmp_path):
    import genpy.dynamic
    from sensor_msgs.msg import CompressedImage
    from std_msgs.msg import Header
    rospy, start = start_node
    generated = vision_msgs_generated_from_its_definition(tmp_path / "generated")
    node = start("__name:=segnet_png", "image_in:=" + IN_TOPIC, "_model_path:=" + tiny_onnx_labels,
                 "_compressed:=true", extra_env={"PYTHONPATH": generated})
    infos = []
    vision_info = genpy.dynamic.generate_dynamic("vision_msgs/VisionInfo", VISION_INFO)["vision_msgs/VisionInfo"]
    info_subscriber = rospy.Subscriber("/segnet_png/vision_info", vision_info, infos.append)
    publisher = rospy.Publisher(IN_TOPIC + "/compressed", CompressedImage, queue_size=10)
    listener = Listener(rospy, "segnet_png", names=("class_mask",))
    _connect(rospy, node, publisher, listener)
    frames = sample_frames(3, seed=9)
    for index, frame in enumerate(frames):
        png = cv2.imencode(".png", frame)[1].tobytes()  # lossless, so the expected frame is exact
        publisher.publish(CompressedImage(header=Header(stamp=rospy.Time(5, index), frame_id="png"), format="png",
                                          data=png))
        _wait_for(lambda: listener.count("class_mask") > index, REPLY_TIMEOUT, "frame {}".format(index))
    listener.close()
    expected, _ = runtime_labels(tiny_onnx_labels, frames)
    for index, message in enumerate(listener.got["class_mask"]):
        assert (message.header.stamp.nsecs, message.header.frame_id) == (index, "png")
        np.testing.assert_array_equal(pixels(message, 1), expected[index])
    _wait_for(lambda: infos, REPLY_TIMEOUT, "the latched VisionInfo")
    info_subscriber.unregister()
    assert infos[0].database_location == "/segnet_png/class_labels"
    assert infos[0].method.endswith(tiny_onnx_labels)


def test_slow_node_drops_stale_frames_and_takes_the_newest(start_node, tiny_onnx_labels):
    from sensor_msgs.msg import Image
    rospy, start = start_node
    sent = 20
    node = start("image_in:=" + IN_TOPIC, "_model_path:=" + tiny_onnx_labels, "_max_rate:=2")
    publisher = rospy.Publisher(IN_TOPIC, Image, queue_size=sent)
    listener = Listener(rospy, "segnet", names=("class_mask", "stats"))
    _connect(rospy, node, publisher, listener)
    frame = sample_frames(1)[0]
    for index in range(sent):  # ten times faster than the node may go
        publisher.publish(image_message(rospy, frame, "bgr8", index, "cam"))
        time.sleep(0.05)

    def newest_arrived():
        with listener.lock:
            return any(m.header.stamp.secs == 1700000000 + sent - 1 for m in listener.got["class_mask"])
    _wait_for(newest_arrived, REPLY_TIMEOUT, "the newest frame")
    time.sleep(1.0)  # anything still queued somewhere would show up now
    listener.close()
    indices = [m.header.stamp.secs - 1700000000 for m in listener.got["class_mask"]]
    assert indices == sorted(set(indices)) and indices[-1] == sent - 1  # in order, ending with the newest
    assert len(indices) < sent
    stats = json.loads(listener.got["stats"][-1].data)
    assert stats["frames_dropped"] >= 1 and stats["frames_dropped"] + len(indices) <= sent
    assert node.process.poll() is None


def test_launch_file_starts_the_node_with_its_arguments(rospy_on_master, tmp_path, tiny_onnx_labels):
    from sensor_msgs.msg import Image
    rospy, env = rospy_on_master
    package_path = os.path.join(os.path.dirname(__file__), "..", "..", "ros")
    env = dict(env, ROS_PACKAGE_PATH=os.path.abspath(package_path), BISENET_PYTHON=sys.executable)
    log_path = str(tmp_path / "roslaunch.log")
    with open(log_path, "w") as log:
        launch = subprocess.Popen(["roslaunch", "bisenet_ros", "segnet.launch", "name:=segnet_launched",
                                   "model_path:=" + tiny_onnx_labels, "input:=" + IN_TOPIC + "_launch",
                                   "mask_filter:=point"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        publisher = rospy.Publisher(IN_TOPIC + "_launch", Image, queue_size=1)
        listener = Listener(rospy, "segnet_launched", names=("class_mask",))

        def ready():
            assert launch.poll() is None, open(log_path).read()
            return publisher.get_num_connections() > 0 and listener.connected()
        _wait_for(ready, START_TIMEOUT, "the launched node")
        frame = sample_frames(1, seed=4)[0]
        publisher.publish(image_message(rospy, frame, "bgr8", 7, "launched"))
        _wait_for(lambda: listener.count("class_mask") > 0, REPLY_TIMEOUT, "a class mask")
        listener.close()
        message = listener.got["class_mask"][0]
        expected, _ = runtime_labels(tiny_onnx_labels, [frame])
        assert message.header.frame_id == "launched"
        np.testing.assert_array_equal(pixels(message, 1), expected[0])
        assert rospy.get_param("/segnet_launched/mask_filter") == "point"
    finally:
        _stop(launch)
