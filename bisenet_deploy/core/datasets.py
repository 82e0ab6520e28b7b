"""The datasets BiSeNet checkpoints are trained on, as data: classes and colours (a CSV each in
bisenet_deploy/data/) and the normalization each source project trains that dataset with.

The class count picks the default dataset (19 -> Cityscapes, 37 -> SUN RGB-D, 150 -> ADE20K, 171 ->
COCO-Stuff); a family (export/families/) names the source, which picks the mean/std.

The CSVs' sources: cityscapes19.csv, the train ids and colours of cityscapesScripts' helpers/labels.py;
ade20k150.csv and cocostuff171.csv, the classes and palettes of mmsegmentation's ADE20KDataset and
COCOStuffDataset (mmseg/datasets/ade.py, coco_stuff.py), except that where mmseg gives two classes
one colour the later class gets a distinct one (ADE20K: skyscraper; COCO-Stuff: bicycle, traffic
light, apple, broccoli, remote, oven, cloth, dirt, fog), so that every class can be told apart.
"""

import collections
import os

from .errors import InputError
from .modelcard import IMAGENET_MEAN, IMAGENET_STD

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")

# frame_size (H, W): where every picture of the dataset has one size (its models are evaluated at it),
# else None.
Dataset = collections.namedtuple("Dataset", "name title num_classes classes_csv frame_size")
DATASETS = collections.OrderedDict((d.name, d) for d in (
    Dataset("sunrgbd", "SUN RGB-D (37 classes)", 37, "sun37.csv", None),
    Dataset("cityscapes", "Cityscapes (19 train ids)", 19, "cityscapes19.csv", (1024, 2048)),
    Dataset("ade20k", "ADE20K / ADEChallengeData2016 (150 classes)", 150, "ade20k150.csv", None),
    Dataset("coco-stuff", "COCO-Stuff 164k (171 classes)", 171, "cocostuff171.csv", None),
))

# (source, dataset) -> (mean, std) on RGB in [0, 1], where a source deviates from ImageNet's statistics.
# CoinCheung/BiSeNet computes them per dataset: lib/data/cityscapes_cv2.py, coco.py, ade20k.py.
SOURCE_NORMALIZATION = {
    ("coincheung", "cityscapes"): ((0.3257, 0.3690, 0.3223), (0.2112, 0.2148, 0.2115)),
    ("coincheung", "coco-stuff"): ((0.46962251, 0.4464104, 0.40718787), (0.27469736, 0.27012361, 0.28515933)),
    ("coincheung", "ade20k"): ((0.49343230, 0.46819794, 0.43106043), (0.25680755, 0.25506608, 0.27422913)),
}


def dataset_named(name):
    # type: (str) -> Dataset
    if name not in DATASETS:
        raise InputError("unknown dataset {!r}; choose one of {}".format(name, ", ".join(DATASETS)))
    return DATASETS[name]


def dataset_for_classes(num_classes):
    """The dataset with `num_classes` classes, or None when no known dataset has that many."""
    for dataset in DATASETS.values():
        if dataset.num_classes == num_classes:
            return dataset
    return None


def normalization(source, dataset_name):
    # type: (str, str) -> tuple
    """(mean, std) lists the `source` project trains `dataset_name` with (ImageNet's unless listed)."""
    mean, std = SOURCE_NORMALIZATION.get((source, dataset_name), (IMAGENET_MEAN, IMAGENET_STD))
    return list(mean), list(std)


def classes_csv(dataset_name):
    # type: (str) -> str
    return os.path.join(DATA_DIR, dataset_named(dataset_name).classes_csv)
