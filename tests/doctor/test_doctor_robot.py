"""bisenet-doctor in the robot mirror, which has what a robot's system has: it must find it."""

import cli_capture
import pytest

from bisenet_deploy.doctor.main import main

pytestmark = pytest.mark.robot


def test_robot_mirror_has_opencv_gstreamer_rtsp_server_encoder_and_ros():
    code, stdout, stderr = cli_capture.run_cli(main, "--require", "opencv-gstreamer", "--require", "gst-python",
                                               "--require", "rtsp-server", "--require", "h264-encoder",
                                               "--require", "h264-decoder", "--require", "ros")
    assert code == 0, stderr + stdout
    assert "system build" in stdout
