"""Run statistics in bounded memory: histogram percentiles against numpy's exact ones, a live window
that stays its size, no FPS shown before one is measured, singular/plural in the summary."""

import numpy as np

from bisenet_deploy.runtime.latency import BIN_RATIO, LIVE_WINDOW, LatencyHistogram, RecentWindow
from bisenet_deploy.runtime.run_stats import RunStats


def test_histogram_percentiles_match_numpy_within_half_a_bin():
    rng = np.random.RandomState(0)
    samples = np.exp(rng.normal(np.log(0.02), 0.4, 20000))  # ~20 ms with a long tail, like frame times
    histogram = LatencyHistogram()
    for value in samples:
        histogram.add(value)
    for q in (5, 50, 95, 99):
        exact = np.percentile(samples, q)
        assert abs(histogram.quantile(q) / exact - 1) <= (BIN_RATIO - 1)  # at most one bin off
    assert histogram.quantile(0) >= samples.min() and histogram.quantile(100) <= samples.max()


def test_memory_does_not_grow_with_the_number_of_frames():
    stats = RunStats((480, 640))
    sizes = []
    for frame in range(20000):
        stats.add({"preprocess": 1.0, "network": 10.0 + frame % 7, "postprocess": 0.5, "overlay": 2.0})
        if frame in (999, 19999):
            sizes.append((sum(h.nbytes for h in stats.histograms.values()), len(stats.recent_network),
                          len(stats.recent_frame_ends)))
    assert sizes[0] == sizes[1] and sizes[0][1] == LIVE_WINDOW


def test_live_window_follows_recent_samples():
    window = RecentWindow(size=5)
    for value in [100.0] * 50 + [1.0] * 5:
        window.add(value)
    assert window.median() == 1.0 and len(window) == 5


def test_no_fps_before_the_first_frame_and_counted_nouns():
    stats = RunStats((64, 96))
    assert stats.status_line() is None
    stats.add({"network": 20.0})
    assert stats.status_line().startswith("net 50.0 FPS")
    assert stats.summary().startswith("1 frame in ") and "at 64x96" in stats.summary()
