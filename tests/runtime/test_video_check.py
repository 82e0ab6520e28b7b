"""The read-back check of a finished video: complete, one frame more than counted (a signal between the
encoder's write and the count), or short (a full disk), on a real encoded file."""

import cv2
import numpy as np

from bisenet_deploy.runtime.video_check import incomplete_video_reason


def test_a_video_is_complete_with_its_frames_or_one_uncounted_more_and_short_otherwise(tmp_path):
    path = str(tmp_path / "five.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    for value in range(5):
        writer.write(np.full((24, 32, 3), 40 * value, np.uint8))
    writer.release()
    assert incomplete_video_reason(path, 5) is None
    assert incomplete_video_reason(path, 4) is None  # written, interrupted before it was counted
    assert incomplete_video_reason(path, 3) == "it holds 5 of the 3 frames"
    assert incomplete_video_reason(path, 6) == "it holds 5 of the 6 frames"
    assert incomplete_video_reason(str(tmp_path / "missing.avi"), 1) == "it does not open as a video"
