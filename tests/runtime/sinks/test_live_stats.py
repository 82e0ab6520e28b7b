"""Tests for bisenet_deploy/runtime/sinks/live_stats.py: FPS, latency and class shares of the last frames."""

import numpy as np

from bisenet_deploy.runtime.sinks.live_stats import LiveStats

NAMES = ["wall", "floor", "chair"]
COLORS = [[255, 0, 0], [0, 128, 0], [1, 2, 3]]


def test_snapshot_reports_rates_latency_and_shares_of_the_newest_frame():
    stats = LiveStats(NAMES, COLORS, window=10)
    labels = np.zeros((40, 40), np.int32)
    labels[:, 32:] = 2  # a fifth chair, the rest wall
    for i in range(5):  # 10 frames per second, 20 ms in the network
        stats.add({"preprocess": 2.0, "network": 20.0, "postprocess": 1.0 + i}, labels, now=100.0 + 0.1 * i)
    snap = stats.snapshot()
    assert snap["frames"] == 5
    assert snap["network_fps"] == 50.0 and snap["end_to_end_fps"] == 10.0
    assert [row["stage"] for row in snap["latency_ms"]] == ["preprocess", "network", "postprocess"]
    assert snap["latency_ms"][2]["ms"] == 3.0  # the median of 1..5
    assert [(c["name"], c["color"], c["share"]) for c in snap["classes"]] == [("wall", "#ff0000", 0.8),
                                                                              ("chair", "#010203", 0.2)]


def test_empty_stats_have_no_rates():
    snap = LiveStats(NAMES, COLORS).snapshot()
    assert snap["network_fps"] is None and snap["end_to_end_fps"] is None and snap["classes"] == []


def test_the_window_forgets_old_frames():
    stats = LiveStats(NAMES, COLORS, window=3)
    labels = np.ones((8, 8), np.int32)
    for i, ms in enumerate([100.0, 100.0, 10.0, 10.0, 10.0]):
        stats.add({"network": ms}, labels, now=float(i))
    assert stats.snapshot()["network_fps"] == 100.0


def test_a_frame_with_more_classes_than_shown_says_how_many_more():
    from bisenet_deploy.runtime.sinks.live_stats import MAX_CLASSES_SHOWN
    names = ["class_{}".format(i) for i in range(171)]
    stats = LiveStats(names, [[i, i, i] for i in range(171)])
    labels = np.repeat(np.arange(40, dtype=np.int32), np.arange(40, 0, -1) * 16).reshape(-1, 4)  # class 0 largest
    stats.add({"network": 10.0}, labels)
    snap = stats.snapshot()
    assert [c["index"] for c in snap["classes"]] == list(range(MAX_CLASSES_SHOWN))
    assert snap["classes_more"] == 40 - MAX_CLASSES_SHOWN
    stats.add({"network": 10.0}, np.zeros((8, 8), np.int32))
    assert stats.snapshot()["classes_more"] == 0
