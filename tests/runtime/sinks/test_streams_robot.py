"""bisenet-run streaming for real (robot mirror): RTP and RTSP outputs decoded and counted by real GStreamer
receivers on loopback, with a videotestsrc source and the tiny ONNX model."""

import socket

import cli_capture
from live_runs import start_run, wait_for_port
import pytest

from bisenet_deploy.runtime import run as run_module

pytestmark = pytest.mark.robot

RED_LIVE = ("videotestsrc is-live=true num-buffers={n} pattern=solid-color foreground-color=0xffff0000 ! "
            "video/x-raw,width=160,height=120,framerate=30/1")


def run_cli(*argv):
    return cli_capture.run_cli(run_module.main, *argv)


@pytest.mark.parametrize("encoder", ["x264enc", "openh264enc"])
def test_rtp_output_is_decoded_frame_by_frame_by_a_gstreamer_receiver(tiny_onnx_labels, encoder):
    import gst_helpers

    port = gst_helpers.free_port(socket.SOCK_DGRAM)
    receiver = gst_helpers.rtp_receiver(port)
    try:
        code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--gst", RED_LIVE.format(n=45), "--headless",
                                       "--threads", "1", "--alpha", "0", "--encoder", encoder,
                                       "--keyframe-interval", "5", "--output", "rtp://127.0.0.1:{}".format(port))
        received = receiver.wait_for(45, seconds=3)
    finally:
        receiver.stop()
    assert code == 0, stderr
    assert "over RTP to 127.0.0.1:{}".format(port) in stdout and encoder in stdout
    assert "gst-launch-1.0 udpsrc port={}".format(port) in stdout and "rtph264depay" in stdout
    assert 30 <= received <= 45, "received {} of 45 frames".format(received)
    frame = receiver.frames[-1]
    assert frame.shape == (120, 160, 3)
    b, g, r = (int(v) for v in frame[100, 40])  # alpha 0: the picture itself, red below the status line
    assert r > 180 and g < 70 and b < 70, (b, g, r)


def test_rtsp_output_serves_two_gstreamer_receivers_at_once(tiny_onnx_labels):
    import gst_helpers

    port = gst_helpers.free_port()
    thread, outcome = start_run("--model", tiny_onnx_labels, "--gst", RED_LIVE.format(n=150), "--headless",
                                "--threads", "1", "--keyframe-interval", "10",
                                "--output", "rtsp://:{}/seg".format(port))
    assert wait_for_port(port), "the RTSP server never listened on {}".format(port)
    url = "rtsp://127.0.0.1:{}/seg".format(port)
    receivers = [gst_helpers.rtsp_receiver(url), gst_helpers.rtsp_receiver(url)]
    try:
        counts = [receiver.wait_for(20, seconds=10) for receiver in receivers]
    finally:
        for receiver in receivers:
            receiver.stop()
    thread.join(30)
    assert not thread.is_alive()
    code, stdout, stderr = outcome["result"]
    assert code == 0, stderr
    assert "RTSP server at {}".format(url) in stdout and "this machine only" in stdout
    assert "gst-launch-1.0 rtspsrc location={}".format(url) in stdout and "vlc {}".format(url) in stdout
    assert min(counts) >= 20, counts
    assert receivers[0].frames[-1].shape == (120, 160, 3)


def test_rtsp_output_port_in_use_is_one_clear_error(tiny_onnx_labels):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        code, _, stderr = run_cli("--model", tiny_onnx_labels, "--gst", RED_LIVE.format(n=5), "--headless",
                                  "--output", "rtsp://:{}/seg".format(taken.getsockname()[1]))
    assert code == 2 and "cannot listen" in stderr and len(stderr.strip().splitlines()) == 1


def test_rtsp_output_on_ipv6_loopback_prints_bracketed_urls_that_a_receiver_opens(tiny_onnx_labels):
    import gst_helpers

    port = gst_helpers.free_port()
    url = "rtsp://[::1]:{}/seg".format(port)
    thread, outcome = start_run("--model", tiny_onnx_labels, "--gst", RED_LIVE.format(n=150), "--headless",
                                "--threads", "1", "--keyframe-interval", "10", "--output", url)
    assert wait_for_port(port, host="::1"), "the RTSP server never listened on [::1]:{}".format(port)
    receiver = gst_helpers.rtsp_receiver(url)
    try:
        received = receiver.wait_for(10, seconds=10)
    finally:
        receiver.stop()
    thread.join(30)
    code, stdout, stderr = outcome["result"]
    assert code == 0, stderr
    assert "RTSP server at {} ".format(url) in stdout and "this machine only" in stdout
    assert "rtspsrc location='{}' ".format(url) in stdout and "vlc '{}'".format(url) in stdout  # pasted into a shell
    assert received >= 10
