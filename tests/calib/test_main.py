"""bisenet-calibrate end to end on real exported models and real images: the QDQ model it writes,
the FP32 comparison it reports (checked here against our own ONNX Runtime runs), and its errors."""

import json
import os
import shutil

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from bisenet_deploy.calib.images import CalibrationStream
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY, card_from_metadata
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess


def card_of(path):
    return card_from_metadata(dict((p.key, p.value) for p in onnx.load(path).metadata_props), path)


def outputs(model_path, images, card):
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    return [session.run(None, {"input": preprocess(image, card["input_size"])})[0] for image in images]


def held_out_images(scene_dir, card, count):
    """The images bisenet-calibrate --count COUNT (seed 0) leaves out of calibration, in its order."""
    stream = CalibrationStream(scene_dir, card, count=count, min_images=1)
    return [cv2.imread(path) for path in stream.unused]


def copy_model(path, folder):
    target = os.path.join(str(folder), "model.onnx")
    shutil.copy(path, target)
    return target


def test_writes_a_qdq_model_whose_reported_agreement_is_what_onnxruntime_measures(
        run_calibrate, labels_onnx, scene_dir, tmp_path):
    model = copy_model(labels_onnx, tmp_path)
    code, stdout, stderr = run_calibrate(model, "--images", scene_dir, "--count", "20", "--method", "percentile")
    assert code == 0, stderr
    output = str(tmp_path / "model.qdq.onnx")  # the default name, next to the model
    assert sorted(os.listdir(str(tmp_path))) == ["model.onnx", "model.qdq.onnx"]
    card = card_of(output)
    entry = card["calibration"]
    assert entry["agreement"]["images"] == "held-out" and entry["agreement"]["count"] == 20
    # our own measurement on the 20 images the seeded selection left out
    images = held_out_images(scene_dir, card, 20)
    fp32, int8 = outputs(model, images, card), outputs(output, images, card)
    agreement = np.mean([np.mean(a == b) for a, b in zip(fp32, int8)])
    assert entry["agreement"]["pixel_agreement"] == pytest.approx(agreement, abs=1e-12)
    assert agreement >= 0.9  # INT8 keeps the class of nearly every pixel on this model
    assert "{:.3f}%".format(100 * agreement) in stdout and "PASSED" in stdout
    assert entry["agreement"]["max_abs_diff"] is None  # a labels head has no logits to compare


def test_logits_head_reports_the_max_abs_diff(run_calibrate, logits_onnx, scene_dir, tmp_path):
    output = str(tmp_path / "int8.onnx")
    code, stdout, stderr = run_calibrate(logits_onnx, "--images", scene_dir, "--count", "30", "-o", output,
                                         "--min-agreement", "0", "--eval-count", "5")
    assert code == 0, stderr
    entry = card_of(output)["calibration"]["agreement"]
    card = card_of(logits_onnx)
    images = held_out_images(scene_dir, card, 30)[:5]
    fp32, int8 = outputs(logits_onnx, images, card), outputs(output, images, card)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(fp32, int8))
    assert entry["count"] == 5
    assert entry["max_abs_diff"] == pytest.approx(diff, rel=1e-6)
    assert diff > 0  # INT8 rounding did change the scores
    maps = [(labels_from_output(a, card, card["input_size"]), labels_from_output(b, card, card["input_size"]))
            for a, b in zip(fp32, int8)]
    assert entry["pixel_agreement"] == pytest.approx(np.mean([np.mean(a == b) for a, b in maps]), abs=1e-12)


def test_labels_give_the_miou_of_both_models(run_calibrate, labels_onnx, scene_dir, tmp_path):
    card = card_of(labels_onnx)
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    # ground truth = the FP32 model's own prediction at each image's size, so FP32 scores exactly 1
    stream = CalibrationStream(scene_dir, card, count=30, min_images=1)
    for path in stream.unused:
        image = cv2.imread(path)
        label = labels_from_output(outputs(labels_onnx, [image], card)[0], card, image.shape[:2])
        name = os.path.splitext(os.path.basename(path))[0]
        assert cv2.imwrite(str(labels_dir / (name + ".png")), label)
    output = str(tmp_path / "int8.onnx")
    # with labels the gate is the mIoU drop, and against labels that are FP32's own output every changed
    # pixel costs INT8 (2.3 points here), so a wide --max-miou-drop writes it (--min-agreement no longer judges)
    code, stdout, stderr = run_calibrate(labels_onnx, "--images", scene_dir, "--count", "30", "-o", output,
                                         "--labels", labels_dir, "--min-agreement", "1", "--max-miou-drop", "100")
    assert code == 0, stderr
    entry = card_of(output)["calibration"]["agreement"]
    assert entry["labelled"] == 10
    assert entry["miou_fp32"] == 1.0
    assert 0.5 < entry["miou_int8"] < 1.0
    assert entry["verdict"] == {"criterion": "miou_drop", "limit": 100.0, "passed": True,
                                "measured": pytest.approx(100 * (1.0 - entry["miou_int8"]))}
    assert "mIoU (10 labelled)" in stdout and "100.00%" in stdout and "PASSED | mIoU drop" in stdout
    drop = entry["verdict"]["measured"]
    refused = str(tmp_path / "refused.onnx")
    code, stdout, stderr = run_calibrate(labels_onnx, "--images", scene_dir, "--count", "30", "-o", refused,
                                         "--labels", labels_dir, "--min-agreement", "0",
                                         "--max-miou-drop", str(drop / 2))
    assert code == 1 and "FAILED | mIoU drop" in stdout and "--max-miou-drop 100 writes it anyway" in stderr
    assert not os.path.exists(refused)


def test_too_little_agreement_fails_and_writes_nothing(run_calibrate, labels_onnx, scene_dir, tmp_path):
    model = copy_model(labels_onnx, tmp_path)
    code, stdout, stderr = run_calibrate(model, "--images", scene_dir, "--count", "12", "--min-agreement", "1")
    assert code == 1
    assert "FAILED | pixel agreement" in stdout
    assert "nothing written" in stderr and len(stderr.strip().splitlines()) == 1
    assert os.listdir(str(tmp_path)) == ["model.onnx"]


def test_help_says_why_deconvolutions_stay_float(run_calibrate):
    code, stdout, _ = run_calibrate("--help")
    assert code == 0
    assert "TensorRT before 8.5" in " ".join(stdout.split())


def _garbage_model(root):
    path = root / "garbage.onnx"
    path.write_bytes(b"this is not protobuf")
    return str(path)


def _empty_folder(root):
    (root / "empty").mkdir()
    return str(root / "empty")


@pytest.mark.parametrize("argv, message", [
    (lambda root, model, images: [str(root / "missing.onnx"), "--images", images], "model not found"),
    (lambda root, model, images: [_garbage_model(root), "--images", images], "cannot read"),
    (lambda root, model, images: [model, "--images", _empty_folder(root)], "no images"),
    (lambda root, model, images: [model, "--images", str(root / "nowhere")], "calibration images not found"),
    (lambda root, model, images: [model, "--images", images, "--count", "0"], "--calib-count must be at least 1"),
    (lambda root, model, images: [model, "--images", images, "--count", "3"], "fewer than the 10 needed"),
    (lambda root, model, images: [model, "--images", images, "--batch-size", "2"], "batches of exactly 1"),
    (lambda root, model, images: [model, "--images", images, "-o", model], "same file as MODEL"),
    (lambda root, model, images: [model, "--images", images, "--min-agreement", "2"], "between 0 and 1"),
    (lambda root, model, images: [model, "--images", images, "--labels", str(root / "nolabels")], "not found"),
    (lambda root, model, images: [model, "--images", images, "--method", "mse"], "invalid choice"),
    (lambda root, model, images: [model], "--calib-images"),
])
def test_bad_input_is_one_line_and_exit_2(run_calibrate, labels_onnx, scene_dir, tmp_path, argv, message):
    code, stdout, stderr = run_calibrate(*argv(tmp_path, labels_onnx, scene_dir))
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("bisenet-calibrate: ")
    assert message in stderr
    assert "Traceback" not in stderr


def test_labels_that_match_no_image_are_refused_before_calibrating(run_calibrate, labels_onnx, scene_dir, tmp_path):
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    cv2.imwrite(str(labels_dir / "elsewhere.png"), np.zeros((4, 4), np.uint8))
    code, stdout, stderr = run_calibrate(labels_onnx, "--images", scene_dir, "-o", tmp_path / "x.onnx",
                                         "--labels", labels_dir)
    assert code == 2 and "none of the" in stderr
    assert "quantizing" not in stdout
    assert not (tmp_path / "x.onnx").exists()


def test_an_already_quantized_model_is_refused(run_calibrate, labels_onnx, scene_dir, tmp_path):
    first = str(tmp_path / "once.onnx")
    assert run_calibrate(labels_onnx, "--images", scene_dir, "--count", "10", "-o", first, "--min-agreement", "0")[0] == 0
    code, _, stderr = run_calibrate(first, "--images", scene_dir)
    assert code == 2 and "already holds QuantizeLinear" in stderr
    assert json.loads(dict((p.key, p.value) for p in onnx.load(first).metadata_props)[MODEL_CARD_KEY])["calibration"]


def test_unified_flag_names_and_hidden_old_aliases():
    from bisenet_deploy.calib.main import build_parser

    parser = build_parser()
    new = parser.parse_args(["m.onnx", "--calib-images", "calib/", "--calib-count", "7"])
    old = parser.parse_args(["m.onnx", "--images", "calib/", "--count", "7"])
    assert (new.calib_images, new.calib_count) == (old.calib_images, old.calib_count) == ("calib/", 7)
    help_text = parser.format_help()
    assert "--calib-images" in help_text and "--images" not in help_text.replace("--calib-images", "")
