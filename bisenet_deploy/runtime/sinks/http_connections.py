"""The browser view's connection limits, and the counters /stats.json shows.

Every connection costs a thread (http.server with ThreadingMixIn), so there are at most MAX_CONNECTIONS
at once; one more is answered 503 and closed before a thread is started for it. A client must send its
whole request within REQUEST_SECONDS of connecting: one that sends nothing, or trickles its request a
byte at a time (slowloris), is closed then. Once the request is in, a response that the client takes
nothing of for STALL_SECONDS (a stalled viewer) ends on the socket's timeout.
"""

import socket
import threading
import time

MAX_CONNECTIONS = 64  # viewers, page loads and stats polls together
REQUEST_SECONDS = 10.0  # from connecting to the end of the request's headers
STALL_SECONDS = 10.0  # a send that makes no progress for this long ends the connection

BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n"
        b"Connection: close\r\n\r\ntoo many connections to the browser view; retry later\n")


def _shut(connection):
    try:
        connection.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it; the server closes it
    except OSError:
        pass  # already gone


class Connections(object):
    """The open connections, each with the deadline of its request (None once the request is in)."""

    def __init__(self):
        self.limit, self.request_seconds, self.stall_seconds = MAX_CONNECTIONS, REQUEST_SECONDS, STALL_SECONDS
        self._deadlines = {}
        self._lock = threading.Lock()
        self.accepted = self.refused = self.timed_out = self.stalled = 0

    def admit(self, connection):
        # type: (socket.socket) -> bool
        """True when `connection` may have a thread; False, after a best-effort 503, at the limit."""
        with self._lock:
            if len(self._deadlines) < self.limit:
                self._deadlines[connection] = time.monotonic() + self.request_seconds
                self.accepted += 1
                return True
            self.refused += 1
        try:
            connection.setblocking(False)  # a client that reads nothing must not hold the server's thread
            connection.send(BUSY)
        except OSError:
            pass
        return False

    def requested(self, connection):
        """Its request is in: from now on only the send timeout applies."""
        with self._lock:
            if connection in self._deadlines:
                self._deadlines[connection] = None

    def count_stall(self):
        with self._lock:
            self.stalled += 1

    def forget(self, connection):
        with self._lock:
            self._deadlines.pop(connection, None)

    def drop_late(self):
        """Close every connection whose request is overdue (the server loop calls this between polls)."""
        now = time.monotonic()
        with self._lock:  # held while shutting down: forget() comes before the close, so none is closed yet
            for connection, deadline in self._deadlines.items():
                if deadline is not None and deadline < now:
                    self._deadlines[connection] = None
                    self.timed_out += 1
                    _shut(connection)

    def close_all(self):
        with self._lock:
            for connection in self._deadlines:
                _shut(connection)

    def snapshot(self):
        # type: () -> dict
        with self._lock:
            return {"open": len(self._deadlines), "limit": self.limit, "accepted": self.accepted,
                    "refused": self.refused, "timed_out": self.timed_out, "stalled": self.stalled,
                    "request_seconds": self.request_seconds, "stall_seconds": self.stall_seconds}
