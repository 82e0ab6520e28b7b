"""No output overwrites an input: an output (file or folder, links resolved) that is an input, lies in a folder
an input is read from, or is a file of the evaluated data set (or lies in one of its folders) is refused
before any work, in one line with exit 2, and every input is left as it was."""

import os

import cv2
import numpy as np
import pytest

import cli_capture
from bisenet_deploy.bench.main import main as bench_main
from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.core.outpaths import OutputError, refuse_dataset_files, refuse_same_file
from bisenet_deploy.evaluate.main import main as eval_main
from bisenet_deploy.runtime.run import main as run_main


def snapshot(folder):
    """{relative path: bytes} of every file under `folder`."""
    found = {}
    for root, _, files in os.walk(str(folder)):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, str(folder))] = handle.read()
    return found


@pytest.fixture
def frames(tmp_path):
    """A folder of pictures holding a.png and a_mask.png (what --output DIR/ would write for a.png)."""
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((40, 60, 3), 9, np.uint8))
    cv2.imwrite(str(folder / "a_mask.png"), np.full((40, 60, 3), 200, np.uint8))
    return folder


@pytest.fixture
def dataset(tmp_path):
    """A generic data set: images/a.png and labels/a.png."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    cv2.imwrite(str(root / "images" / "a.png"), np.full((64, 96, 3), 50, np.uint8))
    cv2.imwrite(str(root / "labels" / "a.png"), np.zeros((64, 96), np.uint8))
    return root


def refused(main, argv, kept):
    before = snapshot(kept)
    code, stdout, stderr = cli_capture.run_cli(main, *argv)
    assert code == 2, (stdout, stderr)
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert snapshot(kept) == before
    return stdout, stderr


@pytest.mark.parametrize("images", ["frames", "frames/*.png"])
@pytest.mark.parametrize("output", ["frames/", "frames", "frames/seg/", "frames/run.mp4", "link/",
                                    "./frames/../frames/"])
def test_run_refuses_an_output_in_the_folder_its_images_come_from(tmp_path, frames, tiny_onnx_labels, monkeypatch,
                                                                 images, output):
    monkeypatch.chdir(str(tmp_path))
    os.symlink("frames", "link")
    stdout, stderr = refused(run_main, ["--model", tiny_onnx_labels, "--images", images, "--headless",
                                        "--output", output], frames)
    assert "lies in frames, which --images {} reads".format(images) in stderr
    assert stdout == ""  # before the model loaded and the first picture was read


def test_run_writes_beside_the_images_folder_and_into_its_parent(tmp_path, frames, tiny_onnx_labels):
    for output in (tmp_path / "seg", tmp_path):
        code, _, stderr = cli_capture.run_cli(run_main, "--model", tiny_onnx_labels, "--images", frames,
                                              "--headless", "--output", str(output) + os.sep)
        assert code == 0, stderr
        assert (output / "a_mask_labels.png").exists()


@pytest.mark.parametrize("target", ["set/labels/a.png", "set/images/a.png", "set/labels/report.json", "hardlink.json"])
def test_eval_refuses_a_report_on_a_file_or_in_a_folder_of_the_data_set(tmp_path, dataset, tiny_onnx_labels,
                                                                       monkeypatch, target):
    monkeypatch.chdir(str(tmp_path))
    os.link("set/labels/a.png", "hardlink.json")
    stdout, stderr = refused(eval_main, ["--model", tiny_onnx_labels, "--data", "set", "--json", target], dataset)
    assert "of the data set set" in stderr and target in stderr
    assert stdout == ""  # nothing evaluated


def test_eval_writes_its_report_in_the_data_set_root(tmp_path, dataset, tiny_onnx_labels):
    report = dataset / "report.json"  # the root holds no picture or label: nothing there is read
    code, _, stderr = cli_capture.run_cli(eval_main, "--model", tiny_onnx_labels, "--data", dataset,
                                          "--json", report)
    assert code == 0, stderr
    assert report.exists()


def test_calibrate_refuses_a_model_written_among_its_images(frames, tiny_onnx_labels):
    _, stderr = refused(calibrate_main, [tiny_onnx_labels, "--calib-images", frames, "-o", frames / "m.qdq.onnx"],
                        frames)
    assert "which --calib-images {} reads".format(frames) in stderr


def test_bench_refuses_a_report_among_its_calibration_images(frames, tiny_onnx_labels):
    _, stderr = refused(bench_main, ["--models", tiny_onnx_labels, "--backends", "ort", "--calib-images", frames,
                                     "--json", frames / "bench.json"], frames)
    assert "which --calib-images {} reads".format(frames) in stderr


def test_a_glob_reads_the_folder_before_its_first_wildcard(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    with pytest.raises(OutputError, match=r"lies in \., which --images \*\.png reads"):
        refuse_same_file("seg/", "--output", {"--images": "*.png"})
    refuse_same_file("seg/", "--output", {"--images": "frames/*.png"})  # frames/ is read, not seg/


def test_a_hard_link_to_a_data_set_file_elsewhere_is_still_that_file(tmp_path):
    label = tmp_path / "labels" / "a.png"
    label.parent.mkdir()
    label.write_bytes(b"x")
    os.link(str(label), str(tmp_path / "elsewhere.json"))
    with pytest.raises(OutputError, match="is .*labels/a.png, a file of the data set"):
        refuse_dataset_files(str(tmp_path / "elsewhere.json"), "--json", [str(label)], "D")
    refuse_dataset_files(str(tmp_path / "new.json"), "--json", [str(label)], "D")
