"""Image files: which names count as images, how folders and globs are listed, how a file is decoded."""

import glob
import os
import re

import cv2
import numpy as np

from .errors import InputError

# Everything OpenCV 4.1's imdecode reads that a camera or data set is likely to hold.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm")
GLOB_CHARACTERS = "*?["
DATASET_IMAGES = "images"  # the generic data set layout (what bisenet-scenes writes): images/ beside labels/


def is_image_name(path):
    # type: (str) -> bool
    return path.lower().endswith(IMAGE_EXTENSIONS)


def is_glob(text):
    # type: (str) -> bool
    return any(char in text for char in GLOB_CHARACTERS)


def natural_key(path):
    """frame2.png before frame10.png, as a person numbering files expects."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path)]


def stem(path):
    # type: (str) -> str
    """The file's name without folder and extension: what labels and outputs are matched by."""
    return os.path.splitext(os.path.basename(path))[0]


def images_in_folder(folder):
    # type: (str) -> list
    """The image files directly in `folder`, in natural name order; InputError when there are none."""
    paths = [os.path.join(folder, name) for name in os.listdir(folder) if is_image_name(name)]
    paths = [path for path in paths if os.path.isfile(path)]
    if not paths:
        raise InputError("no images ({}) in folder {}".format(" ".join(IMAGE_EXTENSIONS), folder))
    return sorted(paths, key=natural_key)


def dataset_images(folder):
    # type: (str) -> str
    """`folder`/images when `folder` is a data set in the generic layout (images/ + labels/, what
    bisenet-scenes writes) and holds no pictures itself; else None. Every flag that reads a folder of
    pictures takes such a data set for its pictures."""
    images = os.path.join(folder, DATASET_IMAGES)
    if not (os.path.isdir(folder) and os.path.isdir(images)):
        return None
    return None if any(is_image_name(entry) for entry in os.listdir(folder)) else images


def glob_files(pattern):
    # type: (str) -> list
    """The files a glob matches (recursive ** allowed), in natural name order."""
    return sorted((path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)), key=natural_key)


def decode_image(path):
    """BGR uint8 image, or None when the file is missing, empty or not a decodable image."""
    # Reading bytes ourselves also copes with paths cv2.imread cannot open (non-ASCII on Windows).
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except (IOError, OSError):
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def read_image(path):
    """BGR uint8 image; InputError when the file cannot be decoded."""
    image = decode_image(path)
    if image is None:
        raise InputError("cannot read image {}: missing, corrupt or not an image".format(path))
    return image
