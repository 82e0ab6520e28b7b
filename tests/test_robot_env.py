"""The robot mirror (.venv-robot) is what a robot's system gives: OpenCV with GStreamer, rospy, GStreamer
through python3-gi. Runs only with -m robot (tests/conftest.py skips robot tests otherwise)."""

import pytest
from frame_codes import read_frames

pytestmark = pytest.mark.robot


def test_opencv_is_the_system_build_with_gstreamer():
    import cv2
    assert "/usr/lib/python3/dist-packages" in cv2.__file__, cv2.__file__
    build = cv2.getBuildInformation()
    assert any(line.split(":")[0].strip() == "GStreamer" and "YES" in line for line in build.splitlines())


def test_videotestsrc_pipeline_delivers_frames_through_opencv():
    import cv2
    capture = cv2.VideoCapture("videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48 ! videoconvert ! "
                               "video/x-raw,format=BGR ! appsink", cv2.CAP_GSTREAMER)
    frames = read_frames(capture)
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3)


def test_rospy_and_gstreamer_bindings_import():
    import rospy
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import Gst, GstRtspServer  # noqa: F401
    assert Gst.init_check(None)
    assert hasattr(rospy, "init_node")
