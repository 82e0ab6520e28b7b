"""Bags that fail mid-run: a ROS 1 bag damaged after its index (one line naming the bag, exit 2, no
traceback), and an output bag on a disk that fills up (one line naming the output, exit 2 like every output
that cannot be written, nothing left). With either bag library: `rosbag` (ROS 1's own, the TX2's) only in the
robot mirror (-m robot)."""

import os

import pytest
from fs_faults import full_disk, names_under  # noqa: F401 (fixture)

from bag_files import TOPIC, damage_message, sample_frames, write_rosbags_bag
from bisenet_deploy.runtime import bags
from bisenet_deploy.runtime.run import main as run_main
from cli_capture import run_cli

LIBRARIES = ["rosbags", pytest.param("rosbag", marks=pytest.mark.robot)]
FRAMES = 6


@pytest.fixture(params=LIBRARIES)
def library(request, monkeypatch):
    pytest.importorskip(request.param)
    monkeypatch.setattr(bags, "pick_library", lambda: request.param)
    return request.param


def run(model, bag, *extra):
    return run_cli(run_main, "--model", model, "--backend", "ort", "--rosbag", bag, "--topic", TOPIC, "--headless",
                   *extra)


def one_line(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.startswith("bisenet-run:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("message, output", [(6, False), (7, True)], ids=["an image, read", "a note, copied"])
def test_a_bag_damaged_mid_file_is_one_line_naming_it_and_keeps_no_output(tmp_path, tiny_onnx_labels, library,
                                                                        message, output):
    # message 6 is the 4th image: three frames are segmented first; message 7 is a /notes string, which only the
    # output bag's copy of every message reads
    bag = write_rosbags_bag(str(tmp_path / "in.bag"), "ros1", sample_frames(FRAMES), ("bgr8",))
    damaged = damage_message(bag, message, str(tmp_path / "damaged.bag"))
    out = tmp_path / "out"
    out.mkdir()
    code, _, stderr = run(tiny_onnx_labels, damaged, *(["--output", out / "seg.bag"] if output else []))
    assert code == 2, stderr
    assert "cannot read bag {}: it is damaged".format(damaged) in one_line(stderr)
    assert names_under(str(out)) == []


@pytest.mark.parametrize("frames, size", [(30, (240, 320)), (6, (120, 160))],
                         ids=["while copying the input", "while adding the results"])
def test_an_output_bag_on_a_full_disk_names_it_and_exits_2_leaving_nothing(tmp_path, tiny_onnx_labels, library,
                                                                          full_disk, frames, size):
    # 30 frames of 240x320 (7 MB) cannot be copied onto the 1 MiB disk; 6 of 120x160 (0.4 MB) can, but not
    # with the masks and overlays added for them
    bag = write_rosbags_bag(str(tmp_path / "in.bag"), "ros1", sample_frames(frames, *size), ("bgr8",))
    out = os.path.join(full_disk, "seg.bag")
    code, _, stderr = run(tiny_onnx_labels, bag, "--output", out)
    assert code == 2, stderr
    assert "cannot write {}: the disk is full".format(out) in one_line(stderr)
    assert "?" not in one_line(stderr)
    assert names_under(full_disk) == []
