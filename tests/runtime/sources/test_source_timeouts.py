"""Tests for bisenet_deploy/runtime/sources/{bounded_calls,live_capture}.py, --source-timeout and the element
check of gst_support: a camera or stream opens or fails within the timeout, one that stops delivering ends
the run, absurd camera numbers are one line. The cameras here are stand-ins for cv2.VideoCapture that block
the way OpenCV does; the real pipelines are in test_gstreamer_robot.py."""

import logging
import threading
import time

import cli_capture
import numpy as np
import pytest

from bisenet_deploy.core.cli import ArgumentParser
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime import gst_support, run as run_module
from bisenet_deploy.runtime.sources import SourceSpec, add_source_args, open_source, source_from_args, usb_camera
from bisenet_deploy.runtime.sources.bounded_calls import BoundedCalls, Overdue
from bisenet_deploy.runtime.sources.camera_settings import CAMERA_DEFAULTS
from bisenet_deploy.runtime.sources.csi_camera import csi_pipeline


def parse(argv):
    parser = ArgumentParser(prog="test")
    add_source_args(parser)
    return source_from_args(parser.parse_args(argv))


class HangingCamera(object):
    """A cv2.VideoCapture stand-in: blocks in the constructor (`hang_open`) or in read() after `frames`
    frames, until `release_all` is set at the end of the test, as OpenCV blocks on a dead pipeline."""

    release_all = threading.Event()
    hang_open = False
    frames = 3
    released = 0

    def __init__(self, *args):
        if HangingCamera.hang_open:
            HangingCamera.release_all.wait()
        self._left = HangingCamera.frames

    def isOpened(self):  # noqa: N802 (OpenCV's name)
        return True

    def set(self, prop, value):
        return True

    def get(self, prop):
        return 30.0

    def read(self):
        if self._left == 0:
            HangingCamera.release_all.wait()
            return False, None
        self._left -= 1
        return True, np.full((48, 64, 3), 100, np.uint8)

    def release(self):
        HangingCamera.released += 1


def within(seconds, function):
    """`function()`'s result, or its exception, run on a thread: a test of a hang fails instead of hanging."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "still waiting after {} s".format(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def hanging_camera(monkeypatch):
    for name, value in (("release_all", threading.Event()), ("hang_open", False), ("frames", 3), ("released", 0)):
        monkeypatch.setattr(HangingCamera, name, value)  # each test sets its own
    monkeypatch.setattr(usb_camera.cv2, "VideoCapture", HangingCamera)
    yield HangingCamera
    HangingCamera.release_all.set()  # lets the abandoned worker threads finish


# --- BoundedCalls --------------------------------------------------------------------------------------

def test_bounded_call_returns_the_result_or_raises_the_error():
    calls = BoundedCalls("test")
    assert calls.call(5, lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ZeroDivisionError):
        calls.call(5, lambda: 1 / 0)
    assert not calls.stuck
    calls.close()


def test_a_call_past_its_deadline_is_abandoned_and_later_calls_fail_at_once():
    calls, gate = BoundedCalls("test"), threading.Event()
    started = time.monotonic()
    with pytest.raises(Overdue):
        calls.call(0.3, gate.wait)
    assert time.monotonic() - started < 5 and calls.stuck
    with pytest.raises(Overdue):
        calls.call(60, lambda: 1)  # not queued behind the stuck one
    gate.set()
    calls.close()


# --- flags ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("99999999999", "a camera index is 0..255"),
                                             ("256", "a camera index is 0..255"),
                                             ("csi:99999999999", "a CSI sensor id is 0..255")])
def test_absurd_camera_numbers_are_refused_in_one_line(value, expected):
    with pytest.raises(InputError, match=expected):
        parse(["--camera", value])


def test_absurd_camera_index_through_bisenet_run_is_one_line_and_exit_2(tiny_onnx_labels):
    # it used to reach cv2.VideoCapture: "integer won't fit into a C int", a traceback and exit 1
    code, _, stderr = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--camera", "99999999999",
                                          "--headless")
    assert code == 2 and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "--camera 99999999999: a camera index is 0..255" in stderr


def test_source_timeout_goes_to_live_sources_and_defaults_at_open():
    assert parse(["--rtsp", "rtsp://h/x", "--source-timeout", "2.5"]).options == {"timeout": 2.5}
    assert parse(["--camera", "1", "--source-timeout", "3"]).options == dict(CAMERA_DEFAULTS, timeout=3.0)
    assert "timeout" not in parse(["--gst", "videotestsrc"]).options  # open_source fills in the default


def test_source_timeout_with_a_file_source_is_refused():
    with pytest.raises(InputError, match="--source-timeout applies to --camera, --rtsp, --gst only, not --video"):
        parse(["--video", "a.mp4", "--source-timeout", "3"])


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_source_timeout_must_be_a_positive_number(value):
    with pytest.raises(SystemExit) as info:
        parse(["--camera", "--source-timeout", value])
    assert info.value.code == 2


# --- opening and reading within the timeout --------------------------------------------------------------

def test_a_camera_that_never_opens_fails_within_the_timeout(hanging_camera):
    hanging_camera.hang_open = True
    with pytest.raises(InputError) as info:
        within(5, lambda: open_source(SourceSpec("camera", 0, dict(CAMERA_DEFAULTS, timeout=0.5))))
    assert str(info.value) == ("USB camera 0 did not open within 0.5 s (--source-timeout); to run on a file use "
                               "--video FILE")


def test_a_camera_that_stops_delivering_ends_its_stream_within_the_timeout(hanging_camera, caplog):
    source = open_source(SourceSpec("camera", 0, dict(CAMERA_DEFAULTS, timeout=0.5)))
    with caplog.at_level(logging.WARNING):
        frames = within(5, lambda: [frame for _, frame in source])
    assert len(frames) == 3
    assert source.stalled and source.live
    assert "USB camera 0 delivered no frame for 0.5 s (--source-timeout)" in caplog.text
    source.close()
    assert hanging_camera.released == 0  # never released while a read is still inside it


def test_a_camera_that_delivers_nothing_fails_at_open(hanging_camera):
    hanging_camera.frames = 0
    with pytest.raises(InputError, match="USB camera 0 opened but delivered no frame within 0.5 s"):
        within(5, lambda: open_source(SourceSpec("camera", 0, dict(CAMERA_DEFAULTS, timeout=0.5))))


def test_a_closed_camera_is_released_when_no_read_is_stuck(hanging_camera):
    with open_source(SourceSpec("camera", 0, dict(CAMERA_DEFAULTS, timeout=5))) as source:
        assert source.read() is not None
    assert hanging_camera.released == 1


def test_bisenet_run_on_a_camera_that_stalls_ends_with_its_summary(tiny_onnx_labels, hanging_camera, caplog):
    # before --source-timeout the run waited inside OpenCV's read() for good
    code, stdout, stderr = within(15, lambda: cli_capture.run_cli(
        run_module.main, "--model", tiny_onnx_labels, "--camera", "0", "--source-timeout", "1", "--headless",
        "--threads", "1"))
    assert code == 0, stderr
    assert "3 frames in" in stdout, stdout
    assert "USB camera 0 delivered no frame for 1 s (--source-timeout)" in caplog.text


# --- elements GStreamer lacks fail at once ---------------------------------------------------------------

@pytest.mark.parametrize("pipeline, names", [
    ("videotestsrcc is-live=true ! video/x-raw,width=80 ! appsink", ["videotestsrcc", "appsink"]),
    (csi_pipeline(0, 1280, 720, 30, 0), ["nvarguscamerasrc", "nvvidconv", "videoconvert", "appsink"]),
    ("( videotestsrc ! x264enc ! rtph264pay name=pay0 )", ["videotestsrc", "x264enc", "rtph264pay"]),
    ('videotestsrc ! tee name=t t. ! queue ! fakesink t. ! textoverlay text="a ! b(c)" ! appsink',
     ["videotestsrc", "tee", "queue", "fakesink", "textoverlay", "appsink"]),
])
def test_pipeline_elements_skips_caps_references_and_quoted_text(pipeline, names):
    assert gst_support.pipeline_elements(pipeline) == names


def test_missing_elements_are_those_gst_inspect_denies(monkeypatch):
    monkeypatch.setattr(gst_support, "_inspect_exists", lambda name: name != "videotestsrcc")
    assert gst_support.missing_elements("videotestsrcc ! videoconvert ! appsink") == ["videotestsrcc"]
    monkeypatch.setattr(gst_support, "_inspect_exists", lambda name: None)  # no gst-inspect-1.0: no verdict
    assert gst_support.missing_elements("videotestsrcc ! appsink") == []
