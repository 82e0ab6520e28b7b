"""Draws the built-in sample image (bisenet_deploy/data/sample.jpg): a synthetic 480x640 indoor scene.

Kept so the sample can be regenerated; it is a plausible-looking room with wall, floor, window, door,
table and lamp regions, not a photograph, so it carries no licence.
"""

import os
import sys

import cv2
import numpy as np


def draw_room(height=480, width=640, seed=7):
    rng = np.random.RandomState(seed)
    image = np.zeros((height, width, 3), np.float32)
    horizon = int(height * 0.62)
    rows = np.linspace(0.0, 1.0, horizon)[:, None, None]
    image[:horizon] = (0.78 - 0.12 * rows) * np.array([196, 206, 214], np.float32) / 0.78  # wall, BGR
    floor_rows = np.linspace(0.0, 1.0, height - horizon)[:, None, None]
    image[horizon:] = np.array([70, 105, 150], np.float32) * (0.8 + 0.4 * floor_rows)  # wooden floor
    for x in range(-width, 2 * width, 48):  # floor boards converging to a vanishing point
        cv2.line(image, (width // 2 + (x - width // 2) // 6, horizon), (x, height), (52, 80, 118), 2)
    cv2.rectangle(image, (60, 70), (250, 250), (235, 235, 235), -1)  # window frame
    cv2.rectangle(image, (72, 82), (238, 238), (230, 190, 120), -1)  # sky
    cv2.line(image, (155, 82), (155, 238), (235, 235, 235), 6)
    cv2.line(image, (72, 160), (238, 160), (235, 235, 235), 6)
    cv2.rectangle(image, (470, 110), (580, horizon + 4), (45, 75, 120), -1)  # door
    cv2.circle(image, (565, 220), 5, (60, 190, 220), -1)
    table = np.array([[230, 300], [420, 300], [450, 345], [200, 345]], np.int32)
    cv2.fillPoly(image, [table], (40, 60, 95))  # table top
    for x in (215, 430):
        cv2.rectangle(image, (x - 6, 345), (x + 6, 420), (35, 50, 80), -1)
    cv2.rectangle(image, (300, 200), (312, 300), (90, 90, 90), -1)  # lamp stand
    cv2.fillPoly(image, [np.array([[270, 200], [342, 200], [325, 150], [287, 150]], np.int32)], (150, 220, 245))
    image += rng.normal(0.0, 4.0, image.shape).astype(np.float32)  # sensor noise, so JPEG is realistic
    return np.clip(cv2.GaussianBlur(image, (3, 3), 0), 0, 255).astype(np.uint8)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "bisenet_deploy", "data", "sample.jpg")
    cv2.imwrite(target, draw_room(), [cv2.IMWRITE_JPEG_QUALITY, 90])
    print("wrote", os.path.abspath(target))
