"""Images from a live ROS 1 topic, newest first: the subscriber callback only keeps the latest message
in a one-slot mailbox, so a slow network never builds a queue; a message replaced before it was
taken is counted as dropped. Conversion to BGR happens on the consumer's thread, not in rospy's."""

import threading

from ..ros_image import UnsupportedImage, bgr_from_compressed, bgr_from_image, header_meta
from .base import Frame

# rospy's default 64 KB socket buffer makes a queue_size=1 subscriber lag behind large images
SUBSCRIBER_BUFF_SIZE = 1 << 24


class LatestImageSubscriber(object):
    """`next_frame(timeout)` -> a Frame of the newest unseen message, or None.

    Its meta is header_meta() plus "encoding" and "header" (the message's own std_msgs/Header); `dropped` counts messages replaced before they were taken,
    `skipped` messages that could not be converted (logged once per topic and reason through `warn`).
    """

    def __init__(self, rospy, topic, message_class, compressed, warn):
        self.topic = topic
        self.compressed = compressed
        self.dropped = 0
        self.skipped = 0
        self.received = 0
        self._warn = warn
        self._warned = set()
        self._message = None
        self._ready = threading.Condition()
        self._subscriber = rospy.Subscriber(topic, message_class, self._on_message, queue_size=1,
                                            buff_size=SUBSCRIBER_BUFF_SIZE)

    def _on_message(self, message):
        with self._ready:
            if self._message is not None:
                self.dropped += 1  # never processed: a newer one is here
            self._message = message
            self.received += 1
            self._ready.notify()

    def _take(self, timeout):
        with self._ready:
            if self._message is None:
                self._ready.wait(timeout)
            message, self._message = self._message, None
        return message

    def next_frame(self, timeout=0.5):
        """The newest message as a Frame; None on timeout or when it could not be converted."""
        message = self._take(timeout)
        if message is None:
            return None
        try:
            frame = bgr_from_compressed(message) if self.compressed else bgr_from_image(message)
        except UnsupportedImage as exc:
            self.skipped += 1
            reason = str(exc).split(" (")[0]
            if reason not in self._warned:  # one line per topic and kind of problem, not one per frame
                self._warned.add(reason)
                self._warn("{}: {}; skipping such images".format(self.topic, exc))
            return None
        meta = header_meta(message.header)
        meta["encoding"] = "compressed" if self.compressed else message.encoding
        meta["header"] = message.header
        sec, nsec = meta["stamp"]
        return Frame(frame, "{:06d}".format(self.received), sec + nsec * 1e-9, meta)

    def close(self):
        self._subscriber.unregister()
