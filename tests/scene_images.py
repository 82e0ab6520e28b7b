"""Scene pictures for calibration and agreement tests: generated scenes (bisenet-scenes' generator) of
assorted sizes around the demo model's input size."""

import os

import cv2
import numpy as np

from bisenet_deploy.scenes.demo_model import DEMO_INPUT_SIZE
from bisenet_deploy.scenes.scene import render_scene

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "bisenet_deploy", "data", "sample.jpg")


def write_scene_images(folder, count, seed=0):
    """`count` JPEGs of generated scenes, each scaled 0.75-1.5x the demo model's size, as paths."""
    os.makedirs(str(folder), exist_ok=True)
    rng = np.random.RandomState(seed)
    paths = []
    for index in range(count):
        scale = rng.uniform(0.75, 1.5)
        height, width = int(DEMO_INPUT_SIZE[0] * scale), int(DEMO_INPUT_SIZE[1] * scale * rng.uniform(0.9, 1.1))
        picture, _ = render_scene(100 + seed, index, height, width)
        path = os.path.join(str(folder), "scene{:03d}.jpg".format(index))
        assert cv2.imwrite(path, picture)
        paths.append(path)
    return paths
