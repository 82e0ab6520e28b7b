"""Native calls that may never return (OpenCV opening a GStreamer pipeline that never starts, a read from
a stream that stopped sending) run on a worker thread of their own, so the caller can give up after a
deadline.

Not concurrent.futures: its exit hook joins every worker, so one stuck in native code would keep the
process from ever exiting. This worker is a daemon; once a call overruns it is abandoned with what it
holds, and later calls fail at once.
"""

import queue
import threading

_STOP = None


class Overdue(Exception):
    """A call did not return within its deadline (and is still running on the abandoned worker)."""


class BoundedCalls(object):
    """`call(seconds, function, *args)` runs `function` on the worker and waits at most `seconds` for it."""

    def __init__(self, name):
        self.stuck = False
        self._requests = queue.Queue()
        self._reply = queue.Queue(1)  # one for every call (a frame's read each): calls never overlap, and
        # after an overrun, whose late reply would land here, no call is made
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self):
        while True:
            request = self._requests.get()
            if request is _STOP:
                return
            function, args = request
            try:
                self._reply.put((True, function(*args)))
            except Exception as exc:  # handed to the caller, raised there
                self._reply.put((False, exc))

    def call(self, seconds, function, *args):
        """`function(*args)`'s result or exception; Overdue after `seconds`, and for every call after that."""
        if self.stuck:
            raise Overdue()
        self._requests.put((function, args))
        try:
            done, value = self._reply.get(timeout=seconds)
        except queue.Empty:
            self.stuck = True
            raise Overdue()
        except BaseException:  # Ctrl-C while waiting: the call still runs, so nothing may follow it
            self.stuck = True
            raise
        if done:
            return value
        raise value

    def close(self):
        """End the worker once its current call (if any) returns."""
        self._requests.put(_STOP)
