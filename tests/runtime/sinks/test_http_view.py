"""Tests for bisenet_deploy/runtime/sinks/http_view.py on loopback: the page, the stats, the MJPEG stream,
several viewers, a stalled viewer that never reads, and viewers that leave."""

import json
import logging
import socket
import threading
import time
import urllib.request

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.overlay import OverlayRenderer
from bisenet_deploy.runtime.result import FrameResult
from bisenet_deploy.runtime.sinks.http_view import BOUNDARY, HttpViewSink

CARD = {"architecture": "resnet18", "num_classes": 3, "input_size": [48, 64], "classes": ["wall", "floor", "chair"],
        "colors": [[200, 0, 0], [0, 200, 0], [0, 0, 200]]}


def result(index):
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :32] = (0, 0, 255)  # left half red in BGR
    labels = np.zeros((48, 64), np.int32)
    labels[:, 48:] = 1
    # alpha 0 and no legend: the overlay is the frame itself, so the stream's pixels can be checked
    renderer = OverlayRenderer(CARD, alpha=0.0, legend=False)
    return FrameResult(index, frame, labels, timings={"network": 10.0, "preprocess": 1.0}, renderer=renderer)


class Feeder(object):
    """Writes frames to the sink from another thread, as the run loop would, counting them."""

    def __init__(self, sink, period=0.01):
        self.sink, self.period, self.written = sink, period, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.sink.write(result(self.written))
            self.written += 1
            time.sleep(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def view():
    sink = HttpViewSink("127.0.0.1", 0, CARD, jpeg_quality=90)
    feeder = Feeder(sink)
    yield sink
    feeder.stop()
    sink.close()


def get(sink, path):
    with urllib.request.urlopen("http://127.0.0.1:{}{}".format(sink.port, path), timeout=10) as response:
        return response.status, response.headers.get("Content-Type"), response.read()


def mjpeg_frames(port, count, timeout=10):
    """The first `count` JPEG parts of /stream.mjpg, decoded."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
        data, frames = b"", []
        while len(frames) < count:
            chunk = conn.recv(65536)
            assert chunk, "stream closed after {} frames".format(len(frames))
            data += chunk
            while True:
                start, end = data.find(b"\xff\xd8"), data.find(b"\xff\xd9")
                if start < 0 or end < start:
                    break
                frames.append(cv2.imdecode(np.frombuffer(data[start:end + 2], np.uint8), cv2.IMREAD_COLOR))
                data = data[end + 2:]
        assert b"--" + BOUNDARY.encode() in data or frames
        return frames


def test_page_names_the_stream_and_the_stats(view):
    status, kind, body = get(view, "/")
    assert status == 200 and kind.startswith("text/html")
    assert b'src="stream.mjpg"' in body and b"stats.json" in body
    assert "127.0.0.1:{}".format(view.port) in view.describe() and "this machine only" in view.describe()


def test_stats_json_has_fps_latency_and_class_shares_with_card_names(view):
    time.sleep(0.3)
    status, kind, body = get(view, "/stats.json")
    stats = json.loads(body.decode())
    assert status == 200 and kind == "application/json"
    assert stats["frames"] > 3 and stats["network_fps"] == 100.0 and stats["end_to_end_fps"] > 0
    assert {row["stage"] for row in stats["latency_ms"]} == {"preprocess", "network"}
    assert [(c["name"], c["share"]) for c in stats["classes"]] == [("wall", 0.75), ("floor", 0.25)]
    assert stats["classes"][0]["color"] == "#c80000"


def test_mjpeg_stream_carries_the_overlay(view):
    frames = mjpeg_frames(view.port, 3)
    assert all(frame.shape == (48, 64, 3) for frame in frames)
    assert frames[-1][24, 8, 2] > 200 and frames[-1][24, 56, 2] < 50  # red left, black right: BGR kept


def test_frame_jpg_is_one_current_frame(view):
    status, kind, body = get(view, "/frame.jpg")
    assert status == 200 and kind == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape == (48, 64, 3)


def test_unknown_path_is_404(view):
    with pytest.raises(urllib.error.HTTPError) as info:
        get(view, "/nope")
    assert info.value.code == 404


def test_a_stalled_viewer_does_not_stop_the_others_or_the_writer(view, monkeypatch):
    stalled = socket.create_connection(("127.0.0.1", view.port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")  # and never reads a byte
    try:
        deadline = time.monotonic() + 5
        while view.fanout.viewers < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # long enough to fill the stalled socket's buffers
        before = view.stats.frames
        assert len(mjpeg_frames(view.port, 5)) == 5  # another viewer still gets frames
        time.sleep(0.2)
        assert view.stats.frames > before  # and the writer kept going
    finally:
        stalled.close()


def test_viewers_that_leave_are_cleaned_up(view):
    for _ in range(3):
        mjpeg_frames(view.port, 1)
    deadline = time.monotonic() + 5
    while view.fanout.viewers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert view.fanout.viewers == 0


def test_writes_without_viewers_encode_nothing():
    sink = HttpViewSink("127.0.0.1", 0, CARD)
    try:
        for i in range(5):
            sink.write(result(i))
        assert sink.stats.frames == 5 and sink.fanout.encoded == 0
    finally:
        sink.close()


def test_a_port_in_use_is_an_input_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(InputError, match="cannot listen on 127.0.0.1:{}".format(taken.getsockname()[1])):
            HttpViewSink("127.0.0.1", taken.getsockname()[1], CARD)


def test_close_ends_a_stream_in_progress():
    sink = HttpViewSink("127.0.0.1", 0, CARD)
    feeder = Feeder(sink)
    conn = socket.create_connection(("127.0.0.1", sink.port), timeout=10)
    conn.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
    assert conn.recv(100).startswith(b"HTTP/1.0 200")
    feeder.stop()
    sink.close()
    rest = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    conn.close()
    assert sink.fanout.viewers == 0


# --- connection limits (http_connections.py) -------------------------------------------------------

@pytest.fixture
def quick_limits(monkeypatch):
    """Limits small enough to reach in a test: 8 connections, 1 s to send a request."""
    from bisenet_deploy.runtime.sinks import http_connections
    monkeypatch.setattr(http_connections, "MAX_CONNECTIONS", 8)
    monkeypatch.setattr(http_connections, "REQUEST_SECONDS", 1.0)


def closed_by_server(conn, seconds=10):
    """True once the server has closed `conn` (EOF or reset), False if it is still open after `seconds`."""
    conn.settimeout(seconds)
    try:
        while conn.recv(4096):
            pass
    except socket.timeout:
        return False
    except OSError:
        pass  # reset: closed as well
    return True


def settled_connections(view, seconds=10):
    """The connection counters once every connection has ended (their threads finish just after the close)."""
    deadline = time.monotonic() + seconds
    while view.stats_json()["connections"]["open"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return view.stats_json()["connections"]


def test_silent_connections_are_closed_after_the_request_deadline_and_counted(quick_limits, view):
    # slowloris: connections that send nothing used to hold a thread each, forever
    silent = [socket.create_connection(("127.0.0.1", view.port)) for _ in range(5)]
    try:
        started = time.monotonic()
        assert all(closed_by_server(conn) for conn in silent)
        assert time.monotonic() - started < 8  # the deadline is 1 s; generous for a loaded machine
    finally:
        for conn in silent:
            conn.close()
    settled_connections(view)
    stats = json.loads(get(view, "/stats.json")[2].decode())["connections"]
    assert stats["timed_out"] == 5 and stats["limit"] == 8 and stats["request_seconds"] == 1.0
    assert stats["open"] == 1  # the stats request itself
    assert stats["stall_seconds"] == 10.0 and stats["refused"] == 0


def test_a_request_trickled_a_byte_at_a_time_is_closed_at_the_deadline(quick_limits, view):
    conn = socket.create_connection(("127.0.0.1", view.port))
    try:
        started = time.monotonic()
        for byte in b"GET / HTTP/1.0\r\nX-Slow: " + b"a" * 40:  # each byte well within the socket timeout
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break  # closed by the server
            time.sleep(0.1)
        assert closed_by_server(conn) and time.monotonic() - started < 5.5
    finally:
        conn.close()


def test_connections_beyond_the_limit_get_503_and_no_thread(quick_limits, view):
    threads_before = threading.active_count()
    silent = [socket.create_connection(("127.0.0.1", view.port)) for _ in range(30)]
    try:
        time.sleep(0.3)
        assert threading.active_count() <= threads_before + 8
        answers = [conn.recv(200) for conn in silent[8:11]]
        assert all(answer.startswith(b"HTTP/1.0 503") for answer in answers), answers
    finally:
        for conn in silent:
            conn.close()
    stats = settled_connections(view)
    assert stats["refused"] == 22 and stats["accepted"] == 8 and stats["open"] == 0
    assert get(view, "/")[0] == 200  # and the view serves again once they are gone


def test_a_stream_outlives_the_request_deadline(quick_limits, view):
    # the deadline covers the request only: a viewer keeps watching for as long as it reads
    with socket.create_connection(("127.0.0.1", view.port), timeout=10) as conn:
        conn.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
        ends, finish = 0, time.monotonic() + 2.5
        while time.monotonic() < finish:
            chunk = conn.recv(65536)
            assert chunk, "the stream was closed by the request deadline"
            ends += chunk.count(b"\xff\xd9")
    assert ends > 10
    assert view.stats_json()["connections"]["timed_out"] == 0


def test_describe_states_the_limits(view):
    assert "at most 64 connections, each with 10 s to send its request" in view.describe()


def test_close_reports_connections_turned_away(quick_limits, caplog):
    sink = HttpViewSink("127.0.0.1", 0, CARD)
    silent = socket.create_connection(("127.0.0.1", sink.port))
    try:
        assert closed_by_server(silent)
    finally:
        silent.close()
    with caplog.at_level(logging.INFO):
        sink.close()
    assert "browser view: 1 connections; 0 refused at the limit of 8, 1 closed without a request within 1 s" \
        in caplog.text


def test_an_ipv6_loopback_view_listens_and_names_itself_with_brackets():
    import socket
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        sink = HttpViewSink("::1", 0, CARD)
    except InputError as exc:
        pytest.skip("IPv6 loopback unavailable: {}".format(exc))
    try:
        assert sink.url == "http://[::1]:{}/".format(sink.port)
        with socket.create_connection(("::1", sink.port), timeout=5) as client:
            client.sendall(b"GET /stats.json HTTP/1.0\r\n\r\n")
            assert client.recv(12).startswith(b"HTTP/1.")
    finally:
        sink.close(success=True)
