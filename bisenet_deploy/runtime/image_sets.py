"""Sets of the user's own pictures, named once for calibration and the precision checks: a folder, a
glob, one image or a video (every K-th frame), and the ground-truth label PNGs named like them."""

import os

from ..core.errors import InputError
from ..core.images import dataset_images, is_glob, is_image_name
from .sources.images import list_images
from .sources.video import list_video_frames

SPEC_FORMS = "a folder of images, a glob such as 'frames/*.jpg', or a video file"
LABEL_EXTENSION = ".png"


def open_image_source(spec, frame_step=1, what="calibration images"):
    """The runtime source listing of `spec` (`what` names it in errors); its `keys` are known before
    anything is decoded."""
    if int(frame_step) < 1:
        raise InputError("the frame step must be at least 1, got {}".format(frame_step))
    if os.path.isfile(spec) and not is_image_name(spec):
        return list_video_frames(spec, int(frame_step), "{} is neither an image nor a video this OpenCV can open; "
                                 "{} are {}".format(spec, what, SPEC_FORMS))
    if not (os.path.exists(spec) or is_glob(spec)):
        raise InputError("{} not found: {} (expected {})".format(what, spec, SPEC_FORMS))
    return list_images(spec)


def find_labels(labels_dir, flag="--labels"):
    # type: (str, str) -> dict
    """{name: label path} for the PNG labels in `labels_dir` (class index per pixel, 255 = ignore)."""
    if not os.path.isdir(labels_dir):
        raise InputError("{} folder not found: {}".format(flag, labels_dir))
    labels = {}
    for entry in sorted(os.listdir(labels_dir)):
        stem, extension = os.path.splitext(entry)
        if extension.lower() == LABEL_EXTENSION:
            labels[stem] = os.path.join(labels_dir, entry)
    if not labels:
        raise InputError("no label PNGs (NAME.png, class index per pixel) in {}".format(labels_dir))
    return labels


def dataset_folders(spec):
    # type: (str) -> tuple
    """(images, labels folder or None): a folder in the generic dataset layout (IMAGES/ + LABELS/, what
    bisenet-scenes writes) stands for its pictures, with their labels; anything else for itself."""
    images, labels = dataset_images(spec), os.path.join(spec, "labels")
    if images:
        return images, labels if os.path.isdir(labels) else None
    return spec, None
