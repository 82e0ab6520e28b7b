"""Scene pictures for calibration and agreement tests, cut from the sample photo."""

import os

import cv2
import numpy as np

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "bisenet_deploy", "data", "sample.jpg")


def write_scene_images(folder, count, seed=0):
    """`count` JPEGs cut from the sample photo: random crops (so sizes differ), flips and brightness."""
    os.makedirs(str(folder), exist_ok=True)
    photo = cv2.imread(SAMPLE)
    height, width = photo.shape[:2]
    rng = np.random.RandomState(seed)
    paths = []
    for index in range(count):
        crop_h, crop_w = rng.randint(height // 3, height), rng.randint(width // 3, width)
        top, left = rng.randint(0, height - crop_h + 1), rng.randint(0, width - crop_w + 1)
        image = photo[top:top + crop_h, left:left + crop_w]
        if rng.rand() < 0.5:
            image = image[:, ::-1]
        image = np.clip(image.astype(np.float32) * rng.uniform(0.6, 1.4), 0, 255).astype(np.uint8)
        path = os.path.join(str(folder), "scene{:03d}.jpg".format(index))
        assert cv2.imwrite(path, image)
        paths.append(path)
    return paths
