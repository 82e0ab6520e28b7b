"""bisenet-bench's schedule: every job (a model on a column, a MatMul limit) is warmed up, then measured in
rounds that alternate between all of them, a block of iterations each in turn, so that when the
host's speed drifts every job sees the same drift and the ratios between columns (and a column's
share of its limit) hold. A job is anything with warm(count) and measure(count).

Long runs say how far they are: on a terminal tqdm's bar (with its own estimate of the time left),
elsewhere a log line per round with the time left, estimated from the time the rounds so far took per
iteration.
"""

import logging
import sys
import time

from ..core.lazy import is_installed, lazy_import

log = logging.getLogger(__name__)

ROUND_ITERS = 5  # timed iterations of each job per round: 50 iterations are 10 rounds


def round_sizes(iters, block=ROUND_ITERS):
    # type: (int, int) -> list
    """The timed iterations of each round: `block` each, the rest in a last, shorter one."""
    return [min(block, iters - start) for start in range(0, iters, block)]


def run_rounds(jobs, warmup, iters, progress, clock=time.monotonic):
    # type: (list, int, int, object, callable) -> None
    """Warm every job up, then run the rounds; `progress` gets step(iterations) after each job's block
    (warm-up included) and round_done(text) after each round."""
    for job in jobs:
        progress.describe("warming up {}".format(job.label))
        job.warm(warmup)
        progress.step(warmup)
    sizes = round_sizes(iters)
    started = clock()
    for index, size in enumerate(sizes):
        for job in jobs:
            progress.describe("round {}/{}: {}".format(index + 1, len(sizes), job.label))
            job.measure(size)
            progress.step(size)
        done = sum(sizes[:index + 1])
        progress.round_done(round_text(index + 1, len(sizes), eta_seconds(done, iters, clock() - started)))


def eta_seconds(done, total, elapsed):
    # type: (int, int, float) -> float
    """Seconds left at the pace so far: `done` of `total` iterations took `elapsed` seconds."""
    return elapsed / done * (total - done)


def duration_text(seconds):
    # type: (float) -> str
    """'45s', '1m20s', '2h05m'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return "{}s".format(seconds)
    if seconds < 3600:
        return "{}m{:02d}s".format(seconds // 60, seconds % 60)
    return "{}h{:02d}m".format(seconds // 3600, seconds % 3600 // 60)


def round_text(index, count, eta):
    # type: (int, int, float) -> str
    """'round 3/10, ETA 1m20s' ('round 10/10, done' after the last)."""
    if index >= count:
        return "round {}/{}, done".format(index, count)
    return "round {}/{}, ETA {}".format(index, count, duration_text(eta))


class Progress(object):
    """A tqdm bar on a terminal when tqdm is installed, else the round lines in the log."""

    def __init__(self, total):
        self._bar = None
        if is_installed("tqdm") and sys.stderr.isatty():  # a log file gets the plain lines
            tqdm = lazy_import("tqdm", "the bisenet-bench progress bar")
            self._bar = tqdm.tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True)

    def describe(self, text):
        if self._bar is not None:
            self._bar.set_description(text)
        else:
            log.debug("%s ...", text)

    def step(self, count):
        if self._bar is not None:
            self._bar.update(count)

    def round_done(self, text):
        if self._bar is None:
            log.info("%s", text)

    def close(self):
        if self._bar is not None:
            self._bar.close()
