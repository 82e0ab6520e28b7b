"""Interruption exit codes are one rule for every command (128 + the signal: 130 Ctrl-C, 143 SIGTERM),
checked with real signals sent to real child processes, and nothing temporary is left behind."""

import os
import signal
import subprocess
import sys
import time

import pytest
from fs_faults import names_under

WAIT_S = 120


def ours(folder):
    """Temporary names this project makes (onnxruntime's import drops a `.ses` file of its own in TMPDIR
    on every run, interrupted or not; it is not ours to remove)."""
    return [name for name in names_under(folder) if name.startswith("bisenet-") or ".part" in name]


def start(module, argv, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", module] + [str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def wait_for_line(child, marker):
    """Read the child's stdout until a line holding `marker` (the work has started)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if marker in line:
            return
        assert line or child.poll() is None, child.communicate()
    child.kill()
    pytest.fail("never saw {!r}".format(marker))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_export_interrupted_mid_work_exits_128_plus_signal_and_writes_nothing(signum, tiny_checkpoint, tmp_path):
    out = tmp_path / "out"
    child = start("bisenet_deploy.export.main", [tiny_checkpoint, "-o", out / "model.onnx"], tmp_path)
    wait_for_line(child, b"[export]")
    os.kill(child.pid, signum)
    _, stderr = child.communicate(timeout=WAIT_S)
    assert child.returncode == 128 + signum, stderr
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert not out.exists() or names_under(str(out)) == []
    assert ours(str(tmp_path / "tmp")) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_bench_interrupted_mid_work_exits_128_plus_signal_and_leaves_no_workdir(signum, tiny_onnx_labels, tmp_path):
    child = start("bisenet_deploy.bench.main", ["--models", tiny_onnx_labels, "--backends", "ort", "--iters",
                                                "100000", "--json", tmp_path / "speed.json"], tmp_path)
    deadline = time.monotonic() + WAIT_S
    while not any(n.startswith("bisenet-bench-") for n in os.listdir(str(tmp_path / "tmp"))):
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.01)
    time.sleep(1.0)  # let it reach the timing loop (not an assertion: any moment must give the same result)
    os.kill(child.pid, signum)
    _, stderr = child.communicate(timeout=WAIT_S)
    assert child.returncode == 128 + signum, stderr
    assert ours(str(tmp_path / "tmp")) == [] and not (tmp_path / "speed.json").exists()
