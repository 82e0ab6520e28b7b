"""Test frames that carry their own index, readable back after lossy video codecs."""

import numpy as np

WIDTH, HEIGHT = 64, 48


def painted(index):
    """A 64x48 frame whose 8 columns of 8 px spell `index` in binary (white = 1); survives lossy codecs."""
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for bit in range(8):
        if index >> bit & 1:
            frame[:, bit * 8:(bit + 1) * 8] = 255
    return frame


def index_of(frame):
    columns = [frame[:, bit * 8:(bit + 1) * 8].mean() > 127 for bit in range(8)]
    return sum(1 << bit for bit, on in enumerate(columns) if on)


def read_frames(capture):
    """Every frame an opened cv2.VideoCapture delivers, then released."""
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames
