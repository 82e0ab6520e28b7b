"""--output http://[HOST]:PORT/: the live view in a browser, standard library only (Python 3.6: http.server
with socketserver.ThreadingMixIn, one thread per connection, at most http_connections.MAX_CONNECTIONS).

  /             the page: the stream, network and end-to-end FPS, latency per stage, class shares
  /stream.mjpg  the overlay as MJPEG (multipart/x-mixed-replace), for the page, VLC or ffplay
  /frame.jpg    one current frame
  /stats.json   what the page polls

A viewer that reads slowly or not at all only loses frames from its own queue; one that stops reading
for STALL_SECONDS, or disconnects, is dropped and its thread ends; a client that has not sent its request
REQUEST_SECONDS after connecting is closed (both in http_connections.py).
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
from .http_connections import MAX_CONNECTIONS, Connections
from .live_stats import LiveStats
from .network import host_port, listen_scope, parse_target

log = logging.getLogger(__name__)

PAGE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view_page.html")
BOUNDARY = "bisenetframe"
POLL_SECONDS = 0.5  # how often a waiting stream thread looks whether the view is closing
SNAPSHOT_SECONDS = 5.0


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True  # a stuck viewer never keeps the process alive
    allow_reuse_address = True
    request_queue_size = MAX_CONNECTIONS  # listen backlog: a burst of connections waits, not retries for 1 s

    def __init__(self, address, view):
        self.view = view
        self.connections = Connections()
        if ":" in address[0]:  # an IPv6 address (::1): HTTPServer listens on IPv4 unless told
            self.address_family = socket.AF_INET6
        http.server.HTTPServer.__init__(self, address, _Handler)

    def verify_request(self, request, client_address):
        return self.connections.admit(request)  # on the server's thread: a refused one never gets one

    def service_actions(self):  # serve_forever calls this after every poll
        self.connections.drop_late()

    def shutdown_request(self, request):
        self.connections.forget(request)
        http.server.HTTPServer.shutdown_request(self, request)

    def handle_error(self, request, client_address):  # a client that went away: not the run's error
        log.debug("browser view: connection from %s ended", client_address[0], exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "bisenet-view"

    @property
    def timeout(self):  # StreamRequestHandler sets it on the socket: every send and receive has it
        return self.server.connections.stall_seconds

    def parse_request(self):
        parsed = http.server.BaseHTTPRequestHandler.parse_request(self)  # reads the headers
        self.server.connections.requested(self.connection)
        return parsed

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
        viewer = view.fanout.add_viewer()
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
        except socket.timeout:
            self.server.connections.count_stall()
            log.debug("viewer %s took nothing for %.0f s: dropped", self.client_address[0], self.timeout)
        except OSError as exc:
            log.debug("viewer %s left: %s", self.client_address[0], exc)
        finally:
            view.fanout.remove_viewer(viewer)


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
            self._server = _Server((host, port), self)
        except (OSError, OverflowError) as exc:
            raise InputError("the browser view cannot listen on {}:{} ({})".format(host, port, getattr(
                exc, "strerror", None) or exc))
        self.host, self.port = host, self._server.server_address[1]
        self.fanout = JpegFanout(jpeg_quality)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="http-view", daemon=True)
        self._thread.start()

    @property
    def url(self):
        host = socket.gethostname() if self.host in ("0.0.0.0", "", "::") else self.host
        return "http://{}/".format(host_port(host, self.port))

    def describe(self):
        limits = self._server.connections
        return ("browser view at {} (MJPEG at {}stream.mjpg; listening on {}; at most {} connections, each with "
                "{:g} s to send its request)").format(self.url, self.url, listen_scope(self.host), limits.limit,
                                                     limits.request_seconds)

    def stats_json(self):
        snapshot = self.stats.snapshot()
        snapshot.update(viewers=self.fanout.viewers, model=self.model, connections=self._server.connections.snapshot())
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
        self._server.connections.close_all()  # wakes threads blocked sending to a stalled viewer
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._thread = None
        counts = self._server.connections.snapshot()
        if counts["refused"] or counts["timed_out"] or counts["stalled"]:  # someone was turned away: say so
            log.info("browser view: %(accepted)d connections; %(refused)d refused at the limit of %(limit)d, "
                     "%(timed_out)d closed without a request within %(request_seconds)g s, %(stalled)d stalled "
                     "viewers dropped", counts)
