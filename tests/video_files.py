"""Real encoded videos for the tests: write one, count what a reader gets back."""

import cv2
import numpy as np


def write_video(path, frames=24, size_wh=(80, 64), fps=12.0, noise=False):
    """An MJPG video of `frames` frames; `noise` makes every frame incompressible random pixels."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size_wh)
    rng = np.random.RandomState(0)
    for i in range(frames):
        if noise:
            frame = rng.randint(0, 255, (size_wh[1], size_wh[0], 3)).astype(np.uint8)
        else:
            frame = np.full((size_wh[1], size_wh[0], 3), (i * 9) % 255, np.uint8)
            frame[:, : size_wh[0] // 2] = rng.randint(0, 255, (size_wh[1], size_wh[0] // 2, 3))
        writer.write(frame)
    writer.release()
    return path


def frame_count(path):
    """(frames a reader decodes, (width, height))."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    capture.release()
    return count, size
