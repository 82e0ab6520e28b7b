"""--output http://[HOST]:PORT/: the live view in a browser, standard library only (Python 3.6: http.server
with socketserver.ThreadingMixIn, one thread per connection).

  /             the page: the stream, network and end-to-end FPS, latency per stage, class shares
  /stream.mjpg  the overlay as MJPEG (multipart/x-mixed-replace), for the page, VLC or ffplay
  /frame.jpg    one current frame
  /stats.json   what the page polls

A viewer that reads slowly or not at all only loses frames from its own queue; one that stops reading
for STALL_SECONDS, or disconnects, is dropped and its thread ends.
"""

import http.server
import json
import logging
import os
import socket
import socketserver
import threading

from ...core.errors import InputError
from .base import Sink
from .fanout import JpegFanout
from .live_stats import LiveStats
from .network import listen_scope, parse_target

log = logging.getLogger(__name__)

PAGE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view_page.html")
BOUNDARY = "bisenetframe"
STALL_SECONDS = 10.0  # a viewer whose socket takes nothing for this long is dropped
POLL_SECONDS = 0.5  # how often a waiting stream thread looks whether the view is closing
SNAPSHOT_SECONDS = 5.0


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True  # a stuck viewer never keeps the process alive
    allow_reuse_address = True


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "bisenet-view"

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        log.debug("http %s: " + format, self.client_address[0], *args)

    def do_GET(self):
        view = self.server.view
        route = self.path.split("?", 1)[0]
        if route in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", view.page)
        elif route == "/stats.json":
            self._send(200, "application/json", json.dumps(view.stats_json()).encode("utf-8"))
        elif route == "/frame.jpg":
            jpeg = view.one_frame()
            if jpeg is None:
                self._send(503, "text/plain", b"no frame yet\n")
            else:
                self._send(200, "image/jpeg", jpeg)
        elif route == "/stream.mjpg":
            self._stream(view)
        else:
            self._send(404, "text/plain", b"not found: try / or /stream.mjpg\n")

    def _send(self, code, content_type, body):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, view):
        self.connection.settimeout(STALL_SECONDS)
        viewer = view.fanout.add_viewer()
        view.track(self.connection, True)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=" + BOUNDARY)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            while not viewer.closed:
                jpeg = viewer.get(POLL_SECONDS)
                if jpeg is None:
                    continue
                head = "--{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n".format(BOUNDARY, len(jpeg))
                self.wfile.write(head.encode("ascii") + jpeg + b"\r\n")
        except (OSError, socket.timeout) as exc:  # gone, or stalled past STALL_SECONDS
            log.debug("viewer %s left: %s", self.client_address[0], exc)
        finally:
            view.fanout.remove_viewer(viewer)
            view.track(self.connection, False)


class HttpViewSink(Sink):
    """Serves the live view from a thread; write() only records stats and hands over the overlay."""

    forms = ("http://:PORT/",)

    @classmethod
    def accepts(cls, spec):
        return spec.startswith("http://")

    @classmethod
    def from_spec(cls, spec, stream):
        target = parse_target(spec)
        return cls(target.host or stream.settings["bind"], target.port, stream.card, stream.settings["jpeg_quality"])

    def __init__(self, host, port, card, jpeg_quality=80):
        with open(PAGE_PATH, "rb") as handle:
            self.page = handle.read()
        self.stats = LiveStats(card["classes"], card["colors"])
        self.model = "{} ({} classes, input {}x{})".format(card.get("architecture", "model"), card["num_classes"],
                                                           *card["input_size"])
        try:
            self._server = _Server((host, port), _Handler)
        except (OSError, OverflowError) as exc:
            raise InputError("the browser view cannot listen on {}:{} ({})".format(host, port, getattr(
                exc, "strerror", None) or exc))
        self._server.view = self
        self.host, self.port = host, self._server.server_address[1]
        self.fanout = JpegFanout(jpeg_quality)
        self._connections = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="http-view", daemon=True)
        self._thread.start()

    @property
    def url(self):
        host = socket.gethostname() if self.host in ("0.0.0.0", "") else self.host
        return "http://{}:{}/".format(host, self.port)

    def describe(self):
        return "browser view at {} (MJPEG at {}stream.mjpg; listening on {})".format(self.url, self.url,
                                                                                   listen_scope(self.host))

    def track(self, connection, open_now):
        with self._lock:
            (self._connections.add if open_now else self._connections.discard)(connection)

    def stats_json(self):
        snapshot = self.stats.snapshot()
        snapshot.update(viewers=self.fanout.viewers, model=self.model)
        return snapshot

    def one_frame(self):
        """The next encoded frame, waiting for it (so /frame.jpg is current, not cached)."""
        viewer = self.fanout.add_viewer()
        try:
            return viewer.get(SNAPSHOT_SECONDS)
        finally:
            self.fanout.remove_viewer(viewer)

    def write(self, result):
        self.stats.add(result.timings, result.labels)
        if self.fanout.viewers:  # the overlay is only drawn for someone
            self.fanout.offer(result.overlay)

    def close(self, success=True):
        if self._thread is None:
            return
        self.fanout.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wakes threads blocked sending to a stalled viewer
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._thread = None
