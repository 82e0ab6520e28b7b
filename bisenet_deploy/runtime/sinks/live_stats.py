"""Rolling statistics of the last frames for the browser view's /stats.json: network and end-to-end FPS,
per-stage latency, and the share of each class in the newest frame (names and colours from the card): the
MAX_CLASSES_SHOWN largest, and how many more the frame holds."""

import collections
import threading
import time

import numpy as np

from ..segmenter import STAGES

WINDOW_FRAMES = 60  # about two seconds of a camera: live, yet steady enough to read
LABEL_STEP = 4  # class shares are counted on every 4th pixel in each direction: 1/16 of the work, same picture
MAX_CLASSES_SHOWN = 12


def _hex(rgb):
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))


class LiveStats(object):
    """`add()` per frame (cheap: the pipeline thread calls it); `snapshot()` when a viewer asks."""

    def __init__(self, names, colors, window=WINDOW_FRAMES):
        self.names, self.colors = list(names), list(colors)
        self.frames = 0
        self._recent = collections.deque(maxlen=window)  # (time, {stage: ms})
        self._labels = None
        self._lock = threading.Lock()

    def add(self, timings_ms, labels, now=None):
        small = np.ascontiguousarray(labels[::LABEL_STEP, ::LABEL_STEP])  # a copy: GPU label buffers are reused
        with self._lock:
            # the dict itself: the overlay stage is added to it when a later sink draws the overlay
            self._recent.append((time.monotonic() if now is None else now, timings_ms))
            self._labels = small
            self.frames += 1

    def snapshot(self):
        # type: () -> dict
        with self._lock:
            recent, labels, frames = list(self._recent), self._labels, self.frames
        stages = {}
        for _, timings in recent:
            for stage, ms in timings.items():
                stages.setdefault(stage, []).append(ms)
        latency = [{"stage": stage, "ms": round(float(np.median(stages[stage])), 2)}
                   for stage in list(STAGES) + sorted(set(stages) - set(STAGES)) if stage in stages]
        network = stages.get("network")
        span = recent[-1][0] - recent[0][0] if len(recent) > 1 else 0.0
        shown, more = self._class_shares(labels)
        return {
            "frames": frames,
            "network_fps": round(1000.0 / float(np.median(network)), 1) if network and np.median(network) > 0 else None,
            "end_to_end_fps": round((len(recent) - 1) / span, 1) if span > 0 else None,
            "latency_ms": latency,
            "classes": shown,
            "classes_more": more,
        }

    def _class_shares(self, labels):
        """([{index, name, color, share}] of the largest classes, how many other classes are present)."""
        if labels is None or labels.size == 0:
            return [], 0
        counts = np.bincount(labels.ravel().astype(np.int64), minlength=len(self.names))[:len(self.names)]
        order = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
        total = float(labels.size)
        shown = [{"index": i, "name": self.names[i], "color": _hex(self.colors[i]),
                  "share": round(float(counts[i]) / total, 4)} for i in order[:MAX_CLASSES_SHOWN]]
        return shown, len(order) - len(shown)
