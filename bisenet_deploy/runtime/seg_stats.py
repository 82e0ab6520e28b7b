"""The per-frame statistics record the ROS node and the bag sink publish on `<...>/stats` (JSON):
what the robot's planner and a person watching `rostopic echo` want to know about each frame."""

import json

import numpy as np


def class_fractions(labels, names):
    # type: (np.ndarray, list) -> dict
    """{class name: share of the frame's pixels} for the classes present."""
    counts = np.bincount(np.asarray(labels).ravel(), minlength=len(names))
    total = float(max(labels.size, 1))
    return dict((names[i], round(float(counts[i]) / total, 6)) for i in np.flatnonzero(counts) if i < len(names))


def stats_record(labels, names, timings, stamp, frame_index, network_fps=None, end_to_end_fps=None,
                 latency_s=None, dropped=0, skipped=0):
    """A JSON-ready dict: per-class pixel fractions, FPS, latency from the image stamp, drops, stage times
    (`timings`: {stage: milliseconds}, a FrameResult's)."""
    record = {
        "frame": int(frame_index),
        "stamp": stamp,
        "class_fractions": class_fractions(labels, names),
        "timings_ms": dict((stage, round(float(ms), 3)) for stage, ms in sorted(timings.items())),
        "frames_dropped": int(dropped),
        "frames_skipped": int(skipped),
    }
    if network_fps is not None:
        record["network_fps"] = round(float(network_fps), 3)
    if end_to_end_fps is not None:
        record["end_to_end_fps"] = round(float(end_to_end_fps), 3)
    if latency_s is not None:
        record["latency_ms"] = round(1000.0 * latency_s, 3)
    return record


def stats_json(record):
    # type: (dict) -> str
    return json.dumps(record, sort_keys=True, allow_nan=False)
