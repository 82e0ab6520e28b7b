"""The browser view for real (robot mirror): bisenet-run with --output http://, loaded in headless Chromium
(screenshot kept as a test artifact), and a load test with several viewer processes and a stalled one."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import cli_capture
import cv2
import numpy as np
import pytest

from bisenet_deploy.runtime import run as run_module

pytestmark = pytest.mark.robot

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1000,620", "--virtual-time-budget=4000"]
LIVE_SMPTE = "videotestsrc is-live=true num-buffers={n} ! video/x-raw,width=320,height=240,framerate=30/1"
FAST_BALL = "videotestsrc num-buffers={n} pattern=ball ! video/x-raw,width=320,height=240"
ARTIFACT_DIR = os.environ.get("BISENET_TEST_ARTIFACTS", os.path.join(tempfile.gettempdir(), "bisenet-artifacts"))
SUMMARY = re.compile(r"(\d+) frames in [\d.]+s.*?end-to-end ([\d.]+) FPS")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_run(*argv):
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault(
        "result", cli_capture.run_cli(run_module.main, *argv)), daemon=True)
    thread.start()
    return thread, outcome


def wait_for_port(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def chromium(tmp_path, *args):
    profile = tmp_path / "chromium-profile"
    completed = subprocess.run([CHROMIUM] + CHROMIUM_FLAGS + ["--user-data-dir={}".format(profile)] + list(args),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return completed.stdout.decode("utf-8", "replace")


def colourful_pixels(image):
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    return int(((hsv[..., 1] > 80) & (hsv[..., 2] > 60)).sum())


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (./scripts/setup.sh --robot)")
def test_browser_view_in_headless_chromium_shows_the_stream_and_the_stats(tmp_path, tiny_onnx_labels):
    port = free_port()
    url = "http://127.0.0.1:{}/".format(port)
    thread, outcome = start_run("--model", tiny_onnx_labels, "--gst", LIVE_SMPTE.format(n=360), "--headless",
                                "--threads", "1", "--output", "http://:{}/".format(port))
    try:
        assert wait_for_port(port), "the browser view never listened on {}".format(port)
        shot = tmp_path / "view.png"
        chromium(tmp_path, "--screenshot={}".format(shot), url)
        dom = chromium(tmp_path, "--dump-dom", url)
        stats = json.loads(urllib.request.urlopen(url + "stats.json", timeout=10).read().decode())
    finally:
        thread.join(30)
    os.makedirs(ARTIFACT_DIR, exist_ok=True)
    artifact = os.path.join(ARTIFACT_DIR, "browser-view.png")
    shutil.copyfile(str(shot), artifact)
    print("browser view screenshot: " + artifact)
    code, stdout, stderr = outcome["result"]
    assert code == 0, stderr
    assert "browser view at {}".format(url) in stdout and "this machine only" in stdout
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (620, 1000)
    stream_area = image[40:300, 10:340]  # where the 320x240 stream sits, below the header
    assert colourful_pixels(stream_area) > 20000, "the stream area of the screenshot is blank"
    network_fps = re.search(r'id="network_fps">([\d.]+)<', dom)
    end_to_end = re.search(r'id="end_to_end_fps">([\d.]+)<', dom)
    assert network_fps and end_to_end and float(network_fps.group(1)) > 0, "stats not filled in"
    assert re.search(r'class="name">[^<]+</span>', dom), "no class bars"
    assert all(row["stage"] in dom for row in stats["latency_ms"])
    top = stats["classes"][0]
    assert top["name"] in dom and top["color"].startswith("#")


def run_fast(model, port, frames):
    code, stdout, stderr = cli_capture.run_cli(run_module.main, "--model", model, "--gst", FAST_BALL.format(n=frames),
                                               "--headless", "--threads", "1",
                                               "--output", "http://:{}/".format(port))
    assert code == 0, stderr
    match = SUMMARY.search(stdout)
    return int(match.group(1)), float(match.group(2))


def test_load_several_viewers_and_a_stalled_one_leave_pipeline_fps_and_each_other_alone(tiny_onnx_labels):
    frames = 400
    _, alone_fps = run_fast(tiny_onnx_labels, free_port(), frames)
    port = free_port()
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("fps", run_fast(tiny_onnx_labels, port, frames)))
    stalled = None
    viewers = []
    runner.start()
    try:
        assert wait_for_port(port, 20)
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")  # never reads
        client = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "mjpeg_client.py")
        viewers = [subprocess.Popen([sys.executable, client, str(port), "20"], stdout=subprocess.PIPE)
                   for _ in range(4)]
        runner.join(60)
        assert not runner.is_alive()
        counts = [int(viewer.communicate(timeout=30)[0] or 0) for viewer in viewers]
    finally:
        if stalled is not None:
            stalled.close()
        for viewer in viewers:
            if viewer.poll() is None:
                viewer.kill()
    processed, loaded_fps = result["fps"]
    print("pipeline FPS alone {:.1f}, with 4 viewers and a stalled one {:.1f}; frames per viewer {}".format(
        alone_fps, loaded_fps, counts))
    assert min(counts) >= 10, "a viewer was starved: {}".format(counts)
    assert max(counts) <= processed
    assert loaded_fps >= 0.5 * alone_fps, "viewers slowed the pipeline: {:.1f} -> {:.1f} FPS".format(
        alone_fps, loaded_fps)
