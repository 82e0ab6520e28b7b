"""The datasets' own layouts in bisenet_deploy/evaluate/datasets.py: Cityscapes (gtFine labelIds), ADE20K
(ADEChallengeData2016) and COCO-Stuff 164k (stuffthingmaps), written small to tmp_path as each download
unpacks, with every raw value each coding has. The expected mappings are written here from the sources,
not taken from the package's tables."""

import json
import os

import cv2
import numpy as np
import pytest
from cli_capture import run_cli

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.evaluate.datasets import detect_layout, discover, load_label, load_pair

HEIGHT, WIDTH = 32, 64

# cityscapesScripts helpers/labels.py: the labelIds that have a train id, in train-id order (road .. bicycle)
CITYSCAPES_EVALUATED_IDS = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
# CoinCheung/BiSeNet lib/data/coco.py: the 11 thing ids of the 182 that COCO-Stuff never annotates
COCO_UNUSED_IDS = [11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90]


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array)
    return path


def image(seed):
    return np.random.default_rng(seed).integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def raw_label(values, seed):
    """A HEIGHTxWIDTH uint8 label whose first pixels are `values` in order, the rest drawn from them."""
    label = np.random.default_rng(seed).choice(np.asarray(values, np.uint8), size=HEIGHT * WIDTH)
    label[:len(values)] = values
    return label.reshape(HEIGHT, WIDTH)


def cityscapes_expected(raw):
    expected = np.full(raw.shape, 255, np.uint8)
    for train_id, label_id in enumerate(CITYSCAPES_EVALUATED_IDS):
        expected[raw == label_id] = train_id
    return expected


def ade20k_expected(raw):
    return np.where(raw == 0, 255, raw.astype(np.int64) - 1).astype(np.uint8)


def coco_stuff_expected(raw):
    expected = np.full(raw.shape, 255, np.uint8)
    used = [i for i in range(182) if i not in COCO_UNUSED_IDS]
    for index, raw_id in enumerate(used):
        expected[raw == raw_id] = index
    return expected


def make_cityscapes(root, split="val", cities=("lindau", "frankfurt"), per_city=2):
    """The gtFine download: images and labels per city, plus the colour and instance files it also holds."""
    raws = {}
    for number, city in enumerate(cities):
        for frame in range(per_city):
            stem = "{}_{:06d}_{:06d}".format(city, number, 19 + frame)
            seed = len(raws)
            write(os.path.join(root, "leftImg8bit", split, city, stem + "_leftImg8bit.png"), image(seed))
            raw = raw_label(list(range(34)) + [255], 100 + seed)  # every labelId 0..33, and 255
            gt = os.path.join(root, "gtFine", split, city, stem)
            write(gt + "_gtFine_labelIds.png", raw)
            write(gt + "_gtFine_color.png", image(200 + seed))
            write(gt + "_gtFine_instanceIds.png", raw.astype(np.uint16) * 1000)
            raws[stem] = raw
    return raws


def make_ade20k(root, split="validation", count=3):
    raws = {}
    for index in range(1, count + 1):
        stem = "ADE_{}_{:08d}".format("val" if split == "validation" else "train", index)
        write(os.path.join(root, "images", split, stem + ".jpg"), image(index))
        raws[stem] = write_raw(os.path.join(root, "annotations", split, stem + ".png"),
                               raw_label(list(range(151)), 300 + index))  # 0 (other) and 1..150
    return raws


def make_coco_stuff(root, split="val2017", label_dir="annotations", count=2):
    raws = {}
    for index in range(count):
        stem = "{:012d}".format(139 + index)
        write(os.path.join(root, "images", split, stem + ".jpg"), image(index))
        raws[stem] = write_raw(os.path.join(root, label_dir, split, stem + ".png"),
                               raw_label(list(range(182)) + [255], 400 + index))  # unused ids included
        # mmsegmentation's converted file beside it (already 0..170): never read
        write(os.path.join(root, label_dir, split, stem + "_labelTrainIds.png"), np.full((HEIGHT, WIDTH), 7, np.uint8))
    return raws


def write_raw(path, raw):
    write(path, raw)
    return raw


def test_cityscapes_is_found_per_city_and_labelids_become_train_ids(tmp_path):
    root = str(tmp_path)
    raws = make_cityscapes(root)
    make_cityscapes(root, split="train", cities=("aachen",), per_city=1)
    assert detect_layout(root) == "cityscapes"
    samples = discover(root)  # the default split is val
    assert [s.name for s in samples] == sorted(raws) == ["frankfurt_000001_000019", "frankfurt_000001_000020",
                                                          "lindau_000000_000019", "lindau_000000_000020"]
    assert samples[0].image_path == os.path.join(root, "leftImg8bit", "val", "frankfurt",
                                                 "frankfurt_000001_000019_leftImg8bit.png")
    assert samples[0].label_path == os.path.join(root, "gtFine", "val", "frankfurt",
                                                 "frankfurt_000001_000019_gtFine_labelIds.png")
    for sample in samples:
        label = load_label(sample, "cityscapes")
        np.testing.assert_array_equal(label, cityscapes_expected(raws[sample.name]))
        # labelIds 0..33 then 255: void (0-6), parking 9, rail track 10, guard rail 14, bridge 15, tunnel 16,
        # polegroup 18, caravan 29, trailer 30 are ignored; road 7 -> 0 ... bicycle 33 -> 18
        assert label.ravel()[:35].tolist() == [255] * 7 + [0, 1, 255, 255, 2, 3, 4, 255, 255, 255, 5, 255, 6, 7, 8,
                                                          9, 10, 11, 12, 13, 14, 15, 255, 255, 16, 17, 18, 255]
    assert [s.name for s in discover(root, "cityscapes", "train")] == ["aachen_000000_000019"]


def test_cityscapes_image_without_labelids_is_named(tmp_path):
    root = str(tmp_path)
    make_cityscapes(root, cities=("lindau",), per_city=1)
    os.remove(os.path.join(root, "gtFine", "val", "lindau", "lindau_000000_000019_gtFine_labelIds.png"))
    with pytest.raises(InputError, match=r"1 of 1 images have no label.*lindau_000000_000019_leftImg8bit\.png"):
        discover(root)


def test_ade20k_shifts_classes_and_ignores_zero(tmp_path):
    root = str(tmp_path)
    raws = make_ade20k(root)
    make_ade20k(root, split="training", count=1)
    assert detect_layout(root) == "ade20k"
    samples = discover(root)  # the default split is validation
    assert [s.name for s in samples] == ["ADE_val_00000001", "ADE_val_00000002", "ADE_val_00000003"]
    assert samples[0].label_path == os.path.join(root, "annotations", "validation", "ADE_val_00000001.png")
    for sample in samples:
        image_array, label = load_pair(sample, "ade20k")
        assert image_array.shape[:2] == label.shape == (HEIGHT, WIDTH)
        np.testing.assert_array_equal(label, ade20k_expected(raws[sample.name]))
        assert label.ravel()[:3].tolist() == [255, 0, 1] and label.ravel()[150] == 149
    assert [s.name for s in discover(root, "auto", "training")] == ["ADE_train_00000001"]


def test_coco_stuff_maps_182_ids_to_171_classes(tmp_path):
    root = str(tmp_path)
    raws = make_coco_stuff(root)
    assert detect_layout(root) == "coco-stuff"
    samples = discover(root)  # the default split is val2017
    assert [s.name for s in samples] == ["000000000139", "000000000140"]
    assert samples[0].label_path == os.path.join(root, "annotations", "val2017", "000000000139.png")
    for sample in samples:
        label = load_label(sample, "coco-stuff")
        np.testing.assert_array_equal(label, coco_stuff_expected(raws[sample.name]))
        flat = label.ravel()
        assert flat[0] == 0 and flat[10] == 10  # person, fire hydrant
        assert [flat[i] for i in COCO_UNUSED_IDS] == [255] * 11  # the thing ids COCO-Stuff never annotates
        assert flat[12] == 11 and flat[91] == 80 and flat[181] == 170  # stop sign, banner (first stuff), wood
        assert flat[182] == 255  # unlabeled
        assert set(np.unique(label)) == set(range(171)) | {255}


def test_coco_stuff_under_the_zips_folder_name(tmp_path):
    root = str(tmp_path)
    raws = make_coco_stuff(root, split="train2017", label_dir="stuffthingmaps", count=1)
    assert detect_layout(root) == "coco-stuff"
    samples = discover(root, split="train2017")
    assert samples[0].label_path == os.path.join(root, "stuffthingmaps", "train2017", "000000000139.png")
    np.testing.assert_array_equal(load_label(samples[0], "coco-stuff"), coco_stuff_expected(raws["000000000139"]))


@pytest.mark.parametrize("layout, values, accepted", [
    ("cityscapes", [7, 34], "labelIds 0..33"),
    ("ade20k", [0, 151], "0..150"),
    ("coco-stuff", [0, 182], "0..181"),
])
def test_values_outside_a_coding_are_refused_with_the_file(tmp_path, layout, values, accepted):
    from bisenet_deploy.core.labels import Sample
    path = write(str(tmp_path / "label.png"), raw_label(values, 0))
    with pytest.raises(InputError, match=r"label\.png holds values outside .*{}.*: {}$".format(accepted, values[1])):
        load_label(Sample("label", "unused.jpg", path), layout)


def test_generic_and_ade20k_are_told_apart(tmp_path):
    generic = tmp_path / "generic"
    write(str(generic / "images" / "a.jpg"), image(0))
    write(str(generic / "labels" / "a.png"), np.zeros((HEIGHT, WIDTH), np.uint8))
    assert detect_layout(str(generic)) == "generic"
    # images/ without split folders and a stray annotations/ folder is still generic
    os.makedirs(str(generic / "annotations"))
    assert detect_layout(str(generic)) == "generic"
    ade = tmp_path / "ade"
    make_ade20k(str(ade), count=1)
    assert detect_layout(str(ade)) == "ade20k"
    os.makedirs(str(ade / "labels"))  # an ADE folder that also looks generic: the user says which
    with pytest.raises(InputError, match="several layouts.*generic and ade20k"):
        detect_layout(str(ade))
    assert len(discover(str(ade), "ade20k")) == 1


def test_a_missing_split_names_the_splits_there(tmp_path):
    root = str(tmp_path)
    make_ade20k(root, split="training", count=1)
    with pytest.raises(InputError, match=r"ADE20K split 'validation' not found.*\(there: training\)"):
        discover(root)
    make_cityscapes(str(tmp_path / "city"), split="train", cities=("aachen",), per_city=1)
    with pytest.raises(InputError, match=r"Cityscapes split 'val' not found.*\(there: train\)"):
        discover(str(tmp_path / "city"))


def test_the_sunrgbd_default_split_is_still_test(tmp_path):
    root = str(tmp_path)
    write(os.path.join(root, "test", "image", "a.jpg"), image(0))
    write(os.path.join(root, "test", "mask", "a.png"), np.ones((HEIGHT, WIDTH), np.uint8))
    assert detect_layout(root) == "sunrgbd" and [s.name for s in discover(root)] == ["a"]


def numpy_miou(labels, predictions, num_classes):
    """mIoU over the classes in the ground truth or the prediction, ignore (255) pixels left out."""
    ious = []
    for c in range(num_classes):
        gt_c = np.concatenate([(label == c).ravel() for label in labels])
        pred_c = np.concatenate([((p == c) & (label != 255)).ravel() for label, p in zip(labels, predictions)])
        union = np.logical_or(gt_c, pred_c).sum()
        if union:
            ious.append(np.logical_and(gt_c, pred_c).sum() / float(union))
    return float(np.mean(ious))


@pytest.fixture(scope="module")
def cityscapes_model(tmp_path_factory):
    """A random-weight 19-class seed-format model exported at the dataset's 32x64 (labels head)."""
    from bisenet_deploy.export.demo import write_demo_checkpoint
    from model_files import export_onnx
    folder = tmp_path_factory.mktemp("city_model")
    checkpoint = write_demo_checkpoint(str(folder / "city19.pth"), in_planes=8, num_classes=19, seed=3)
    return export_onnx(checkpoint, folder, "city19", "{}x{}".format(HEIGHT, WIDTH), "labels")


def test_bisenet_eval_on_cityscapes_matches_numpy_on_the_same_predictions(tmp_path, cityscapes_model):
    from bisenet_deploy.evaluate.main import main as eval_main
    from bisenet_deploy.runtime.run import main as run_main
    root = str(tmp_path / "cityscapes")
    raws = make_cityscapes(root, cities=("lindau",), per_city=3)
    report_path = str(tmp_path / "report.json")
    code, stdout, stderr = run_cli(eval_main, "--model", cityscapes_model, "--data", root, "--json", report_path)
    assert code == 0, stderr
    report = json.loads(open(report_path).read())
    assert report["layout"] == "cityscapes" and report["samples"] == 3
    assert [c["name"] for c in report["results"][0]["per_class"]][:2] == ["road", "sidewalk"]  # the card's classes
    # the same model's predictions, written by bisenet-run, scored here against the raw labelIds
    out = str(tmp_path / "pred") + os.sep
    code, _, stderr = run_cli(run_main, "--model", cityscapes_model, "--images",
                              os.path.join(root, "leftImg8bit", "val", "lindau"), "--output", out, "--headless")
    assert code == 0, stderr
    stems = sorted(raws)
    predictions = [cv2.imread(os.path.join(out, stem + "_leftImg8bit_labels.png"), cv2.IMREAD_UNCHANGED)
                   for stem in stems]
    labels = [cityscapes_expected(raws[stem]) for stem in stems]
    assert report["results"][0]["mIoU"] == pytest.approx(numpy_miou(labels, predictions, 19), abs=1e-12)
