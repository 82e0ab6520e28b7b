"""bisenet-bench's schedule: every job (a model on a column, a MatMul limit) is warmed up, then measured in
rounds that alternate between all of them, a block of iterations each in turn, so that when the
host's speed drifts every job sees the same drift and the ratios between columns (and a column's
share of its limit) hold. A job is anything with warm(count) and measure(count), and optionally
runs(count, warm): how many network (or MatMul) runs such a call makes (default: count).

Long runs say how far they are: what will be measured before the warm-up, an estimate of the time left
right after it (from the warm-up's pace per run), then on a terminal tqdm's bar, elsewhere a log line
per round with the time left at the pace of the rounds so far.
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
    """Warm every job up, then run the rounds; `progress` gets note(text) before the warm-up and after it
    (with the first estimate of the time left), step(iterations) after each job's block (warm-up
    included) and round_done(text) after each round."""
    sizes = round_sizes(iters)
    progress.note("measuring {} jobs: {} warm-up and {} timed iterations each, in {} rounds".format(
        len(jobs), warmup, iters, len(sizes)))
    warm_seconds = []
    for job in jobs:
        progress.describe("warming up {}".format(job.label))
        started = clock()
        job.warm(warmup)
        warm_seconds.append(clock() - started)
        progress.step(warmup)
    estimate = rounds_estimate(jobs, warm_seconds, warmup, sizes)
    progress.note("warm-up took {}; {}".format(duration_text(sum(warm_seconds)), "the time left follows each round"
                                                if estimate is None else "ETA {}".format(duration_text(estimate))))
    started = clock()
    for index, size in enumerate(sizes):
        for job in jobs:
            progress.describe("round {}/{}: {}".format(index + 1, len(sizes), job.label))
            job.measure(size)
            progress.step(size)
        done = sum(sizes[:index + 1])
        progress.round_done(round_text(index + 1, len(sizes), eta_seconds(done, iters, clock() - started)))


def job_runs(job, count, warm):
    # type: (object, int, bool) -> int
    """The runs one warm(count) or measure(count) of `job` makes."""
    runs = getattr(job, "runs", None)
    return count if runs is None else runs(count, warm)


def rounds_estimate(jobs, warm_seconds, warmup, sizes):
    # type: (list, list, int, list) -> float
    """Seconds the rounds will take at each job's warm-up pace per run; None when a job did not warm up."""
    total = 0.0
    for job, seconds in zip(jobs, warm_seconds):
        warm_runs = job_runs(job, warmup, True)
        if warm_runs <= 0:
            return None
        total += seconds / warm_runs * sum(job_runs(job, size, False) for size in sizes)
    return total


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

    def note(self, text):
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            log.info("%s", text)

    def step(self, count):
        if self._bar is not None:
            self._bar.update(count)

    def round_done(self, text):
        if self._bar is None:
            log.info("%s", text)

    def close(self):
        if self._bar is not None:
            self._bar.close()
