"""Evaluation datasets on disk: find (image, label) pairs and load them as model-index label maps.

These layouts are accepted (ROOT is the folder given to `discover`, SPLIT its `split`, whose default
each layout names below; core/labels.py maps each raw coding to model indices, 255 = ignore):

generic
    ROOT/images/NAME.{jpg,jpeg,png,bmp,tif,tiff}   the images
    ROOT/labels/NAME.png                            one single-channel PNG per image, same stem; each
                                                    pixel is the model's class index, 255 = ignore
    (SPLIT is not used.)

sunrgbd  (the seed's SUN RGB-D layout, Shuai-Xie/BiSeNet-wali:datasets/sun/mk_dataset.py; SPLIT "test")
    ROOT/SPLIT/image/NAME.{jpg,png,...}             the images
    ROOT/SPLIT/mask/NAME.npy   or  .../label/NAME.npy
                                                    raw labels: integer arrays, 0 = unlabeled,
                                                    1..37 = classes; NAME.png with the same raw values
                                                    is accepted too (.npy wins when both exist)
    or, when ROOT/SPLIT/image does not exist, the seed's path lists (used for its "valid" split):
    ROOT/SPLIT_img_paths.txt + ROOT/SPLIT_target_paths.txt
                                                    one path per line, paired by line; relative paths
                                                    are taken from ROOT
    Raw labels are mapped as the seed's `tr.mapbg(0)` does: raw k -> model class k-1, raw 0 -> 255.

cityscapes  (the official gtFine download; SPLIT "val")
    ROOT/leftImg8bit/SPLIT/CITY/NAME_leftImg8bit.png   the images
    ROOT/gtFine/SPLIT/CITY/NAME_gtFine_labelIds.png    labelIds 0..33, mapped to the 19 train ids

ade20k  (ADEChallengeData2016.zip as unpacked; SPLIT "validation" or "training")
    ROOT/images/SPLIT/NAME.jpg
    ROOT/annotations/SPLIT/NAME.png                    0 = other (ignored), 1..150 = class 0..149

coco-stuff  (COCO-Stuff 164k as its README unpacks it: train2017.zip and val2017.zip into ROOT/images/,
             stuffthingmaps_trainval2017.zip into ROOT/annotations/; SPLIT "val2017" or "train2017")
    ROOT/images/SPLIT/NAME.jpg
    ROOT/annotations/SPLIT/NAME.png   or  ROOT/stuffthingmaps/SPLIT/NAME.png
                                                    the raw stuffthingmaps: ids 0..181, 255 = unlabeled,
                                                    mapped to the 171 classes (never the converted
                                                    NAME_labelTrainIds.png files beside them)

"auto" picks the layout whose folders exist and refuses when several or none do. ade20k and coco-stuff
are told from generic by their annotations/ folder and its split subfolders (generic has labels/).
"""

import os

import cv2

from ..core.errors import InputError
from ..core.images import IMAGE_EXTENSIONS, read_image
from ..core.labels import LAYOUTS, Sample, load_label

__all__ = ["Sample", "LAYOUTS", "DEFAULT_SPLITS", "load_label", "detect_layout", "discover", "load_image",
           "load_pair", "resize_label"]
DEFAULT_SPLITS = {"generic": None, "sunrgbd": "test", "cityscapes": "val", "ade20k": "validation",
                  "coco-stuff": "val2017"}
SUN_LABEL_DIRS = ("mask", "label")  # the seed names it "mask"; "label" is the common alternative
SUN_LABEL_EXTENSIONS = (".npy", ".png")
CITYSCAPES_IMAGE_SUFFIX = "_leftImg8bit.png"
CITYSCAPES_LABEL_SUFFIX = "_gtFine_labelIds.png"
ADE20K_SPLITS = ("training", "validation")
ADE20K_LABEL_DIRS = ("annotations",)
COCO_STUFF_SPLITS = ("train2017", "val2017")
COCO_STUFF_LABEL_DIRS = ("annotations", "stuffthingmaps")  # the README's folder, or the zip's name
_SHOWN = 3  # how many offending files an error names


def _few(paths):
    shown = ", ".join(paths[:_SHOWN])
    return shown + (" and {} more".format(len(paths) - _SHOWN) if len(paths) > _SHOWN else "")


def _generic_dirs(root):
    return os.path.join(root, "images"), os.path.join(root, "labels")


def _sun_list_files(root, split):
    return (os.path.join(root, "{}_img_paths.txt".format(split)),
            os.path.join(root, "{}_target_paths.txt".format(split)))


def _has_generic(root):
    return all(os.path.isdir(path) for path in _generic_dirs(root))


def _has_sunrgbd(root, split):
    return os.path.isdir(os.path.join(root, split, "image")) or all(
        os.path.isfile(path) for path in _sun_list_files(root, split))


def _has_cityscapes(root):
    return all(os.path.isdir(os.path.join(root, name)) for name in ("leftImg8bit", "gtFine"))


def _has_split_folders(root, splits, label_dirs):
    """Whether ROOT/images/S and ROOT/L/S exist for one of the layout's splits S and label folders L."""
    return any(os.path.isdir(os.path.join(root, "images", split)) and
               any(os.path.isdir(os.path.join(root, name, split)) for name in label_dirs) for split in splits)


def _layouts_present(root, split):
    return [layout for layout, present in (
        ("generic", _has_generic(root)),
        ("sunrgbd", _has_sunrgbd(root, split or DEFAULT_SPLITS["sunrgbd"])),
        ("cityscapes", _has_cityscapes(root)),
        ("ade20k", _has_split_folders(root, ADE20K_SPLITS, ADE20K_LABEL_DIRS)),
        ("coco-stuff", _has_split_folders(root, COCO_STUFF_SPLITS, COCO_STUFF_LABEL_DIRS)),
    ) if present]


def detect_layout(root, split=None):
    # type: (str, str) -> str
    """The layout whose folders exist under `root` (see the module docstring)."""
    if not os.path.isdir(root):
        raise InputError("dataset folder not found: {}".format(root))
    found = _layouts_present(root, split)
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError("{} holds datasets in several layouts ({}); choose one with the layout option".format(
            root, " and ".join(found)))
    split = split or DEFAULT_SPLITS["sunrgbd"]
    images_dir, labels_dir = _generic_dirs(root)
    img_list, target_list = _sun_list_files(root, split)
    raise InputError("no dataset found in {}: looked for {} + {} (generic), {} + {}/{} (sunrgbd), "
                     "or {} + {} (sunrgbd path lists), leftImg8bit/ + gtFine/ (cityscapes), "
                     "images/{} + annotations/ (ade20k), images/{} + annotations|stuffthingmaps/ "
                     "(coco-stuff)".format(
                         root, images_dir, labels_dir, os.path.join(root, split, "image"),
                         os.path.join(root, split), "|".join(SUN_LABEL_DIRS), img_list, target_list,
                         "|".join(ADE20K_SPLITS), "|".join(COCO_STUFF_SPLITS)))


def _split_folder(parent, split, dataset):
    """PARENT/SPLIT, or InputError naming the splits that are there."""
    folder = os.path.join(parent, split)
    if not os.path.isdir(folder):
        found = sorted(entry for entry in os.listdir(parent) if os.path.isdir(os.path.join(parent, entry))) \
            if os.path.isdir(parent) else []
        raise InputError("{} split {!r} not found: no folder {}{}".format(
            dataset, split, folder, " (there: {})".format(", ".join(found)) if found else ""))
    return folder


def _image_files(folder):
    """{stem: path} of the images in `folder`, refusing two images with one stem."""
    images = {}
    for entry in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(entry)
        if extension.lower() not in IMAGE_EXTENSIONS or not os.path.isfile(os.path.join(folder, entry)):
            continue
        if stem in images:
            raise InputError("two images share the name {!r} in {}: {} and {}".format(
                stem, folder, os.path.basename(images[stem]), entry))
        images[stem] = os.path.join(folder, entry)
    if not images:
        raise InputError("no images ({}) in {}".format(" ".join(IMAGE_EXTENSIONS), folder))
    return images


def _pair_by_stem(images, label_candidates, expected):
    """Samples for every image; InputError naming the images none of whose label candidates exist."""
    samples, unlabeled = [], []
    for stem in sorted(images):
        label = next((path for path in label_candidates(stem) if os.path.isfile(path)), None)
        if label is None:
            unlabeled.append(images[stem])
        else:
            samples.append(Sample(stem, images[stem], label))
    if unlabeled:
        raise InputError("{} of {} images have no label (looked for {}): {}".format(
            len(unlabeled), len(images), expected, _few(unlabeled)))
    return samples


def _discover_generic(root):
    images_dir, labels_dir = _generic_dirs(root)
    for folder in (images_dir, labels_dir):
        if not os.path.isdir(folder):
            raise InputError("generic dataset folder not found: {}".format(folder))
    return _pair_by_stem(_image_files(images_dir), lambda stem: [os.path.join(labels_dir, stem + ".png")],
                         os.path.join(labels_dir, "NAME.png"))


def _discover_sun_folders(root, split):
    split_dir = os.path.join(root, split)
    label_dirs = [os.path.join(split_dir, name) for name in SUN_LABEL_DIRS
                  if os.path.isdir(os.path.join(split_dir, name))]
    if not label_dirs:
        raise InputError("SUN RGB-D label folder not found: {}/{}".format(split_dir, "|".join(SUN_LABEL_DIRS)))

    def candidates(stem):
        return [os.path.join(folder, stem + extension) for folder in label_dirs for extension in SUN_LABEL_EXTENSIONS]

    expected = os.path.join(split_dir, "|".join(os.path.basename(d) for d in label_dirs), "NAME.npy|png")
    return _pair_by_stem(_image_files(os.path.join(split_dir, "image")), candidates, expected)


def _read_path_list(path, root):
    with open(path) as handle:
        lines = [line.strip() for line in handle if line.strip()]
    return [line if os.path.isabs(line) else os.path.join(root, line) for line in lines]


def _discover_sun_lists(root, split):
    img_list, target_list = _sun_list_files(root, split)
    for path in (img_list, target_list):
        if not os.path.isfile(path):
            raise InputError("SUN RGB-D split not found: neither {} nor {}".format(
                os.path.join(root, split, "image"), path))
    images, labels = _read_path_list(img_list, root), _read_path_list(target_list, root)
    if len(images) != len(labels):
        raise InputError("{} lists {} images but {} lists {} labels".format(
            img_list, len(images), target_list, len(labels)))
    missing = [path for path in images + labels if not os.path.isfile(path)]
    if missing:
        raise InputError("{} of the files listed in {} are missing: {}".format(
            len(missing), os.path.basename(img_list) + "/" + os.path.basename(target_list), _few(missing)))
    return [Sample(os.path.splitext(os.path.basename(image))[0], image, label) for image, label in zip(images, labels)]


def _discover_sunrgbd(root, split):
    if os.path.isdir(os.path.join(root, split, "image")):
        return _discover_sun_folders(root, split)
    return _discover_sun_lists(root, split)


def _discover_cityscapes(root, split):
    images_split = _split_folder(os.path.join(root, "leftImg8bit"), split, "Cityscapes")
    labels_split = os.path.join(root, "gtFine", split)
    images, cities = {}, {}
    for city in sorted(os.listdir(images_split)):
        folder = os.path.join(images_split, city)
        if not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            if entry.endswith(CITYSCAPES_IMAGE_SUFFIX):
                stem = entry[:-len(CITYSCAPES_IMAGE_SUFFIX)]  # CITY_SEQ_FRAME: unique across cities
                images[stem], cities[stem] = os.path.join(folder, entry), city
    if not images:
        raise InputError("no *{} images in {}".format(CITYSCAPES_IMAGE_SUFFIX, os.path.join(images_split, "CITY")))

    def candidates(stem):
        return [os.path.join(labels_split, cities[stem], stem + CITYSCAPES_LABEL_SUFFIX)]

    return _pair_by_stem(images, candidates, os.path.join(labels_split, "CITY", "NAME" + CITYSCAPES_LABEL_SUFFIX))


def _discover_split_folders(root, split, label_dirs, dataset):
    """ROOT/images/SPLIT/NAME.jpg paired with ROOT/L/SPLIT/NAME.png, L the first of `label_dirs` that exists."""
    images_dir = _split_folder(os.path.join(root, "images"), split, dataset)
    candidates = [os.path.join(root, name, split) for name in label_dirs]
    labels_dir = next((folder for folder in candidates if os.path.isdir(folder)), None)
    if labels_dir is None:
        raise InputError("{} label folder not found: {}".format(dataset, " or ".join(candidates)))
    return _pair_by_stem(_image_files(images_dir), lambda stem: [os.path.join(labels_dir, stem + ".png")],
                         os.path.join(labels_dir, "NAME.png"))


_DISCOVER = {
    "generic": lambda root, split: _discover_generic(root),
    "sunrgbd": _discover_sunrgbd,
    "cityscapes": _discover_cityscapes,
    "ade20k": lambda root, split: _discover_split_folders(root, split, ADE20K_LABEL_DIRS, "ADE20K"),
    "coco-stuff": lambda root, split: _discover_split_folders(root, split, COCO_STUFF_LABEL_DIRS, "COCO-Stuff"),
}


def discover(root, layout="auto", split=None):
    # type: (str, str, str) -> list
    """The (image, label) pairs of the dataset at `root`, sorted by name (path lists keep their order);
    `split` None means the layout's default (DEFAULT_SPLITS)."""
    if layout == "auto":
        layout = detect_layout(root, split)
    elif layout not in LAYOUTS:
        raise InputError("unknown dataset layout {!r}; choose auto, {}".format(layout, ", ".join(LAYOUTS)))
    if not os.path.isdir(root):
        raise InputError("dataset folder not found: {}".format(root))
    samples = _DISCOVER[layout](root, split or DEFAULT_SPLITS[layout])
    if not samples:
        raise InputError("the dataset at {} ({} layout) lists no images".format(root, layout))
    return samples


def load_image(sample):
    # type: (Sample) -> np.ndarray
    """The sample's image as (h, w, 3) BGR uint8."""
    return read_image(sample.image_path)


def load_pair(sample, layout):
    # type: (Sample, str) -> tuple
    """(image, label) of one sample, refusing a label whose size differs from its image's."""
    image, label = load_image(sample), load_label(sample, layout)
    if image.shape[:2] != label.shape:
        raise InputError("label {} is {}x{} but its image {} is {}x{}".format(
            sample.label_path, label.shape[0], label.shape[1], sample.image_path, image.shape[0], image.shape[1]))
    return image, label


def resize_label(label, hw):
    # type: (np.ndarray, tuple) -> np.ndarray
    """`label` resized to (height, width) by nearest neighbour, so no new class indices appear."""
    height, width = int(hw[0]), int(hw[1])
    if height < 1 or width < 1:
        raise InputError("evaluation size must be positive, got {}x{}".format(height, width))
    if label.shape[:2] == (height, width):
        return label
    return cv2.resize(label, (width, height), interpolation=cv2.INTER_NEAREST)
