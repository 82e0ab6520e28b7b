"""Tests for bisenet_deploy/runtime/sources/{gstreamer,csi_camera,rtsp}.py with real GStreamer pipelines (robot
mirror): videotestsrc through --gst and the CSI path, bisenet-run on a real RTSP server that goes away
mid-stream or stops sending, and pipelines that cannot start, each failing within --source-timeout."""

import os
import select
import signal
import subprocess
import sys
import threading
import time

import cli_capture
from live_runs import start_run
import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime import run as run_module
from bisenet_deploy.runtime.sources import SourceSpec, csi_camera, open_source
from bisenet_deploy.runtime.sources.camera_settings import CAMERA_DEFAULTS
from bisenet_deploy.runtime.sources.gstreamer import with_appsink
from bisenet_deploy.runtime.sources.rtsp import rtsp_pipeline

pytestmark = pytest.mark.robot

RED = "videotestsrc num-buffers={n} pattern=solid-color foreground-color=0xffff0000 ! video/x-raw,width=80,height=60"


def read_all(source):
    with source:
        return [frame.image for _, frame in source]


def test_gst_videotestsrc_delivers_every_frame_at_its_size_in_bgr_order():
    frames = read_all(open_source(SourceSpec("gst", RED.format(n=7), {})))
    assert len(frames) == 7
    assert all(frame.shape == (60, 80, 3) and frame.dtype == np.uint8 for frame in frames)
    # solid red (ARGB 0xffff0000) must arrive as BGR (0, 0, 255), not as RGB
    assert np.abs(frames[3].reshape(-1, 3).astype(int) - (0, 0, 255)).max() <= 2


def test_gst_pipeline_with_its_own_appsink_is_used_as_given():
    pipeline = RED.format(n=3) + " ! videoconvert ! video/x-raw,format=BGR ! appsink"
    assert with_appsink(pipeline) == pipeline
    assert len(read_all(open_source(SourceSpec("gst", pipeline, {})))) == 3


def test_gst_pipeline_that_fails_names_itself():
    with pytest.raises(InputError) as info:
        open_source(SourceSpec("gst", "videotestsrc ! video/x-raw,format=NOPE", {}))
    assert "GStreamer pipeline 'videotestsrc ! video/x-raw,format=NOPE" in str(info.value)
    assert "did not open" in str(info.value) or "no frame" in str(info.value)


def test_csi_camera_goes_the_gst_path_with_a_videotestsrc_stub_for_nvarguscamerasrc(monkeypatch):
    asked = {}

    def stub_csi_pipeline(sensor_id, width, height, fps, flip):  # stands in for the Argus camera
        asked.update(sensor_id=sensor_id, size=(width, height), flip=flip)
        return RED.format(n=4).replace("width=80,height=60", "width={},height={}".format(width, height)) + \
            " ! videoconvert ! video/x-raw,format=BGR ! appsink"

    monkeypatch.setattr(csi_camera, "csi_pipeline", stub_csi_pipeline)
    monkeypatch.setattr(csi_camera, "missing_elements", lambda pipeline: [])  # as on a Jetson
    options = dict(CAMERA_DEFAULTS, width=96, height=64, flip=2)
    source = open_source(SourceSpec("csi", 1, options))
    assert "CSI camera 1" in source.describe() and "96x64" in source.describe()
    frames = read_all(source)
    assert len(frames) == 4 and frames[0].shape == (64, 96, 3)
    assert asked == {"sensor_id": 1, "size": (96, 64), "flip": 2}


def test_rtsp_pipeline_uses_tcp_and_nvvidconv_only_on_a_jetson():
    assert "protocols=tcp" in rtsp_pipeline("rtsp://h/x", nvvidconv=False)
    assert "nvvidconv" not in rtsp_pipeline("rtsp://h/x", nvvidconv=False)
    assert "nvvidconv" in rtsp_pipeline("rtsp://h/x", nvvidconv=True)


def test_run_on_a_real_rtsp_server_ends_cleanly_with_its_summary_when_the_server_goes_away(tiny_onnx_labels):
    import gst_helpers

    server = gst_helpers.RtspTestServer(width=160, height=120)
    outcome = {}

    def run():
        outcome["result"] = cli_capture.run_cli(run_module.main, "--model", tiny_onnx_labels, "--rtsp", server.url,
                                                "--headless", "--threads", "1")

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    deadline = time.monotonic() + 20
    while not server.clients and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.clients == 1, "bisenet-run never connected to " + server.url
    time.sleep(2.0)  # let frames flow, then the server dies mid-stream
    server.stop()
    runner.join(30)
    assert not runner.is_alive(), "bisenet-run kept waiting after the RTSP server went away"
    code, stdout, stderr = outcome["result"]
    assert code == 0, stderr
    assert "opened stream " + server.url in stdout and "160x120" in stdout
    frames = int(stdout.split(" frames in ")[0].split()[-1])
    assert frames >= 5 and "end-to-end" in stdout


def finished_run(thread, outcome, seconds):
    """(code, stdout, stderr) of a start_run() run, which must end within `seconds`."""
    thread.join(seconds)
    assert not thread.is_alive(), "bisenet-run still running after {} s".format(seconds)
    return outcome["result"]


def test_gst_pipeline_with_an_unknown_element_fails_at_once_in_one_line(tiny_onnx_labels):
    # it used to wait forever: OpenCV waits for the rest of the pipeline to start
    code, _, stderr = finished_run(*start_run("--model", tiny_onnx_labels, "--gst", "videotestsrcc ! video/x-raw",
                                              "--headless"), seconds=20)
    assert code == 2 and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "GStreamer has no element 'videotestsrcc'" in stderr and "gst-launch-1.0" in stderr


def test_csi_camera_without_nvarguscamerasrc_fails_at_once_in_one_line(tiny_onnx_labels):
    code, _, stderr = finished_run(*start_run("--model", tiny_onnx_labels, "--camera", "csi", "--headless"),
                                   seconds=20)
    assert code == 2 and stderr.count("\n") == 1
    assert "--camera csi needs GStreamer's nvarguscamerasrc" in stderr and "--video FILE" in stderr


def test_gst_pipeline_that_never_starts_fails_within_the_source_timeout(tmp_path, tiny_onnx_labels):
    fifo = str(tmp_path / "nobody-writes")
    os.mkfifo(fifo)  # filesrc blocks opening it, as nvarguscamerasrc without its daemon
    code, _, stderr = finished_run(*start_run("--model", tiny_onnx_labels, "--gst",
                                              "filesrc location={} ! decodebin".format(fifo), "--headless",
                                              "--source-timeout", "2"), seconds=20)
    assert code == 2 and stderr.count("\n") == 1
    assert "did not open within 2 s (--source-timeout)" in stderr


def test_run_ends_within_the_source_timeout_when_the_rtsp_server_stops_sending(tiny_onnx_labels, caplog):
    # a server that hangs without closing the connection: rtspsrc alone gave up only after about 25 s
    import gst_helpers

    server = subprocess.Popen([sys.executable, gst_helpers.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              universal_newlines=True)
    try:
        url = server.stdout.readline().strip()
        thread, outcome = start_run("--model", tiny_onnx_labels, "--rtsp", url, "--headless", "--threads", "1",
                                    "--source-timeout", "2")
        assert select.select([server.stdout], [], [], 20)[0], "bisenet-run never connected to " + url
        assert server.stdout.readline().strip() == "client"
        time.sleep(1.5)  # frames flow, then the server hangs
        server.send_signal(signal.SIGSTOP)
        code, stdout, _ = finished_run(thread, outcome, seconds=12)
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait(10)
    assert code == 0
    assert int(stdout.split(" frames in ")[0].split()[-1]) >= 5 and "end-to-end" in stdout
    assert "stream {} delivered no frame for 2 s (--source-timeout)".format(url) in caplog.text
