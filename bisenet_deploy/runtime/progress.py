"""Progress of a run over a file source: a bar on a terminal, a line every few seconds otherwise.

Frames, FPS and ETA go to stderr, so stdout keeps only the summary a script may parse.
"""

import sys
import time

from ..core.lazy import lazy_import

LINE_INTERVAL_S = 10.0  # a log (systemd, CI, a file) gets one line this often, not one per frame


class Progress(object):
    """`update()` once per frame; `close()` at the end. `total` may be None (unknown length)."""

    def __init__(self, total, stream=None, interval_s=None):
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self._interval = LINE_INTERVAL_S if interval_s is None else interval_s
        self._started = time.monotonic()
        self._next_line = self._started + self._interval
        self._bar = None
        if _is_terminal(self.stream):
            tqdm = lazy_import("tqdm", "the progress bar of bisenet-run")
            self._bar = tqdm.tqdm(total=total, unit="frame", file=self.stream, dynamic_ncols=True, leave=False)

    def update(self):
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        now = time.monotonic()
        if now >= self._next_line:
            self._next_line = now + self._interval
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now=None):
        elapsed = max((now or time.monotonic()) - self._started, 1e-9)
        fps = self.done / elapsed
        if not self.total:
            return "progress: frame {}, {:.1f} FPS".format(self.done, fps)
        left = max(self.total - self.done, 0)
        eta = "ETA {:.0f}s".format(left / fps) if fps > 0 else "ETA unknown"
        return "progress: frame {}/{} ({:.0f}%), {:.1f} FPS, {}".format(
            self.done, self.total, 100.0 * self.done / self.total, fps, eta)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
