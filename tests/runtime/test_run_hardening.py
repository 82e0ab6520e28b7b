"""bisenet-run under faults: real signals to a real child process, outputs on file systems that refuse
writes (fs_faults), outputs that name an input, truncated videos. Real ONNX Runtime, real videos."""

import glob
import os
import re
import signal
import stat
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from fs_faults import full_disk, names_under, read_only_dir  # noqa: F401 (fixtures)
from video_files import frame_count, write_video

import cli_capture
from bisenet_deploy.runtime import run as run_module

def run_cli(*argv):
    return cli_capture.run_cli(run_module.main, *argv)


LONG_VIDEO_FRAMES = 3000  # ~30 s of work here: the signal always arrives mid-run
WAIT_S = 60
FRAMES_WRITTEN_BYTES = 16 * 1024


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for i in range(LONG_VIDEO_FRAMES):
        writer.write(np.full((120, 160, 3), i % 251, np.uint8))
    writer.release()
    return str(path)


def start_run(*argv):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # ONNX Runtime, as on every device. (A run that ended without its summary, about one signal in ten
    # whatever the backend, was a signal landing between the encoder's write and the frame count: the
    # read-back then found one frame more than counted; runtime/video_check.py now allows that one.)
    argv = ("--backend", "ort") + argv if "--backend" not in argv else argv
    return subprocess.Popen([sys.executable, "-m", "bisenet_deploy.runtime.run"] + [str(a) for a in argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def wait_for_partial_video(folder, child):
    """Block until the child has written frames into its temporary video (or fail if it exits): the
    file holds more than the container's header (a few hundred bytes), i.e. several encoded frames."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        parts = glob.glob(os.path.join(folder, ".*.part.mp4"))
        if parts and os.path.getsize(parts[0]) > FRAMES_WRITTEN_BYTES:
            return parts[0]
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    child.kill()
    pytest.fail("the run never started writing its video")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_finalizes_the_video_prints_the_summary_and_exits_128_plus_signal(tmp_path, tiny_onnx_labels,
                                                                                  long_video, signum):
    out = tmp_path / "out" / "cut.mp4"
    child = start_run("--model", tiny_onnx_labels, "--video", long_video, "--headless", "--output", out,
                      "--threads", "1")
    wait_for_partial_video(str(out.parent), child)
    os.kill(child.pid, signum)
    stdout, stderr = child.communicate(timeout=WAIT_S)
    assert child.returncode == 128 + signum, stderr
    assert b"(interrupted)" in stdout and b"end-to-end" in stdout, (stdout, stderr)
    assert names_under(str(out.parent)) == ["cut.mp4"], (stdout, stderr)
    frames, size = frame_count(out)
    assert 0 < frames < LONG_VIDEO_FRAMES and size == (160, 120)
    assert b"Traceback" not in stderr


def test_a_second_signal_may_abort_but_leaves_no_partial_file(tmp_path, tiny_onnx_labels, long_video):
    out = tmp_path / "out" / "cut.mp4"
    child = start_run("--model", tiny_onnx_labels, "--video", long_video, "--headless", "--output", out,
                      "--threads", "1")
    wait_for_partial_video(str(out.parent), child)
    os.kill(child.pid, signal.SIGTERM)
    os.kill(child.pid, signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=WAIT_S)
    # 143 from our handler; -15 when the second signal landed after the clean-up gave the default back
    assert child.returncode in (128 + signal.SIGTERM, -signal.SIGTERM), stderr
    left = names_under(str(out.parent))
    assert left in ([], ["cut.mp4"]), (stdout, stderr)  # the finished video or nothing: never a .part file
    if left:
        assert frame_count(out)[0] > 0


def test_video_on_a_full_disk_is_an_error_and_leaves_nothing(tmp_path, tiny_onnx_labels, full_disk):
    # noise does not compress: 60 frames need more than the disk's 1 MiB
    source = write_video(tmp_path / "in.avi", frames=60, size_wh=(320, 240), noise=True)
    out = os.path.join(full_disk, "out.mp4")
    code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless", "--output", out,
                                   "--threads", "1")
    assert code == 2, stderr  # an output that could not be written, as label maps and bags (README: exit codes)
    assert "out.mp4" in stderr and "disk is full" in stderr and len(stderr.strip().splitlines()) == 1
    assert names_under(full_disk) == []


@pytest.mark.parametrize("target, reason", [
    ("ro/out.mp4", "read-only"),
    ("ro/seg/", "read-only"),
    ("ro/sub/", "read-only"),
    ("ro/existing.txt/x.mp4", "existing.txt is a file, not a folder"),
    ("/proc/version/seg.mp4", "is a file, not a folder"),
])
def test_unwritable_output_is_refused_before_the_model_loads(tmp_path, tiny_onnx_labels, read_only_dir, target,
                                                             reason):
    source = write_video(tmp_path / "in.avi", frames=2)
    target = target.replace("ro/", read_only_dir + os.sep, 1)
    code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless", "--output", target)
    assert code == 2 and reason in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "opened" not in stdout  # refused before the source and the model were opened


def test_bad_output_kind_is_refused_before_the_model_loads(tmp_path):
    source = write_video(tmp_path / "in.avi", frames=2)
    code, _, stderr = run_cli("--model", tmp_path / "no-such-model.onnx", "--video", source, "--headless",
                              "--output", tmp_path / "seg2")
    assert code == 2 and "seg2" in stderr and "ending in '/'" in stderr, stderr


def test_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path, tiny_onnx_labels):
    source = write_video(tmp_path / "same.avi", frames=4)
    before = source.read_bytes()
    os.symlink(str(source), str(tmp_path / "link.avi"))
    for target in (source, tmp_path / "link.avi", str(tmp_path) + "/./same.avi"):
        code, _, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless", "--output", target)
        assert code == 2 and "same file" in stderr, stderr
    assert source.read_bytes() == before


def test_video_output_follows_the_umask(tmp_path, tiny_onnx_labels):
    source = write_video(tmp_path / "in.avi", frames=3)
    old = os.umask(0o022)
    try:
        code, _, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless",
                                  "--output", tmp_path / "out.avi")
    finally:
        os.umask(old)
    assert code == 0, stderr
    assert stat.S_IMODE(os.stat(str(tmp_path / "out.avi")).st_mode) == 0o644


def test_truncated_video_says_how_many_declared_frames_were_read(tmp_path, tiny_onnx_labels, caplog):
    cut = tmp_path / "cut.avi"
    whole_avi = write_video(tmp_path / "whole.avi", frames=40)
    data = whole_avi.read_bytes()
    cut.write_bytes(data[: len(data) // 2] + data[-2000:])  # the index survives, half the frames do not
    code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--video", cut, "--headless")
    assert code == 0, stderr
    read = int(re.search(r"^(\d+) frames? in", stdout, re.MULTILINE).group(1))
    assert 0 < read < 40
    assert "read {} of the 40 frames".format(read) in caplog.text


def test_summary_says_the_input_size_and_counts_one_frame_in_the_singular(tmp_path, tiny_onnx_labels):
    source = write_video(tmp_path / "in.avi", frames=1)
    code, stdout, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless")
    assert code == 0, stderr
    assert "1 frame in" in stdout and "1 frames" not in stdout and "at 64x96" in stdout


def test_images_keep_their_stem_and_a_skipped_file_shifts_nothing(tmp_path, tiny_onnx_labels):
    images = tmp_path / "frames"
    images.mkdir()
    for name in ("frame_03", "frame_07", "frame_10"):
        cv2.imwrite(str(images / (name + ".png")), np.full((40, 60, 3), 99, np.uint8))
    (images / "frame_05.png").write_bytes(b"not a png")
    out = str(tmp_path / "seg") + os.sep
    code, _, stderr = run_cli("--model", tiny_onnx_labels, "--images", images, "--headless", "--output", out)
    assert code == 0, stderr
    assert names_under(out) == sorted("{}_{}.png".format(n, k) for n in ("frame_03", "frame_07", "frame_10")
                                      for k in ("labels", "mask", "overlay"))


def test_progress_is_a_periodic_line_when_stderr_is_not_a_terminal(tmp_path, tiny_onnx_labels, monkeypatch):
    from bisenet_deploy.runtime import progress
    monkeypatch.setattr(progress, "LINE_INTERVAL_S", 0.0)  # a line per frame, so a short video shows it
    source = write_video(tmp_path / "in.avi", frames=5)
    code, _, stderr = run_cli("--model", tiny_onnx_labels, "--video", source, "--headless")
    assert code == 0
    assert "progress: frame 5/5 (100%)" in stderr and "FPS" in stderr and "ETA" in stderr


def test_opencv_log_lines_are_silenced_unless_debug(tmp_path, tiny_onnx_labels):
    images = tmp_path / "frames"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.full((40, 60, 3), 9, np.uint8))
    good = (images / "a.png").read_bytes()
    (images / "b.png").write_bytes(good[: len(good) // 2])  # a cut PNG: libpng complains through OpenCV
    child = subprocess.run([sys.executable, "-m", "bisenet_deploy.runtime.run", "--model", tiny_onnx_labels,
                            "--images", str(images), "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.returncode == 0, child.stderr
    assert b"[ WARN" not in child.stderr and b"libpng" not in child.stderr


def test_label_maps_on_a_full_disk_are_one_line_exit_2_and_leave_no_partial_file(tmp_path, tiny_onnx_labels,
                                                                                  full_disk):
    images = tmp_path / "frames"
    images.mkdir()
    rng = np.random.RandomState(1)
    for index in range(12):
        cv2.imwrite(str(images / "f{:02d}.png".format(index)), rng.randint(0, 255, (240, 320, 3)).astype(np.uint8))
    out = os.path.join(full_disk, "seg") + os.sep
    os.makedirs(out)
    filler = os.path.join(full_disk, "filler")
    with open(filler, "wb") as handle:  # leave a few KiB: the first label maps fit, a later one does not
        free = os.statvfs(full_disk).f_bavail * os.statvfs(full_disk).f_frsize
        handle.write(b"\0" * max(free - 24 * 1024, 0))
    code, _, stderr = run_cli("--model", tiny_onnx_labels, "--images", images, "--headless", "--output", out)
    assert code == 2 and "disk is full" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not [name for name in names_under(full_disk) if ".part" in name]


def test_progress_is_a_bar_on_a_terminal(tmp_path, tiny_onnx_labels):
    import fcntl
    import pty
    import struct
    import termios

    source = write_video(tmp_path / "in.avi", frames=30)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a terminal has a width
    child = subprocess.Popen([sys.executable, "-m", "bisenet_deploy.runtime.run", "--model", tiny_onnx_labels,
                              "--video", str(source), "--headless"], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    child.communicate(timeout=WAIT_S)
    assert child.returncode == 0
    assert b"/30" in seen and b"frame/s" in seen  # tqdm's bar: n/total and the rate
