"""ROS 1 bags written by ROS's own rosbag module (what `rosbag record` writes) through bisenet-run --rosbag,
read with rosbags and with the rosbag-module fallback that the TX2's Python 3.6 uses; the output bag read
back with rosbag. Runs in the robot mirror (Debian's rosbag, sensor_msgs, std_msgs)."""

import json

import numpy as np
import pytest

from bag_files import ENCODINGS, FRAME_ID, TOPIC, bag_time_ns, decoded_reference, ros_encode, sample_frames, stamp_of
from bisenet_deploy.runtime import bags
from bisenet_deploy.runtime.backends import create_backend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.run import main as run_main
from bisenet_deploy.runtime.segmenter import Segmenter
from cli_capture import run_cli

pytestmark = pytest.mark.robot
FRAMES = 6


def write_rosbag_bag(path, frames):
    import genpy
    import rosbag
    from sensor_msgs.msg import Image
    from std_msgs.msg import String
    with rosbag.Bag(path, "w") as bag:
        for index, frame in enumerate(frames):
            encoding = ENCODINGS[index % len(ENCODINGS)]
            data, step = ros_encode(frame, encoding)
            message = Image(height=frame.shape[0], width=frame.shape[1], encoding=encoding, step=step, data=data)
            message.header.seq = index
            message.header.stamp = genpy.Time(*stamp_of(index))
            message.header.frame_id = FRAME_ID
            bag.write(TOPIC, message, genpy.Time(0, bag_time_ns(index)))
            bag.write("/notes", String(data="note {}".format(index)), genpy.Time(0, bag_time_ns(index) + 1000))
    return path


def read_rosbag_bag(path):
    import rosbag
    topics = {}
    with rosbag.Bag(path) as bag:
        for topic, message, stamp in bag.read_messages():
            topics.setdefault(topic, []).append((stamp.to_nsec(), message))
    return topics


@pytest.mark.parametrize("library", ["rosbags", "rosbag"])
def test_rosbag_recording_round_trips_with_either_library(tmp_path, tiny_onnx_labels, monkeypatch, library):
    frames = sample_frames(FRAMES, seed=2)
    bag = write_rosbag_bag(str(tmp_path / "recorded.bag"), frames)
    monkeypatch.setattr(bags, "pick_library", lambda: library)  # as on a Python without rosbags
    out = str(tmp_path / "out.bag")
    code, stdout, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", bag, "--topic", TOPIC,
                                   "--headless", "--output", out)
    assert code == 0, stderr
    assert "with {}".format(library) in stdout
    topics = read_rosbag_bag(out)
    assert [m.data for _, m in topics["/notes"]] == ["note {}".format(i) for i in range(FRAMES)]
    card = load_model_card(tiny_onnx_labels)
    with Segmenter(create_backend("ort", tiny_onnx_labels, card), card) as segmenter:
        expected = [segmenter.segment(decoded_reference(f, ENCODINGS[i % len(ENCODINGS)])).labels.copy()
                    for i, f in enumerate(frames)]
    masks = topics[TOPIC + "/class_mask"]
    assert [t for t, _ in masks] == [bag_time_ns(i) for i in range(FRAMES)]
    for index, (_, message) in enumerate(masks):
        assert (message.header.stamp.secs, message.header.stamp.nsecs) == stamp_of(index)
        assert (message.header.frame_id, message.header.seq, message.encoding) == (FRAME_ID, index, "mono8")
        labels = np.frombuffer(message.data, np.uint8).reshape(message.height, message.width)
        np.testing.assert_array_equal(labels, expected[index])
    for name in ("color_mask", "overlay", "stats"):
        assert len(topics[TOPIC + "/" + name]) == FRAMES
    assert json.loads(topics[TOPIC + "/stats"][-1][1].data)["frame"] == FRAMES - 1


def test_ros2_bag_without_rosbags_is_refused_in_one_line(tmp_path, tiny_onnx_labels, monkeypatch):
    folder = tmp_path / "ros2_bag"
    folder.mkdir()
    (folder / "metadata.yaml").write_text("rosbag2_bagfile_information: {}\n")
    monkeypatch.setattr(bags, "pick_library", lambda: "rosbag")
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", folder, "--topic", TOPIC,
                              "--headless")
    assert code == 2 and "ROS 2 bags need the rosbags library" in stderr
