"""SIGTERM during bisenet-calibrate: a real child process, a real signal; its temporary folder (the
float model copy and the QDQ model in progress) and any partial output are gone afterwards."""

import os
import signal
import subprocess
import sys
import time

WAIT_S = 120


def test_sigterm_leaves_no_temporary_folder_and_exits_143(labels_onnx, scene_images, tmp_path):
    images = scene_images(tmp_path / "images", 400)  # enough that the calibration is still running when hit
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    out = tmp_path / "out" / "model.qdq.onnx"
    env = dict(os.environ, TMPDIR=str(scratch_parent), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-m", "bisenet_deploy.calib.main", labels_onnx, "--images",
                              os.path.dirname(images[0]), "--count", "400", "--no-progress", "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + WAIT_S
    while not any(n.startswith("bisenet-calibrate.") for n in os.listdir(str(scratch_parent))):
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=WAIT_S)
    assert child.returncode == 128 + signal.SIGTERM, stderr
    # ours only: onnxruntime's import may leave a `.ses` file of its own in TMPDIR, interrupted or not
    assert [n for n in os.listdir(str(scratch_parent)) if n.startswith("bisenet-")] == []
    assert not out.exists() and (not out.parent.exists() or os.listdir(str(out.parent)) == [])
    assert b"interrupted (SIGTERM)" in stderr and b"Traceback" not in stderr
