"""bisenet-bench's clocks: network-only, one frame end to end, and frames pipelined as bisenet-run runs
them, interleaved so that their ratios hold on a machine whose speed drifts."""

import time

import cv2
import numpy as np

from ..core.comparison import SAMPLE_IMAGE
from ..core.preprocess import preprocess

CAMERA_FRAME = (480, 640)  # end-to-end runs on what a camera delivers, not on a network-sized frame


def synthetic_frame(height, width, seed=0):
    """A fixed random BGR uint8 frame, for network-only timing: the network's speed does not depend on
    the picture."""
    return np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)


def camera_frame(height, width):
    """The built-in sample picture at camera size, for end-to-end timing: a logits head's label step
    (label_upsample.py) interpolates only where classes meet, so its cost follows the picture's class
    boundaries, and a photo has a real number of them (random pixels would make a trained network's
    output noise)."""
    picture = cv2.imread(SAMPLE_IMAGE, cv2.IMREAD_COLOR)
    return cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA)


class ColumnTimer(object):
    """One model on one column as a job of the bench's rounds (rounds.py), its segmenter open for the
    whole bench. Seconds, warm-up excluded: per iteration network-only (the backend's timer) and
    segment() wall time (one frame alone); under "pipelined", the intervals between results of frames
    submitted with one in flight, as bisenet-run's loop submits them (Segmenter.submit). Each block
    interleaves the three, so their ratios compare like with like too; `round_network` holds each
    round's median network time, whose spread says how steady the host was."""

    def __init__(self, segmenter, frame, label):
        self.segmenter = segmenter
        self.frame = frame
        self.label = label
        card = segmenter.card
        self._batch = preprocess(synthetic_frame(*segmenter.input_hw, seed=1), segmenter.input_hw, card["mean"],
                                 card["std"], card["input"]["dtype"])
        self.times = {"network": [], "e2e": [], "preprocess": [], "postprocess": [], "pipelined": []}
        self.round_network = []

    def _iteration(self):
        self.segmenter.backend.infer(self._batch)
        network = self.segmenter.backend.last_infer_seconds
        start = time.perf_counter()
        result = self.segmenter.segment(self.frame)
        return network, time.perf_counter() - start, result

    def warm(self, count):
        for _ in range(count):
            self._iteration()

    @staticmethod
    def runs(count, warm):
        """Network runs per call: two per iteration (network-only, then segment()), and measure() adds
        count + 1 pipelined frames."""
        return 2 * count if warm else 3 * count + 1

    def measure(self, count):
        """`count` iterations, then `count` pipelined intervals (count + 1 frames)."""
        for _ in range(count):
            network, elapsed, result = self._iteration()
            self.times["network"].append(network)
            self.times["e2e"].append(elapsed)
            self.times["preprocess"].append(result.timings["preprocess"])
            self.times["postprocess"].append(result.timings["postprocess"])
        self.times["pipelined"] += pipelined_intervals(self.segmenter, self.frame, count + 1)
        self.round_network.append(float(np.median(self.times["network"][-count:])))


def pipelined_intervals(segmenter, frame, count):
    """The count - 1 intervals between the results of `count` frames submitted with one in flight."""
    finished = []
    pending = segmenter.submit(frame)
    for index in range(count):
        following = segmenter.submit(frame) if index + 1 < count else None
        pending.result()
        finished.append(time.perf_counter())
        pending = following
    return list(np.diff(finished))


def percentile_ms(seconds, percentile=50):
    """A percentile (the median by default) of durations in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(seconds) * 1000.0, percentile))
