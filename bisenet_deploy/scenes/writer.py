"""Write scenes in the two dataset layouts bisenet-eval reads (see runtime/datasets.py).

generic:  OUT/images/NAME.png (BGR picture) + OUT/labels/NAME.png (model class ids, 255 = ignore)
sunrgbd:  OUT/SPLIT/image/NAME.png + OUT/SPLIT/mask/NAME.npy, raw seed labels (id + 1, 0 = unlabeled)

Pictures are PNG so the pixels evaluated are exactly the pixels drawn. Every file is written to a
temporary name and renamed.
"""

import io
import os

import cv2
import numpy as np

from ..core.atomic import write_bytes_atomic
from ..core.errors import InputError
from ..core.metrics import IGNORE_INDEX

# The layouts evaluate/datasets.py reads (checked in tests/scenes: the generator sits on core only).
LAYOUTS = ("generic", "sunrgbd")


def scene_name(index):
    return "scene_{:05d}".format(index)


def _png(array, path):
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise InputError("OpenCV could not encode {}".format(path))
    return encoded.tobytes()


def seed_raw_labels(labels):
    """The seed's stored label convention: model class k -> k + 1, ignore -> 0 (unlabeled)."""
    raw = labels.astype(np.int32) + 1
    raw[labels == IGNORE_INDEX] = 0
    return raw


def scene_paths(out_dir, name, layout, split="test"):
    """(picture path, label path) of scene `name` in `layout`."""
    if layout == "generic":
        return (os.path.join(out_dir, "images", name + ".png"), os.path.join(out_dir, "labels", name + ".png"))
    if layout == "sunrgbd":
        return (os.path.join(out_dir, split, "image", name + ".png"),
                os.path.join(out_dir, split, "mask", name + ".npy"))
    raise InputError("unknown layout {!r}; choose {}".format(layout, ", ".join(LAYOUTS)))


def write_scene(out_dir, name, bgr, labels, layout="generic", split="test"):
    image_path, label_path = scene_paths(out_dir, name, layout, split)
    write_bytes_atomic(image_path, _png(bgr, image_path))
    if layout == "generic":
        write_bytes_atomic(label_path, _png(labels, label_path))
    else:
        buffer = io.BytesIO()
        np.save(buffer, seed_raw_labels(labels), allow_pickle=False)
        write_bytes_atomic(label_path, buffer.getvalue())
    return image_path, label_path
