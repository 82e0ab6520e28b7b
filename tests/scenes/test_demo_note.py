"""scenes/demo_note.py: the demo's mIoU is said with what it measured (how many scenes, at what size)
beside the model's record over its held-out scenes, which the README quotes."""

import pathlib

from cli_capture import run_cli

from bisenet_deploy.scenes.demo_note import demo_note, main
from bisenet_deploy.scenes.main import main as scenes_main

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
RECORD = {"held_out": "bisenet-scenes OUT --count 100 --size 192x256 --seed 1000", "held_out_mIoU": 0.716954}


def test_the_note_names_the_scenes_and_the_record_they_are_not():
    card = {"input_size": [192, 256], "source_checkpoint": {"metadata": {"demo_model": RECORD}}}
    first, second = demo_note(card, 4, (480, 640)).splitlines()
    assert first == "mIoU above: 4 generated scenes at 480x640, segmented at the model's 192x256 input size"
    assert second.startswith("the README's 71.7% is the model's record over `bisenet-scenes OUT --count 100 ")
    assert "over only 4 scenes" in second


def test_a_model_without_the_record_gets_only_what_was_measured():
    assert demo_note({"input_size": [64, 96], "source_checkpoint": {}}, 1, (32, 48)) == (
        "mIoU above: 1 generated scene at 32x48, segmented at the model's 64x96 input size")


def test_the_command_counts_and_measures_the_scenes_folder(tmp_path, tiny_onnx_labels):
    scenes = str(tmp_path / "scenes")
    assert scenes_main([scenes, "--count", "3", "--size", "48x64", "--seed", "1"]) == 0
    code, stdout, stderr = run_cli(main, tiny_onnx_labels, scenes)
    assert code == 0, stderr
    assert stdout.strip() == "mIoU above: 3 generated scenes at 48x64, segmented at the model's 64x96 input size"


def test_the_demo_script_says_it_after_the_evaluation():
    lines = (ROOT / "scripts" / "demo.sh").read_text().splitlines()
    evaluation = next(i for i, line in enumerate(lines) if line.startswith("bisenet-eval "))
    assert lines[evaluation + 2].startswith("python -m bisenet_deploy.scenes.demo_note ")
