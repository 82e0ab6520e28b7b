"""The class CSVs in bisenet_deploy/data/: each loads for its dataset's class count, in the source's order,
with colours a viewer can tell apart."""

import pytest

from bisenet_deploy.core.classes import load_classes
from bisenet_deploy.core.datasets import DATASETS, SOURCE_NORMALIZATION, classes_csv

# Spot checks against the sources: cityscapesScripts helpers/labels.py (train ids 0, 13, 18), mmsegmentation's
# ADE20KDataset and COCOStuffDataset METAINFO (first, last and a few between).
KNOWN = {
    "cityscapes": {0: ("road", [128, 64, 128]), 10: ("sky", [70, 130, 180]), 13: ("car", [0, 0, 142]),
                   18: ("bicycle", [119, 11, 32])},
    "ade20k": {0: ("wall", [120, 120, 120]), 7: ("bed", [204, 5, 255]), 12: ("person", [150, 5, 61]),
               149: ("flag", [92, 0, 255])},
    "coco-stuff": {0: ("person", [0, 192, 64]), 80: ("banner", [0, 192, 0]), 170: ("wood", [64, 64, 0])},
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_csv_loads_for_its_class_count(name):
    dataset = DATASETS[name]
    names, colours = load_classes(dataset.num_classes, classes_csv(name))
    assert len(names) == len(colours) == dataset.num_classes
    assert len(set(names)) == len(names) and all(n == n.strip() and n for n in names)
    for index, (known_name, known_colour) in KNOWN.get(name, {}).items():
        assert (names[index], colours[index]) == (known_name, known_colour)


@pytest.mark.parametrize("name", list(DATASETS))
def test_colours_tell_the_classes_apart(name):
    colours = [tuple(c) for c in load_classes(DATASETS[name].num_classes, classes_csv(name))[1]]
    assert len(set(colours)) == len(colours)  # mmseg's palettes repeat a few; our CSVs give those a colour of their own

def test_coincheung_normalization_is_what_its_datasets_train_with():
    # CoinCheung/BiSeNet lib/data/cityscapes_cv2.py, coco.py and ade20k.py (ToTensor mean/std, RGB)
    assert SOURCE_NORMALIZATION[("coincheung", "cityscapes")] == ((0.3257, 0.3690, 0.3223), (0.2112, 0.2148, 0.2115))
    assert SOURCE_NORMALIZATION[("coincheung", "coco-stuff")] == (
        (0.46962251, 0.4464104, 0.40718787), (0.27469736, 0.27012361, 0.28515933))
    assert SOURCE_NORMALIZATION[("coincheung", "ade20k")] == (
        (0.49343230, 0.46819794, 0.43106043), (0.25680755, 0.25506608, 0.27422913))
