"""Tests for bisenet_deploy/evaluate/datasets.py: real datasets written to tmp_path in both layouts."""

import os

import cv2
import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.evaluate.datasets import Sample, detect_layout, discover, load_image, load_label, load_pair, resize_label

HEIGHT, WIDTH = 12, 16


def random_image(seed):
    return np.random.default_rng(seed).integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".npy"):
        np.save(path, array)
    else:
        assert cv2.imwrite(path, array)
    return path


def make_generic(root, names=("b", "a", "c")):
    """images/NAME.jpg + labels/NAME.png with class indices 0..4 and some 255; returns {name: label}."""
    labels = {}
    for seed, name in enumerate(names):
        write(os.path.join(root, "images", name + ".jpg"), random_image(seed))
        label = np.random.default_rng(100 + seed).integers(0, 5, size=(HEIGHT, WIDTH)).astype(np.uint8)
        label[0, :4] = 255
        write(os.path.join(root, "labels", name + ".png"), label)
        labels[name] = label
    return labels


def make_sun(root, split="test", names=("img_0002", "img_0001"), label_dir="mask", extension=".npy"):
    """SPLIT/image/NAME.jpg + SPLIT/LABEL_DIR/NAME.npy with raw values 0..37; returns {name: raw}."""
    raws = {}
    for seed, name in enumerate(names):
        write(os.path.join(root, split, "image", name + ".jpg"), random_image(seed))
        raw = np.random.default_rng(200 + seed).integers(0, 38, size=(HEIGHT, WIDTH))
        raw[0, 0], raw[0, 1], raw[0, 2], raw[0, 3] = 0, 5, 1, 37
        if extension == ".png":
            raw = raw.astype(np.uint8)
        write(os.path.join(root, split, label_dir, name + extension), raw)
        raws[name] = raw
    return raws


def expected_from_raw(raw):
    """The seed's mapbg(0), written independently: raw 0 -> 255, raw k -> k - 1."""
    return np.where(raw == 0, 255, raw - 1).astype(np.uint8)


@pytest.mark.parametrize("layout", ["auto", "generic"])
def test_generic_layout_is_discovered_sorted_with_matching_labels(tmp_path, layout):
    root = str(tmp_path)
    labels = make_generic(root)
    samples = discover(root, layout=layout)
    assert [s.name for s in samples] == ["a", "b", "c"]
    assert samples[0] == Sample("a", os.path.join(root, "images", "a.jpg"), os.path.join(root, "labels", "a.png"))
    assert detect_layout(root) == "generic"
    for sample in samples:
        np.testing.assert_array_equal(load_label(sample, "generic"), labels[sample.name])


@pytest.mark.parametrize("layout", ["auto", "sunrgbd"])
def test_sun_layout_is_discovered_and_raw_labels_are_mapped(tmp_path, layout):
    root = str(tmp_path)
    raws = make_sun(root)
    samples = discover(root, layout=layout)
    assert [s.name for s in samples] == ["img_0001", "img_0002"]
    assert samples[0].label_path == os.path.join(root, "test", "mask", "img_0001.npy")
    assert detect_layout(root) == "sunrgbd"
    for sample in samples:
        label = load_label(sample, "sunrgbd")
        assert label.dtype == np.uint8 and label.shape == (HEIGHT, WIDTH)
        # the four planted raw values: 0 -> ignore, 5 -> 4, 1 -> 0, 37 -> 36
        assert label[0, :4].tolist() == [255, 4, 0, 36]
        np.testing.assert_array_equal(label, expected_from_raw(raws[sample.name]))


def test_sun_layout_accepts_label_folder_and_raw_png_labels(tmp_path):
    root = str(tmp_path)
    raws = make_sun(root, split="train", label_dir="label", extension=".png")
    samples = discover(root, layout="auto", split="train")
    assert [os.path.basename(s.label_path) for s in samples] == ["img_0001.png", "img_0002.png"]
    for sample in samples:
        np.testing.assert_array_equal(load_label(sample, "sunrgbd"), expected_from_raw(raws[sample.name]))


def test_sun_path_lists_keep_their_order_and_resolve_relative_paths(tmp_path):
    root = str(tmp_path)
    raws = make_sun(root, split="test")
    names = ["img_0002", "img_0001"]
    (tmp_path / "valid_img_paths.txt").write_text("".join("test/image/{}.jpg\n".format(n) for n in names))
    (tmp_path / "valid_target_paths.txt").write_text(
        "".join(os.path.join(root, "test", "mask", n + ".npy") + "\n" for n in names))
    samples = discover(root, layout="auto", split="valid")
    assert [s.name for s in samples] == names
    assert samples[0].image_path == os.path.join(root, "test", "image", "img_0002.jpg")
    np.testing.assert_array_equal(load_label(samples[0], "sunrgbd"), expected_from_raw(raws["img_0002"]))


def test_path_list_naming_a_missing_file_is_input_error(tmp_path):
    (tmp_path / "valid_img_paths.txt").write_text("gone/x.jpg\n")
    (tmp_path / "valid_target_paths.txt").write_text("gone/x.npy\n")
    with pytest.raises(InputError, match="x.jpg"):
        discover(str(tmp_path), split="valid")


def test_image_without_label_is_input_error_naming_it(tmp_path):
    root = str(tmp_path)
    make_generic(root)
    os.remove(os.path.join(root, "labels", "b.png"))
    with pytest.raises(InputError, match=r"1 of 3 images have no label.*b\.jpg"):
        discover(root)


def test_label_under_another_name_is_input_error(tmp_path):
    root = str(tmp_path)
    make_sun(root, names=("img_0001",))
    os.rename(os.path.join(root, "test", "mask", "img_0001.npy"), os.path.join(root, "test", "mask", "img_1.npy"))
    with pytest.raises(InputError, match="img_0001.jpg"):
        discover(root, layout="sunrgbd")


def test_empty_folder_is_input_error_listing_what_was_looked_for(tmp_path):
    with pytest.raises(InputError, match=r"no dataset found.*images.*test.image.*test_img_paths\.txt"):
        discover(str(tmp_path))


def test_empty_images_folder_is_input_error(tmp_path):
    os.makedirs(str(tmp_path / "images"))
    os.makedirs(str(tmp_path / "labels"))
    with pytest.raises(InputError, match="no images"):
        discover(str(tmp_path), layout="generic")


def test_missing_root_and_unknown_layout_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        discover(str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="unknown dataset layout"):
        discover(str(tmp_path), layout="kitti")


def test_both_layouts_present_needs_an_explicit_choice(tmp_path):
    root = str(tmp_path)
    make_generic(root)
    make_sun(root)
    with pytest.raises(InputError, match="several layouts.*generic and sunrgbd"):
        discover(root)
    assert len(discover(root, layout="generic")) == 3
    assert len(discover(root, layout="sunrgbd")) == 2


def test_corrupt_png_label_is_input_error_naming_the_file(tmp_path):
    root = str(tmp_path)
    make_generic(root)
    corrupt = os.path.join(root, "labels", "a.png")
    with open(corrupt, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n not really a png")
    sample = discover(root)[0]
    with pytest.raises(InputError, match="a.png"):
        load_label(sample, "generic")


def test_corrupt_npy_label_is_input_error_naming_the_file(tmp_path):
    root = str(tmp_path)
    make_sun(root, names=("img_0001",))
    with open(os.path.join(root, "test", "mask", "img_0001.npy"), "wb") as handle:
        handle.write(b"\x93NUMPY garbage")
    with pytest.raises(InputError, match="img_0001.npy"):
        load_label(discover(root)[0], "sunrgbd")


def test_colour_label_png_is_refused(tmp_path):
    path = write(str(tmp_path / "l.png"), random_image(0))
    with pytest.raises(InputError, match="one class index per pixel"):
        load_label(Sample("l", "unused.jpg", path), "generic")


def test_sun_label_values_beyond_the_raw_range_are_refused(tmp_path):
    path = write(str(tmp_path / "l.npy"), np.array([[0, 1], [400, 2]]))
    with pytest.raises(InputError, match="outside"):
        load_label(Sample("l", "unused.jpg", path), "sunrgbd")


def test_float_npy_label_is_read_only_when_integral(tmp_path):
    whole = write(str(tmp_path / "whole.npy"), np.array([[0.0, 3.0]]))
    np.testing.assert_array_equal(load_label(Sample("w", "x.jpg", whole), "sunrgbd"), [[255, 2]])
    fractional = write(str(tmp_path / "frac.npy"), np.array([[0.5, 3.0]]))
    with pytest.raises(InputError, match="integer"):
        load_label(Sample("f", "x.jpg", fractional), "sunrgbd")


def test_load_image_is_bgr_and_refuses_corrupt_files(tmp_path):
    blue = np.zeros((4, 5, 3), np.uint8)
    blue[:, :, 0] = 255  # OpenCV order: channel 0 is blue
    path = write(str(tmp_path / "blue.png"), blue)
    image = load_image(Sample("blue", path, "unused.png"))
    assert image.dtype == np.uint8 and image.shape == (4, 5, 3)
    np.testing.assert_array_equal(image, blue)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(InputError, match="broken.jpg"):
        load_image(Sample("broken", str(broken), "unused.png"))


def test_load_pair_refuses_a_label_of_another_size(tmp_path):
    root = str(tmp_path)
    make_generic(root, names=("a",))
    sample = discover(root)[0]
    image, label = load_pair(sample, "generic")
    assert image.shape[:2] == label.shape
    write(sample.label_path, np.zeros((HEIGHT + 1, WIDTH), np.uint8))
    with pytest.raises(InputError, match=r"13x16 but its image .* is 12x16"):
        load_pair(sample, "generic")


def test_resize_label_is_nearest_neighbour():
    label = np.array([[0, 1, 2], [3, 255, 4]], np.uint8)
    up = resize_label(label, (4, 6))
    np.testing.assert_array_equal(up, np.repeat(np.repeat(label, 2, axis=0), 2, axis=1))
    big = np.random.default_rng(0).integers(0, 5, size=(8, 10)).astype(np.uint8)
    np.testing.assert_array_equal(resize_label(big, (4, 5)), big[::2, ::2])
    odd = resize_label(big, (7, 13))
    assert odd.shape == (7, 13) and odd.dtype == np.uint8 and set(np.unique(odd)) <= set(np.unique(big))
    assert resize_label(big, (8, 10)) is big


def test_resize_label_refuses_empty_size():
    with pytest.raises(InputError, match="positive"):
        resize_label(np.zeros((2, 2), np.uint8), (0, 3))
