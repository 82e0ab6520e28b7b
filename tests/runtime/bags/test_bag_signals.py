"""A signal while bisenet-run writes a bag (--rosbag IN --output OUT.bag), with either bag library: during
the copy of the input bag's messages (which used to leave its 50 MB .part behind) nothing is left; once
frames are being segmented, the bag is finalized with them. Either way exit 128 + N, never a .part."""

import glob
import os
import signal
import time

import numpy as np
import pytest
from bag_files import TOPIC, read_bag, write_rosbags_bag
from signal_runs import Outcome, start

pytest.importorskip("rosbags")
FRAMES = 200  # 320x240 bgr8: a 46 MB bag
FORCE_ROSBAG1 = "from bisenet_deploy.runtime import bags; bags.pick_library = lambda: 'rosbag'"
WAIT_S = 60


@pytest.fixture(scope="module")
def large_bag(tmp_path_factory):
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 256, (240, 320, 3)).astype(np.uint8) for _ in range(8)] * (FRAMES // 8)
    return write_rosbags_bag(str(tmp_path_factory.mktemp("bag") / "in.bag"), "ros1", frames, ("bgr8",))


def part_of(out):
    parts = glob.glob(os.path.join(os.path.dirname(out), "." + os.path.basename(out) + ".*.part"))
    return parts[0] if parts else None


def run_until(model, bag, out, ready, prelude):
    """bisenet-run from `bag` to `out`, SIGTERM once ready(size of the bag's .part) holds; its Outcome."""
    child = start("run", ["--model", model, "--backend", "ort", "--rosbag", bag, "--topic", TOPIC, "--headless",
                          "--output", out], prelude=prelude)
    deadline = time.monotonic() + WAIT_S
    while True:
        part = part_of(out)
        try:
            if part and ready(os.path.getsize(part)):
                break
        except OSError:  # renamed or removed meanwhile
            pass
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.001)
    os.kill(child.pid, signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=WAIT_S)
    return Outcome(child.returncode, 0.0, stdout, stderr)


def check_signal_during_the_copy_leaves_nothing(model, bag, tmp_path, prelude="pass"):
    input_size = os.path.getsize(bag)
    out = str(tmp_path / "during_copy" / "out.bag")
    os.makedirs(os.path.dirname(out))
    outcome = run_until(model, bag, out, lambda size: 0 < size < input_size // 2, prelude)
    assert outcome.code == 128 + signal.SIGTERM and "Traceback" not in outcome.stderr, outcome
    assert os.listdir(os.path.dirname(out)) == [], outcome


def check_signal_mid_run_finalizes_the_bag(model, bag, tmp_path, prelude="pass"):
    input_size = os.path.getsize(bag)
    out = str(tmp_path / "mid_run" / "out.bag")
    os.makedirs(os.path.dirname(out))
    outcome = run_until(model, bag, out, lambda size: size > input_size + 64 * 1024, prelude)  # copied, frames added
    assert outcome.code == 128 + signal.SIGTERM and "Traceback" not in outcome.stderr, outcome
    assert os.listdir(os.path.dirname(out)) == ["out.bag"], outcome
    topics = [topic for topic, _, _ in read_bag(out)]
    assert topics.count(TOPIC) == FRAMES and 0 < topics.count(TOPIC + "/class_mask") < FRAMES


def test_a_signal_during_the_copy_of_the_input_bag_leaves_nothing(tiny_onnx_labels, large_bag, tmp_path):
    check_signal_during_the_copy_leaves_nothing(tiny_onnx_labels, large_bag, tmp_path)


def test_a_signal_once_frames_are_segmented_finalizes_the_bag(tiny_onnx_labels, large_bag, tmp_path):
    check_signal_mid_run_finalizes_the_bag(tiny_onnx_labels, large_bag, tmp_path)


@pytest.mark.robot
def test_with_ros1s_rosbag_module_a_signal_leaves_no_part_file(tiny_onnx_labels, large_bag, tmp_path):
    check_signal_during_the_copy_leaves_nothing(tiny_onnx_labels, large_bag, tmp_path, FORCE_ROSBAG1)
    check_signal_mid_run_finalizes_the_bag(tiny_onnx_labels, large_bag, tmp_path, FORCE_ROSBAG1)
