"""A checkpoint that records the size it was evaluated at is exported at that size unless told
otherwise (the shipped demo model: 192x256; at 480x640 its mIoU falls from 72.5% to 26.6%)."""

import pathlib

from bisenet_deploy.core.model_info import load_model_card
from bisenet_deploy.scenes.demo_model import DEMO_CHECKPOINT, DEMO_INPUT_SIZE

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_flag_exports_at_the_recorded_size_and_says_so(tmp_path, run_export):
    out = tmp_path / "demo.onnx"
    code, stdout, stderr = run_export(DEMO_CHECKPOINT, "-o", str(out))
    assert code == 0, stderr
    assert "input 192x256: the size the checkpoint records it was evaluated at" in stdout
    card = load_model_card(str(out))
    assert tuple(card["input_size"]) == DEMO_INPUT_SIZE == (192, 256)
    assert card["input"]["shape"] == [1, 3, 192, 256]


def test_a_different_explicit_size_warns_in_one_line(tmp_path, run_export):
    code, stdout, stderr = run_export(DEMO_CHECKPOINT, "-o", str(tmp_path / "big.onnx"), "--input-size", "96x128")
    assert code == 0, stderr
    warnings = [line for line in stdout.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: --input-size 96x128 differs from the 192x256 the checkpoint records it was "
                        "evaluated at; accuracy may drop"]


def test_the_same_explicit_size_does_not_warn(tmp_path, run_export):
    code, stdout, _ = run_export(DEMO_CHECKPOINT, "-o", str(tmp_path / "same.onnx"), "--input-size", "192x256")
    assert code == 0 and "warning:" not in stdout


def test_the_help_s_deconv_example_runs_as_written(tmp_path, run_export, monkeypatch):
    """The --help example for the approximate deconv form passes its own agreement check (on the trained
    demo model; a random-weight network would not)."""
    from bisenet_deploy.export.main import EPILOG

    example = next(line.split()[1:] for line in EPILOG.splitlines() if "--upsample deconv" in line)
    monkeypatch.chdir(str(ROOT))
    code, stdout, stderr = run_export(*(example + ["-o", str(tmp_path / "deconv.onnx")]))
    assert code == 0, stderr
    assert "PASSED | approximate: --upsample deconv" in stdout


def test_a_cityscapes_model_at_the_default_size_names_the_dataset_s_frame_size(tmp_path, run_export):
    """Cityscapes pictures are all 1024x2048; a model exported at the 480x640 default stretches them, so
    the log says which size segments them as the source project's code does."""
    import torch

    from bisenet_deploy.export.families import family_named

    torch.manual_seed(0)
    checkpoint = tmp_path / "model_final_v2_city.pth"
    torch.save(family_named("coincheung-v2").build({"num_classes": 19}).state_dict(), str(checkpoint))
    code, stdout, stderr = run_export(str(checkpoint), "-o", str(tmp_path / "default.onnx"))
    assert code == 0, stderr
    assert "input 480x640: the default" in stdout
    assert "Cityscapes pictures are 1024x2048: --input-size 1024x2048 segments them unstretched" in stdout
    code, stdout, stderr = run_export(str(checkpoint), "-o", str(tmp_path / "camera.onnx"), "--input-size", "96x128")
    assert code == 0 and "Cityscapes pictures" not in stdout, stderr
