"""bisenet-eval inputs that used to mislead: label values that are neither a class nor ignored, a
comparison across input sizes, flags for an ONNX made elsewhere. Real ONNX Runtime, real PNG labels."""

import json

import cv2
import numpy as np
import pytest
from cli_capture import run_cli

from bisenet_deploy.bench.main import build_parser as bench_parser
from bisenet_deploy.evaluate.checks import values_text
from bisenet_deploy.evaluate.main import build_parser as eval_parser
from bisenet_deploy.evaluate.main import main as eval_main
from bisenet_deploy.runtime.run import build_parser as run_parser

FLAGS = ("--input-size", "32x48", "--num-classes", "3", "--head", "labels")


@pytest.fixture
def dataset(tmp_path):
    """Two 32x48 grey images; label a has 10 pixels of value 200 (not a class of 3, not 255)."""
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for name in ("a", "b"):
        cv2.imwrite(str(root / "images" / (name + ".png")), np.full((32, 48, 3), 90, np.uint8))
        label = np.ones((32, 48), np.uint8)
        label[0, :4] = 255
        if name == "a":
            label[5, :10] = 200
        cv2.imwrite(str(root / "labels" / (name + ".png")), label)
    return root


def test_unknown_label_values_are_counted_warned_and_recorded(dataset, onnx_without_card, tmp_path):
    code, stdout, stderr = run_cli(eval_main, "--model", onnx_without_card, "--data", dataset,
                                   "--json", tmp_path / "r.json", *FLAGS)
    assert code == 0, stderr
    assert "1 label value 200 exceeds the model's 3 classes" in stdout
    assert "10 label pixels in 1 file" in stdout and "Files: a" in stdout
    record = json.loads((tmp_path / "r.json").read_text())["unknown_labels"]
    assert record == {"pixels": 10, "values": {"200": 10}, "files": {"a": 10}}


def test_strict_labels_makes_them_an_error(dataset, onnx_without_card):
    code, _, stderr = run_cli(eval_main, "--model", onnx_without_card, "--data", dataset, "--strict-labels", *FLAGS)
    assert code == 2 and "label a: 1 label value 200 exceeds the model's 3 classes (10 pixels" in stderr
    assert len(stderr.strip().splitlines()) == 1


def ade_like(tmp_path):
    """One 32x48 grey image whose label holds every ADE20K class index 0..149 (a 150-class dataset)."""
    root = tmp_path / "ade"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    cv2.imwrite(str(root / "images" / "x.png"), np.full((32, 48, 3), 90, np.uint8))
    cv2.imwrite(str(root / "labels" / "x.png"), (np.arange(32 * 48) % 150).astype(np.uint8).reshape(32, 48))
    return root


def test_labels_of_another_dataset_are_warned_in_one_short_line(onnx_without_card, tmp_path):
    code, stdout, stderr = run_cli(eval_main, "--model", onnx_without_card, "--data", ade_like(tmp_path),
                                   "--json", tmp_path / "r.json", *FLAGS)
    assert code == 0, stderr
    warning = [line for line in stdout.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "147 label values 3..149 exceed the model's 3 classes" in warning[0]
    assert "another dataset" in warning[0] and "4, 5" not in warning[0] and len(warning[0]) < 300, warning
    record = json.loads((tmp_path / "r.json").read_text())["unknown_labels"]
    assert sorted(int(v) for v in record["values"]) == list(range(3, 150))  # the JSON keeps each value


def test_values_are_said_by_count_and_range():
    assert values_text([19, 20, 149], 19) == "3 label values 19..149 exceed the model's 19 classes"
    assert values_text([7], 1) == "1 label value 7 exceeds the model's 1 class"
    assert values_text([-1, 40], 37) == "2 label values -1..40 lie outside the model's classes 0..36"


def test_mean_and_std_for_an_onnx_made_elsewhere(dataset, onnx_without_card, tmp_path):
    code, stdout, stderr = run_cli(eval_main, "--model", onnx_without_card, "--data", dataset, *FLAGS,
                                   "--mean", "0.5", "0.5", "0.5", "--std", "0.25", "0.25", "0.25")
    assert code == 0, stderr
    assert "at 32x48" in stdout


def test_checkpoint_compared_with_its_onnx_runs_at_the_onnx_size(tiny_checkpoint, tiny_onnx_labels, tmp_path):
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    rng = np.random.RandomState(0)
    cv2.imwrite(str(root / "images" / "x.png"), rng.randint(0, 255, (64, 96, 3)).astype(np.uint8))
    cv2.imwrite(str(root / "labels" / "x.png"), np.zeros((64, 96), np.uint8))
    code, stdout, stderr = run_cli(eval_main, "--model", tiny_checkpoint, "--data", root, "--compare",
                                   tiny_onnx_labels, "--json", tmp_path / "r.json")
    assert code == 0, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["input_size"] == [64, 96] and "at 64x96" in stdout
    assert report["agreement"]["pixels"] > 0.99  # one network at one size: they agree (23.6 % across sizes)


def test_compare_across_input_sizes_is_refused_with_the_reason(tiny_checkpoint, tiny_onnx_labels, dataset):
    code, _, stderr = run_cli(eval_main, "--model", tiny_checkpoint, "--input-size", "128x160", "--data", dataset,
                              "--compare", tiny_onnx_labels)
    assert code == 2 and "64x96" in stderr and "128x160" in stderr and "resize" in stderr, stderr


@pytest.mark.parametrize("parser", [run_parser, eval_parser, bench_parser])
def test_the_cardless_hint_names_only_flags_the_command_has(parser, onnx_without_card, tmp_path):
    """The hint for an ONNX without a card names flags; each must exist in every command that loads models."""
    from bisenet_deploy.runtime.model_card import load_model_card
    from bisenet_deploy.core.errors import InputError

    with pytest.raises(InputError) as info:
        load_model_card(onnx_without_card)
    named = {word.strip("(),") for word in str(info.value).split() if word.startswith("--")}
    options = set(parser()._option_string_actions)
    assert named and named <= options, named - options
