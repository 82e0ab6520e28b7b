"""Eight robots at once are batched by the server (read from its /metrics); a server killed mid-run
costs dropped frames, never a hang, and the client reconnects once it is back; bisenet-serve stops
cleanly on Ctrl-C."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import cv2
import numpy as np
import pytest

from bisenet_deploy.runtime.backends.base import FrameDropped
from bisenet_deploy.runtime.backends.triton_backend import TritonBackend
from bisenet_deploy.runtime.model_card import load_model_card
from triton_servers import ServerProcess


def _metric(server, name, model):
    text = urllib.request.urlopen(server.metrics_url, timeout=5).read().decode()
    match = re.search(r'^{}{{model="{}",version="1"}} (\d+)'.format(name, model), text, re.M)
    return int(match.group(1)) if match else 0


def test_eight_clients_at_once_are_batched(triton_server):
    address = "triton://{}/demo".format(triton_server.address)
    card = load_model_card(address)
    before = (_metric(triton_server, "nv_inference_count", "demo"), _metric(triton_server, "nv_inference_exec_count", "demo"))
    frame = np.zeros((192, 256, 3), np.uint8)
    errors = []
    start = threading.Barrier(8)

    def robot():
        with TritonBackend(address, card) as backend:
            start.wait()
            for _ in range(4):
                try:
                    backend.segment_frame(frame)
                except Exception as exc:  # reported below
                    errors.append(exc)

    robots = [threading.Thread(target=robot) for _ in range(8)]
    for thread in robots:
        thread.start()
    for thread in robots:
        thread.join(120)
    assert not errors
    inferences = _metric(triton_server, "nv_inference_count", "demo") - before[0]
    executions = _metric(triton_server, "nv_inference_exec_count", "demo") - before[1]
    assert inferences == 32
    assert executions < inferences  # the dynamic batcher merged requests


@pytest.fixture
def own_server(triton_repo, tmp_path):
    """A server this test may kill (only the demo model, so it starts quicker)."""
    repo = tmp_path / "repo"
    shutil.copytree(str(triton_repo / "demo"), str(repo / "demo"))
    server = ServerProcess(repo, str(tmp_path / "server.log"))
    yield server
    if server.process is not None and server.process.poll() is None:
        server.stop()


def test_killed_server_drops_frames_and_the_client_reconnects(own_server):
    own_server.start()
    address = "triton://{}/demo".format(own_server.address)
    frame = np.zeros((192, 256, 3), np.uint8)
    with TritonBackend(address, load_model_card(address)) as backend:
        labels = backend.segment_frame(frame)[0].copy()
        assert own_server.kill_server_only() != 0  # bisenet-serve says its server died (exit 1)
        with pytest.raises(FrameDropped):
            backend.segment_frame(frame)
        own_server.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                again = backend.segment_frame(frame)[0]
                break
            except FrameDropped:
                assert time.monotonic() < deadline, "no reconnection"
                time.sleep(0.2)
        assert np.array_equal(again, labels)
        assert backend.reconnections == 1 and backend.dropped_frames >= 1


def test_a_folder_run_whose_server_dies_counts_dropped_frames_and_fails(own_server, tmp_path):
    own_server.start()
    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(300):
        cv2.imwrite(str(frames / "{:03d}.png".format(index)), np.full((192, 256, 3), index % 255, np.uint8))
    run = subprocess.Popen([sys.executable, "-c", "import sys; from bisenet_deploy.commands import run; sys.exit(run())",
                            "--backend", "triton", "--server", own_server.address, "--images", str(frames),
                            "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           env=dict(os.environ, PYTHONUNBUFFERED="1"))
    first_lines = [run.stdout.readline(), run.stdout.readline()]
    assert "triton backend" in first_lines[1], first_lines
    time.sleep(0.5)  # frames are flowing
    own_server.kill_server_only()
    out, err = run.communicate(timeout=60)  # never a hang
    out = "".join(first_lines) + out
    assert run.returncode == 1, err  # a folder's frames are the work: missing outputs fail the run
    match = re.search(r"(\d+) frames dropped while the Triton server", out)
    assert match and int(match.group(1)) > 0, out
    segmented = int(re.search(r"^(\d+) frames in ", out, re.M).group(1))
    assert segmented + int(re.search(r", (\d+) dropped", out).group(1)) == 300 and segmented < 300
    assert err.strip().splitlines()[-1] == ("bisenet-run: {} of 300 frames were not segmented (the server did not "
                                            "answer); their outputs are missing".format(300 - segmented))
    assert _processes_using(own_server.repository) == []  # bisenet-serve ended the backend stubs it left


def _processes_using(repository, wait_s=10.0):
    """Command lines of the processes still naming `repository` (Triton's python-backend stubs name
    their model.py) after at most `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        found = subprocess.run(["pgrep", "-af", str(repository)], stdout=subprocess.PIPE,
                               universal_newlines=True).stdout.splitlines()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_serve_refuses_a_port_another_program_listens_on(own_server):
    import socket

    from bisenet_deploy.serve.server import main as serve_main
    from cli_capture import run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run_cli(serve_main, own_server.repository, "--grpc-port", port,
                                 "--http-port", own_server.http, "--metrics-port", own_server.metrics)
    assert code == 2 and err.strip() == ("bisenet-serve: gRPC port {} on 127.0.0.1 is in use (another Triton "
                                         "server?): stop it or pick another --grpc-port".format(port))
    assert "ready" not in out and _processes_using(own_server.repository, wait_s=0) == []


def test_serve_exits_130_on_ctrl_c(own_server):
    own_server.start()
    assert own_server.stop(signal.SIGINT) == 130


def test_serve_refuses_a_model_the_wheels_server_cannot_run(demo_onnx_labels, tmp_path):
    from bisenet_deploy.serve.main import main as package_main
    from bisenet_deploy.serve.server import main as serve_main
    from cli_capture import run_cli

    assert run_cli(package_main, demo_onnx_labels, "--triton", tmp_path, "--platform", "onnxruntime")[0] == 0
    code, _, err = run_cli(serve_main, tmp_path)
    assert code == 2 and "--platform python" in err and len(err.strip().splitlines()) == 1
