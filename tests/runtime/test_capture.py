"""Tests for bisenet_deploy/runtime/capture.py: files never drop (real videos written with OpenCV),
live sources drop the oldest frame (a stub camera), and stop() ends the thread and releases the source."""

import threading
import time

import cv2
import numpy as np
import pytest

from bisenet_deploy.runtime.capture import CaptureThread
from bisenet_deploy.runtime.sources import FrameSource, SourceSpec, open_source
from frame_codes import HEIGHT, WIDTH, index_of, painted


def video_source(tmp_path, count=20, name="clip.avi", fourcc="MJPG"):
    path = str(tmp_path / name)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25.0, (WIDTH, HEIGHT))
    for index in range(count):
        writer.write(painted(index))
    writer.release()
    return open_source(SourceSpec("video", path, {}))


def drain(capture, delay=0.0):
    """Every (index, frame) until end of stream, sleeping `delay` per frame like a slow network."""
    items = []
    while True:
        item = capture.get(timeout=5)
        assert item is not False, "no frame within 5 s"
        if item is None:
            return items
        items.append(item)
        time.sleep(delay)


class StubLiveCamera(FrameSource):
    """Stands in for a camera: `count` tiny frames as fast as read() is called (None: forever)."""

    def __init__(self, count=None, fail_at=None):
        super(StubLiveCamera, self).__init__(live=True, fps=30.0)
        self.count = count
        self.fail_at = fail_at
        self.produced = 0
        self.closes = 0
        self.exhausted = threading.Event()

    def _read_next(self):
        if self.produced == self.fail_at:
            raise RuntimeError("camera unplugged")
        if self.produced == self.count:
            self.exhausted.set()
            return None
        self.produced += 1
        return np.full((2, 2, 3), self.produced % 256, np.uint8)

    def describe(self):
        return "stub camera"

    def _release(self):
        self.closes += 1


class StubStalledCamera(StubLiveCamera):
    """A stub camera whose read() waits until `unblock` is set, like a camera between frames."""

    def __init__(self):
        super(StubStalledCamera, self).__init__()
        self.unblock = threading.Event()

    def _read_next(self):
        self.unblock.wait()
        return None


@pytest.mark.parametrize("name, fourcc", [("clip.avi", "MJPG"), ("clip.mp4", "mp4v")])
def test_file_never_drops_even_with_a_slow_consumer(tmp_path, name, fourcc):
    with CaptureThread(video_source(tmp_path, 20, name, fourcc), maxsize=2) as capture:
        assert capture.drop_oldest is False
        items = drain(capture, delay=0.01)
    assert [index for index, _ in items] == list(range(20))
    assert [index_of(frame.image) for _, frame in items] == list(range(20))
    assert capture.dropped == 0


def test_file_source_waits_for_room_instead_of_dropping(tmp_path):
    source = video_source(tmp_path, 20)
    capture = CaptureThread(source, maxsize=3).start()
    try:
        deadline = time.monotonic() + 5
        while capture.qsize() < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the reader has filled the queue and must now wait, not overwrite
        assert capture.qsize() == 3 and capture.running
        assert [index for index, _ in drain(capture)] == list(range(20))
    finally:
        capture.stop()
    assert capture.dropped == 0


def test_stub_camera_drops_the_oldest_frames():
    camera = StubLiveCamera(count=2000)
    capture = CaptureThread(camera, maxsize=4)
    assert capture.drop_oldest is True
    with capture:
        first = capture.get(timeout=5)
        sizes = [capture.qsize()]
        while capture.running:  # the consumer is busy while the camera keeps delivering
            sizes.append(capture.qsize())
            time.sleep(0.001)
        seen = [first] + drain(capture)
    indices = [index for index, _ in seen]
    assert camera.exhausted.is_set()
    assert max(sizes) <= 4
    assert indices == sorted(set(indices))
    assert indices[-1] == 1999  # the newest frame is never the one dropped
    assert len(indices) <= 4  # one taken early, then at most what fits beside the end marker
    assert capture.dropped == 2000 - len(indices) > 0
    # Frames are the camera's own, in its order: frame k carries value k + 1.
    assert [int(frame.image[0, 0, 0]) for _, frame in seen] == [(index + 1) % 256 for index in indices]


def test_stub_camera_can_be_told_not_to_drop():
    live_but_keeping = CaptureThread(StubLiveCamera(count=50), maxsize=2, drop_oldest=False)
    with live_but_keeping:
        time.sleep(0.05)
        assert [index for index, _ in drain(live_but_keeping)] == list(range(50))
    assert live_but_keeping.dropped == 0


def test_stub_stalled_camera_get_returns_false_on_timeout_then_none_at_end():
    camera = StubStalledCamera()
    with CaptureThread(camera) as capture:
        assert capture.get(timeout=0.05) is False
        camera.unblock.set()
        assert capture.get(timeout=5) is None
        assert capture.get(timeout=5) is None


def test_stub_camera_read_error_reaches_the_consumer():
    with CaptureThread(StubLiveCamera(fail_at=3), maxsize=8, drop_oldest=False) as capture:
        assert [capture.get(timeout=5)[0] for _ in range(3)] == [0, 1, 2]
        with pytest.raises(RuntimeError, match="camera unplugged"):
            capture.get(timeout=5)
        assert capture.get(timeout=5) is None


def test_stop_ends_a_blocked_file_reader_and_releases_the_video(tmp_path):
    source = video_source(tmp_path, 20)
    capture = CaptureThread(source, maxsize=1).start()
    assert capture.get(timeout=5)[0] == 0
    capture.stop()  # the reader is waiting for room in the full queue
    assert not capture.running
    assert source.read() is None  # released
    capture.stop()
    assert capture.get(timeout=1) is None


def test_stop_ends_an_endless_stub_camera_once():
    camera = StubLiveCamera()
    capture = CaptureThread(camera).start()
    assert capture.get(timeout=5) is not False
    capture.stop()
    capture.stop()
    assert not capture.running
    assert camera.closes == 1
    assert capture.get() is None


def test_stop_before_start_releases_the_stub_camera():
    camera = StubLiveCamera(count=5)
    capture = CaptureThread(camera)
    capture.stop()
    assert camera.closes == 1 and not capture.running
