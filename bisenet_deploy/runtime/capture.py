"""Capture on its own thread, so decoding or waiting for the camera overlaps inference.

Frames go through a bounded queue. A live source drops the oldest queued frame when the queue is full,
so the consumer always works on a recent picture and latency cannot build up; a file source blocks
instead, so every frame of a video or folder is processed.
"""

import logging
import queue
import threading
import time

log = logging.getLogger(__name__)

_END = object()


class _ReadFailed(object):
    """Carries an exception raised by source.read() over to the consumer thread."""

    def __init__(self, error):
        self.error = error


class CaptureThread(object):
    """Run `source.read()` on a daemon thread into a bounded queue.

    get(timeout=None) returns:
      (index, frame)  the next frame; `index` counts frames read from the source, so gaps are drops;
      None            end of stream (also after stop(), and on every later call);
      False           `timeout` seconds passed without a frame (live sources: just call again).
    An exception raised by source.read() is re-raised from get().
    stop() ends the thread and releases the source; `with CaptureThread(src) as frames:` starts and stops it.
    """

    JOIN_SECONDS = 2.0  # how long stop() waits for a read() in progress
    POLL_SECONDS = 0.05  # how often blocked puts and gets look at the stop flag

    def __init__(self, source, maxsize=4, drop_oldest=None):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1, got {}".format(maxsize))
        self.source = source
        self.maxsize = maxsize
        self.drop_oldest = source.live if drop_oldest is None else drop_oldest
        self.dropped = 0
        self._queue = queue.Queue(maxsize)
        self._stopping = threading.Event()
        self._thread = None
        self._ended = False
        self._released = False

    def start(self):
        if self._thread is not None:
            raise RuntimeError("CaptureThread already started")
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def qsize(self):
        """Frames waiting in the queue now (never more than maxsize)."""
        return self._queue.qsize()

    def _run(self):
        index = 0
        try:
            while not self._stopping.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                self._put((index, frame))
                index += 1
        except Exception as exc:  # not swallowed: get() re-raises it in the consumer
            self._put(_ReadFailed(exc))
            return
        self._put(_END)

    def _put(self, item):
        if self.drop_oldest:
            while True:
                try:
                    self._queue.put_nowait(item)
                    return
                except queue.Full:
                    try:
                        self._queue.get_nowait()
                    except queue.Empty:  # the consumer just took it; there is room now
                        continue
                    self.dropped += 1
        # Files never drop: wait for room, but notice stop() while waiting.
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=self.POLL_SECONDS)
                return
            except queue.Full:
                continue

    def get(self, timeout=None):
        """(index, frame), None at end of stream, or False when `timeout` seconds pass first (see class doc)."""
        if self._thread is None:
            raise RuntimeError("call start() before get()")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended:
            if self._stopping.is_set():
                self._ended = True
                break
            wait = self.POLL_SECONDS
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                continue
            if item is _END:
                self._ended = True
            elif isinstance(item, _ReadFailed):
                self._ended = True
                raise item.error
            else:
                return item
        return None

    def stop(self):
        """Stop the thread and release the source; safe to call more than once."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.JOIN_SECONDS)
            if thread.is_alive():
                # Releasing a capture while another thread is inside read() can crash OpenCV.
                log.warning("capture thread is still inside read() after %.0f s; leaving the source open",
                            self.JOIN_SECONDS)
                return
        if not self._released:
            self._released = True
            self.source.close()

    def __enter__(self):
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
