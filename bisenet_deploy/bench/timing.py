"""bisenet-bench's clocks: network-only, one frame end to end, and frames pipelined as bisenet-run runs
them, interleaved so that their ratios hold on a machine whose speed drifts."""

import time

import cv2
import numpy as np

from ..core.comparison import SAMPLE_IMAGE
from ..core.preprocess import preprocess

CAMERA_FRAME = (480, 640)  # end-to-end runs on what a camera delivers, not on a network-sized frame
PIPELINE_BLOCK = 6  # frames per pipelined run; the first result starts the clock, so 5 intervals each


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


def time_network_and_e2e(segmenter, warmup, iters, frame, step):
    # type: (Segmenter, int, int, np.ndarray, callable) -> dict
    """Seconds, warm-up excluded: per iteration network-only (the backend's timer) and segment() wall
    time (one frame alone); under "pipelined", per frame, the interval between results of frames
    submitted with one in flight, as bisenet-run's loop submits them (Segmenter.submit). The three are
    interleaved, PIPELINE_BLOCK iterations at a time, so on a machine whose speed drifts (a shared
    host) their ratios still compare like with like."""
    card = segmenter.card
    batch = preprocess(synthetic_frame(*segmenter.input_hw, seed=1), segmenter.input_hw, card["mean"], card["std"],
                       card["input"]["dtype"])
    times = {"network": [], "e2e": [], "preprocess": [], "postprocess": [], "pipelined": []}
    for index in range(warmup + iters):
        segmenter.backend.infer(batch)
        network = segmenter.backend.last_infer_seconds
        start = time.perf_counter()
        result = segmenter.segment(frame)
        elapsed = time.perf_counter() - start
        if index >= warmup:
            times["network"].append(network)
            times["e2e"].append(elapsed)
            times["preprocess"].append(result.timings["preprocess"])
            times["postprocess"].append(result.timings["postprocess"])
            if (index - warmup) % PIPELINE_BLOCK == PIPELINE_BLOCK - 1 or index == warmup + iters - 1:
                times["pipelined"] += pipelined_intervals(segmenter, frame, PIPELINE_BLOCK)
        step()
    return times


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
