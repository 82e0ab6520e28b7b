"""bisenet-ros where ROS is not installed (the workstation environment): help works, running says what is missing."""

import pytest

from bisenet_deploy.core.lazy import is_installed
from bisenet_deploy.ros.node import main
from cli_capture import run_cli


def test_help_needs_no_ros():
    code, stdout, _ = run_cli(main, "--help")
    assert code == 0 and "image_in:=" in stdout and "~overlay_alpha" in stdout


@pytest.mark.skipif(is_installed("rospy"), reason="rospy is installed here (the robot mirror)")
def test_without_rospy_one_line_says_where_it_comes_from():
    code, _, stderr = run_cli(main, "_model_path:=model.onnx")
    assert code == 2
    assert "bisenet-ros needs the Python package 'rospy'" in stderr and "comes with ROS 1" in stderr
    assert len(stderr.strip().splitlines()) == 1
