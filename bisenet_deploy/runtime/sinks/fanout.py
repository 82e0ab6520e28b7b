"""Newest frame wins: one encoder thread turns the newest overlay into a JPEG and offers it to every
viewer's own bounded queue. The pipeline only hands over a reference, a slow viewer only loses frames
from its own queue, and with no viewer nothing is encoded at all."""

import collections
import logging
import threading

import cv2

log = logging.getLogger(__name__)

VIEWER_QUEUE = 2  # frames a viewer may fall behind before its oldest is dropped


class ViewerQueue(object):
    """One viewer's frames: put() never blocks (the oldest is dropped), get() waits up to `timeout`."""

    def __init__(self, maxlen=VIEWER_QUEUE):
        self._items = collections.deque(maxlen=maxlen)
        self._ready = threading.Condition()
        self.closed = False
        self.dropped = 0
        self.delivered = 0

    def put(self, item):
        with self._ready:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()

    def get(self, timeout):
        """The oldest queued JPEG, or None after `timeout` seconds or once closed."""
        with self._ready:
            if not self._items and not self.closed:
                self._ready.wait(timeout)
            if self.closed or not self._items:
                return None
            self.delivered += 1
            return self._items.popleft()

    def close(self):
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class JpegFanout(object):
    """`offer(image)` from the pipeline; viewers `add_viewer()` and read their ViewerQueue."""

    def __init__(self, quality):
        self._params = [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)]
        self._viewers = []
        self._pending = None
        self._wake = threading.Condition()
        self._stopping = False
        self.encoded = 0
        self._thread = threading.Thread(target=self._run, name="jpeg-encoder", daemon=True)
        self._thread.start()

    @property
    def viewers(self):
        with self._wake:
            return len(self._viewers)

    def add_viewer(self):
        viewer = ViewerQueue()
        with self._wake:
            self._viewers.append(viewer)
        return viewer

    def remove_viewer(self, viewer):
        viewer.close()
        with self._wake:
            if viewer in self._viewers:
                self._viewers.remove(viewer)

    def offer(self, image):
        """Keep `image` (not copied: the renderer makes a new one per frame) as the next to encode."""
        with self._wake:
            if not self._viewers:
                return
            self._pending = image
            self._wake.notify()

    def _run(self):
        while True:
            with self._wake:
                while self._pending is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                image, self._pending = self._pending, None
                viewers = list(self._viewers)
            ok, encoded = cv2.imencode(".jpg", image, self._params)  # releases the GIL
            if not ok:
                log.warning("JPEG encoding of a %s frame failed", image.shape)
                continue
            data = encoded.tobytes()
            self.encoded += 1
            for viewer in viewers:
                viewer.put(data)

    def close(self):
        with self._wake:
            self._stopping = True
            viewers, self._viewers = list(self._viewers), []
            self._wake.notify_all()
        for viewer in viewers:
            viewer.close()
        self._thread.join(5)
