"""Tests for bisenet_deploy/calib/images.py: the calibration stream on real images and a real video."""

import logging

import cv2
import numpy as np
import pytest

from bisenet_deploy.calib.images import SUGGESTED_IMAGES, CalibrationStream, open_image_source, shuffled
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.core.preprocess import preprocess
from frame_codes import HEIGHT, WIDTH, index_of, painted

HW = (48, 64)


def write_video(path, count):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for index in range(count):
        writer.write(painted(index))
    writer.release()
    return str(path)


def card(dtype="float32", mean=IMAGENET_MEAN, std=IMAGENET_STD):
    return {"input_size": list(HW), "mean": list(mean), "std": list(std), "input": {"name": "input", "dtype": dtype}}


def names(stream):
    return [name for name, _ in stream.frames()]


def test_batches_are_the_runtime_preprocessing_of_each_image_stacked(tmp_path, scene_images):
    paths = scene_images(tmp_path, 6)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    stream = CalibrationStream(str(tmp_path), card(mean=mean, std=std), batch_size=3, seed=None, min_images=1)
    batches = list(stream.batches())
    expected = [preprocess(cv2.imread(path), HW, mean, std) for path in sorted(paths)]
    assert [b.shape for b in batches] == [(3, 3) + HW] * 2
    assert np.array_equal(np.concatenate(batches), np.concatenate(expected))
    assert batches[0].dtype == np.float32


def test_input_dtype_comes_from_the_card(tmp_path, scene_images):
    paths = scene_images(tmp_path, 2)
    stream = CalibrationStream(str(tmp_path), card(dtype="float16"), seed=None, min_images=1)
    batches = list(stream.batches())
    assert batches[0].dtype == np.float16
    assert np.array_equal(batches[1], preprocess(cv2.imread(sorted(paths)[1]), HW, dtype=np.float16))


def test_partial_last_batch_is_dropped_and_counted(tmp_path, scene_images):
    scene_images(tmp_path, 7)
    stream = CalibrationStream(str(tmp_path), card(), batch_size=3, min_images=1)
    assert stream.num_batches == 2
    assert stream.batch_shape == (3, 3) + HW
    batches = list(stream.batches())
    assert len(batches) == 2 and all(b.shape == stream.batch_shape for b in batches)
    assert (stream.used, stream.skipped, stream.dropped) == (7, 0, 1)


def test_count_takes_a_seeded_subset_and_the_same_seed_gives_the_same_order(scene_dir):
    first = CalibrationStream(scene_dir, card(), count=8, seed=5, min_images=1)
    again = CalibrationStream(scene_dir, card(), count=8, seed=5, min_images=1)
    other = CalibrationStream(scene_dir, card(), count=8, seed=6, min_images=1)
    in_name_order = CalibrationStream(scene_dir, card(), count=8, seed=None, min_images=1)
    assert names(first) == names(again)
    assert len(names(first)) == 8
    assert names(first) != names(other)
    assert names(in_name_order) == ["scene{:03d}".format(i) for i in range(8)]
    assert names(first) != names(in_name_order)
    # what is not selected is held back, so nothing is lost or used twice
    assert sorted(first.selected + first.unused) == sorted(open_image_source(scene_dir).keys)


def test_shuffle_is_numpys_legacy_permutation():
    # RandomState streams are frozen across numpy versions, so the TX2 (numpy 1.19) picks the same images.
    keys = ["a", "b", "c", "d", "e"]
    order = np.random.RandomState(3).permutation(5)
    assert shuffled(keys, 3) == [keys[i] for i in order]
    assert shuffled(keys, None) == keys


def test_unreadable_files_are_skipped_with_a_warning_naming_them(tmp_path, scene_images, caplog):
    scene_images(tmp_path, 5)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignored: not an image name")
    stream = CalibrationStream(str(tmp_path), card(), batch_size=2, seed=None, min_images=1)
    assert len(stream.selected) == 7
    with caplog.at_level(logging.WARNING):
        batches = list(stream.batches())
    assert len(batches) == 2
    assert (stream.used, stream.skipped, stream.dropped) == (5, 2, 1)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "broken.jpg" in warned and "empty.png" in warned


def test_check_readable_makes_the_batch_count_exact(tmp_path, scene_images, caplog):
    scene_images(tmp_path, 4)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    stream = CalibrationStream(str(tmp_path), card(), seed=0, min_images=1)
    assert stream.num_batches == 5
    with caplog.at_level(logging.WARNING):
        stream.check_readable()
    assert stream.num_batches == 4 and stream.skipped == 1
    assert len(list(stream.batches())) == 4
    assert sum("broken.png" in r.getMessage() for r in caplog.records) == 1  # warned once, not per pass


def test_too_few_usable_images_is_an_input_error(tmp_path, scene_images):
    scene_images(tmp_path, 3)
    (tmp_path / "broken.jpg").write_bytes(b"xx")
    stream = CalibrationStream(str(tmp_path), card(), min_images=4)
    with pytest.raises(InputError, match="only 3 of the 4 selected images"):
        list(stream.batches())
    with pytest.raises(InputError, match="fewer than the 5 needed"):
        CalibrationStream(str(tmp_path), card(), min_images=5)
    with pytest.raises(InputError, match="2 selected"):
        CalibrationStream(str(tmp_path), card(), count=2, min_images=3)
    with pytest.raises(InputError, match="one batch of 8"):
        CalibrationStream(str(tmp_path), card(), batch_size=8, min_images=1)


def test_fewer_than_nvidias_suggestion_warns(scene_dir, caplog):
    with caplog.at_level(logging.WARNING):
        CalibrationStream(scene_dir, card(), count=12, min_images=1)
    assert any(str(SUGGESTED_IMAGES) in r.getMessage() and "12" in r.getMessage() for r in caplog.records)


def test_glob_and_single_image_sources(tmp_path, scene_images):
    scene_images(tmp_path / "a", 3)
    scene_images(tmp_path / "b", 2)
    (tmp_path / "b" / "readme.txt").write_text("x")
    source = open_image_source(str(tmp_path / "*" / "scene*"))
    assert len(source.keys) == 5 and all(key.endswith(".jpg") for key in source.keys)
    single = open_image_source(str(tmp_path / "a" / "scene001.jpg"))
    assert [single.name(k) for k in single.keys] == ["scene001"]


@pytest.mark.parametrize("make, message", [
    (lambda root: str(root / "missing"), "not found"),
    (lambda root: str(root / "nothing-*.png"), "no files match"),
    (lambda root: (root / "empty").mkdir() or str(root / "empty"), "no images"),
    (lambda root: (root / "t.txt").write_text("x") and str(root / "*.txt"), "no images"),
    (lambda root: (root / "clip.mp4").write_bytes(b"not a video") and str(root / "clip.mp4"), "neither an image nor"),
])
def test_bad_sources_are_input_errors(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        CalibrationStream(make(tmp_path), card(), min_images=1)


def test_video_frames_every_kth_picked_by_seed_and_read_in_time_order(tmp_path):
    path = write_video(tmp_path / "walk.avi", 30)
    stream = CalibrationStream(path, card(), count=5, seed=2, min_images=1, frame_step=3)
    assert stream.source.keys == list(range(0, 30, 3))
    assert stream.selected == sorted(stream.selected) and len(stream.selected) == 5
    assert set(stream.selected) != set(range(0, 15, 3))  # a seeded pick, not the first five
    frames = list(stream.frames())
    assert [name for name, _ in frames] == ["walk_{:06d}".format(k) for k in stream.selected]
    assert [index_of(frame) for _, frame in frames] == stream.selected
    # the decoded frames are exactly what reading the video straight through gives
    capture = cv2.VideoCapture(path)
    direct = [capture.read()[1] for _ in range(30)]
    capture.release()
    for key, (_, frame) in zip(stream.selected, frames):
        assert np.array_equal(frame, direct[key])
    batches = list(stream.batches())
    assert np.array_equal(batches[0], preprocess(direct[stream.selected[0]], HW))


def test_video_frames_past_the_end_are_skipped(tmp_path):
    path = write_video(tmp_path / "short.avi", 4)
    source = open_image_source(path)
    assert list(k for k, frame in source.subset([1, 3, 7]).read_keys() if frame is not None) == [1, 3]


def test_a_bisenet_scenes_folder_stands_for_its_pictures(tmp_path):
    """bisenet-build-engine --calib-images and bisenet-bench's TRT INT8 read bisenet-scenes output
    (OUT/images + OUT/labels) as its pictures."""
    from bisenet_deploy.scenes.main import main as scenes_main

    assert scenes_main([str(tmp_path / "calib"), "--count", "3", "--size", "32x48", "--seed", "1"]) == 0
    stream = CalibrationStream(str(tmp_path / "calib"), card(), min_images=1)
    assert sorted(stream.source.keys) == sorted(str(path) for path in (tmp_path / "calib" / "images").iterdir())
