"""Latency statistics in constant memory and constant time per sample, for runs that last hours.

A robot runs for hours at 30 FPS: keeping every sample grows memory without bound, and a median over
all of them on every frame grows the per-frame cost with it. So the summary's percentiles come from a
fixed histogram with logarithmic bins (1 % wide: a percentile is off by at most 0.5 %), and the live
status line from a window of the most recent samples.
"""

import collections
import math

import numpy as np

LOWEST_S = 1e-6   # 1 microsecond: faster than any stage we time
HIGHEST_S = 1e3   # 1000 s: slower than any frame we would wait for
BIN_RATIO = 1.01  # each bin 1 % wider than the one before
LIVE_WINDOW = 120  # samples the live line looks at: 4 s at 30 FPS, enough to be steady, short enough to follow


class LatencyHistogram(object):
    """Counts of durations (seconds) in fixed logarithmic bins; quantile() reads a percentile back."""

    def __init__(self):
        self._log_ratio = math.log(BIN_RATIO)
        self._bins = int(math.ceil(math.log(HIGHEST_S / LOWEST_S) / self._log_ratio)) + 1
        self._counts = np.zeros(self._bins, dtype=np.int64)
        self.count = 0
        self.minimum = None
        self.maximum = None

    def add(self, seconds):
        seconds = float(seconds)
        clamped = min(max(seconds, LOWEST_S), HIGHEST_S)
        self._counts[int(math.log(clamped / LOWEST_S) / self._log_ratio)] += 1
        self.count += 1
        self.minimum = seconds if self.minimum is None else min(self.minimum, seconds)
        self.maximum = seconds if self.maximum is None else max(self.maximum, seconds)

    def quantile(self, q):
        # type: (float) -> float
        """The q-th percentile (0-100) in seconds, to within half a bin; None when empty."""
        if not self.count:
            return None
        rank = q / 100.0 * (self.count - 1)
        index = int(np.searchsorted(np.cumsum(self._counts), rank, side="right"))
        middle = LOWEST_S * BIN_RATIO ** (index + 0.5)  # the bin's geometric middle
        return min(max(middle, self.minimum), self.maximum)

    @property
    def nbytes(self):
        return int(self._counts.nbytes)


class RecentWindow(object):
    """The last `size` samples, for a live reading that follows changes."""

    def __init__(self, size=LIVE_WINDOW):
        self._samples = collections.deque(maxlen=size)

    def add(self, value):
        self._samples.append(float(value))

    def median(self):
        return float(np.median(self._samples)) if self._samples else None

    def rate(self):
        """Samples per unit of their own value, for a window of timestamps: recent events per second."""
        if len(self._samples) < 2 or self._samples[-1] <= self._samples[0]:
            return None
        return (len(self._samples) - 1) / (self._samples[-1] - self._samples[0])

    def __len__(self):
        return len(self._samples)
