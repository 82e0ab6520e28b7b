"""bisenet-scenes: both dataset layouts, read back by bisenet-eval's dataset code, and the CLI contract."""

import os

import numpy as np
from cli_capture import run_cli

from bisenet_deploy.evaluate import datasets
from bisenet_deploy.scenes.main import main
from bisenet_deploy.scenes.scene import render_scene


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), str(root)) for d, _, fs in os.walk(str(root)) for f in fs)


def test_generic_layout_reads_back_as_the_drawn_scenes(tmp_path):
    code, out, err = run_cli(main, tmp_path, "--count", 3, "--size", "64x96", "--seed", 4)
    assert code == 0 and err == "" and "wrote 3 scenes" in out
    assert _files(tmp_path) == ["images/scene_0000{}.png".format(i) for i in range(3)] + \
        ["labels/scene_0000{}.png".format(i) for i in range(3)]
    samples = datasets.discover(str(tmp_path))
    for index, sample in enumerate(samples):
        picture, labels = datasets.load_pair(sample, "generic")
        expected_picture, expected_labels = render_scene(4, index, 64, 96)
        assert np.array_equal(picture, expected_picture) and np.array_equal(labels, expected_labels)


def test_sunrgbd_layout_maps_back_to_the_same_labels(tmp_path):
    code, _, _ = run_cli(main, tmp_path, "--count", 2, "--size", "64x96", "--layout", "sunrgbd", "--split", "valid")
    assert code == 0
    assert datasets.detect_layout(str(tmp_path), "valid") == "sunrgbd"
    samples = datasets.discover(str(tmp_path), split="valid")
    raw = np.load(samples[1].label_path)
    expected = render_scene(0, 1, 64, 96)[1]
    assert raw.min() >= 1 and np.array_equal(raw, expected.astype(np.int64) + 1)  # the seed's stored form
    assert np.array_equal(datasets.load_label(samples[1], "sunrgbd"), expected)


def test_runs_are_byte_identical_and_independent_of_count(tmp_path):
    run_cli(main, tmp_path / "a", "--count", 3, "--size", "48x64", "--seed", 9)
    run_cli(main, tmp_path / "b", "--count", 1, "--start", 2, "--size", "48x64", "--seed", 9)
    a = (tmp_path / "a" / "images" / "scene_00002.png").read_bytes()
    assert a == (tmp_path / "b" / "images" / "scene_00002.png").read_bytes()


def test_bad_usage_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "file").write_text("x")
    for argv in ([tmp_path / "o", "--size", "8x8"], [tmp_path / "o", "--count", 0], [tmp_path / "file"],
                 [tmp_path / "o", "--size", "big"], []):
        code, out, err = run_cli(main, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, argv
    assert not (tmp_path / "o").exists()


def test_list_classes_names_the_drawn_classes():
    code, out, _ = run_cli(main, "--list-classes")
    assert code == 0 and " 0 wall" in out and "21 ceiling" in out and "34 lamp" in out


def test_the_generator_writes_exactly_the_layouts_bisenet_eval_reads():
    from bisenet_deploy.scenes.writer import LAYOUTS
    assert set(LAYOUTS) <= set(datasets.LAYOUTS)


def test_split_stays_under_out_dir(tmp_path):
    out = tmp_path / "a" / "out"
    for split in ("../../escaped", "../escaped", "x/../../escaped", str(tmp_path / "abs")):
        code, _, err = run_cli(main, out, "--count", 1, "--size", "64x64", "--layout", "sunrgbd", "--split", split)
        assert code == 2 and "--split" in err and len(err.strip().splitlines()) == 1, (split, err)
    assert _files(tmp_path) == []  # nothing written, inside OUT_DIR or out of it
    code, _, err = run_cli(main, out, "--count", 1, "--size", "64x64", "--layout", "sunrgbd", "--split", "runs/a")
    assert code == 0, err
    assert _files(out) == ["runs/a/image/scene_00000.png", "runs/a/mask/scene_00000.npy"]


def test_sizes_beyond_the_bound_are_refused_before_drawing(tmp_path):
    for size in ("1000000x1000000", "4097x64", "64x4097"):
        code, _, err = run_cli(main, tmp_path / "o", "--count", 1, "--size", size)
        assert code == 2 and "4096x4096" in err and "Traceback" not in err, (size, err)
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
