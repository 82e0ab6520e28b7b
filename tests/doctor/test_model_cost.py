"""bisenet-doctor --model: the precisions this CPU runs natively, from OpenVINO's real CPU plugin, and
what each costs the trained demo model against FP32, measured for real and judged by the precision gate."""

import glob
import json
import os
import shutil

import cli_capture
import cv2
import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.doctor.main import build_parser, main
from bisenet_deploy.doctor.model_cost import check_set
from bisenet_deploy.runtime.backends import openvino_precision
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.precision_check import VerifySpec

ov = pytest.importorskip("openvino")

CAPABILITIES = [str(c) for c in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")]


def findings(*argv):
    code, stdout, stderr = cli_capture.run_cli(main, "--json", *argv)
    assert code == 0, stderr
    return dict((item["key"], item) for item in json.loads(stdout) if item["key"].startswith("precision-"))


def test_each_precision_is_native_or_refused_as_the_cpu_reports_it(demo_onnx_logits, tmp_path):
    model = str(tmp_path / "demo.onnx")  # no QDQ copy beside it
    shutil.copy(demo_onnx_logits, model)
    found = findings("--model", model, "--count", "2")
    assert sorted(found) == ["precision-" + p for p in sorted(openvino_precision.PRECISIONS)]
    assert found["precision-fp32"]["ok"] is True
    for precision in ("bf16", "fp16", "int8"):
        item = found["precision-" + precision]
        if not openvino_precision.native(precision, CAPABILITIES):
            assert item["ok"] is False and "does not execute" in item["detail"]
        elif precision == "int8":  # native, but unmeasured without a QDQ copy, and the fix says how to make one
            assert item["ok"] is None and "bisenet-calibrate" in item["fix"]
        else:  # measured on generated labelled scenes: the demo model's classes
            assert item["ok"] is True and "mIoU drop" in item["detail"] and "2 generated labelled scenes" in item["detail"]
            if precision == "bf16":  # and whether auto runs it, from the measured rates
                assert "GFLOP/s in BF16" in item["detail"] and "so auto runs" in item["detail"]


def test_agreement_on_the_users_own_pictures_without_labels(demo_onnx_logits, tmp_path):
    reduced = [p for p in ("bf16", "fp16") if openvino_precision.native(p, CAPABILITIES)]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    from scene_images import write_scene_images
    write_scene_images(tmp_path / "mine", 3)
    found = findings("--model", demo_onnx_logits, "--images", str(tmp_path / "mine"))
    detail = found["precision-" + reduced[0]]["detail"]
    assert "pixel agreement" in detail and "your 3 images" in detail and "mIoU" not in detail


def test_picture_flags_without_a_model_are_refused():
    code, _, stderr = cli_capture.run_cli(main, "--labels", "x")
    assert code == 2 and "--model" in stderr and len(stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def cityscapes_like(tmp_path_factory):
    """A 19-class labels ONNX (random weights, 64x96): not the generated scenes' SUN RGB-D 37."""
    from bisenet_deploy.export.demo import write_demo_checkpoint
    from model_files import export_onnx
    folder = tmp_path_factory.mktemp("nineteen")
    checkpoint = write_demo_checkpoint(str(folder / "c19.pth"), in_planes=8, num_classes=19)
    return export_onnx(checkpoint, folder, "c19", "64x96", "labels")


def scenes_folder(path):
    """A bisenet-scenes folder: 3 pictures with their SUN RGB-D (37-class) labels."""
    from bisenet_deploy.scenes.main import main as scenes_main
    assert scenes_main([str(path), "--count", "3", "--size", "64x96"]) == 0
    return str(path)


def flags_named(text):
    return {word.strip("(),:") for word in text.split() if word.startswith("--")}


def test_refusals_of_the_pictures_name_doctors_own_flags(cityscapes_like, tmp_path):
    """No scenes for 19 classes, a --labels folder missing, one without these pictures' labels, --labels alone."""
    card = load_model_card(cityscapes_like)
    options = set(build_parser()._option_string_actions)
    images = os.path.join(scenes_folder(tmp_path / "scenes"), "images")
    (tmp_path / "other").mkdir()
    cv2.imwrite(str(tmp_path / "other" / "unrelated.png"), np.zeros((4, 4), np.uint8))
    for spec in (VerifySpec(None, None, None), VerifySpec(images, str(tmp_path / "missing"), None),
                 VerifySpec(images, str(tmp_path / "other"), None), VerifySpec(None, str(tmp_path / "other"), None)):
        with pytest.raises(InputError) as info:
            check_set(card, spec)
        named = flags_named(str(info.value))
        assert named and named <= options, (str(info.value), named - options)


def test_the_scenes_advice_for_another_models_classes_is_a_flag_doctor_has(cityscapes_like):
    reduced = [p for p in ("bf16", "fp16") if openvino_precision.native(p, CAPABILITIES)]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    detail = findings("--model", cityscapes_like)["precision-" + reduced[0]]["detail"]
    assert "not measured" in detail and "--images DIR" in detail and "--labels DIR" in detail
    assert "--verify" not in detail


def all_findings(*argv):
    code, stdout, stderr = cli_capture.run_cli(main, "--json", *argv)
    assert code == 0, stderr
    return dict((item["key"], item) for item in json.loads(stdout))


def test_labels_the_model_has_no_class_for_are_warned_once(cityscapes_like, demo_onnx_labels, tmp_path):
    if not [p for p in ("bf16", "fp16") if openvino_precision.native(p, CAPABILITIES)]:
        pytest.skip("this CPU runs no reduced float precision natively: nothing is measured on the labels")
    scenes = scenes_folder(tmp_path / "scenes")
    labels = [cv2.imread(path, cv2.IMREAD_UNCHANGED) for path in glob.glob(os.path.join(scenes, "labels", "*.png"))]
    beyond = sum(int(((label >= 19) & (label != 255)).sum()) for label in labels)
    warning = all_findings("--model", cityscapes_like, "--images", scenes)["labels"]
    assert warning["ok"] is None and "exceed the model's 19 classes" in warning["detail"]
    # each picture counted once, though every precision measured reads it again
    assert "{} label pixels in 3 files".format(beyond) in warning["detail"], warning["detail"]
    assert "\n" not in warning["detail"] and "--strict-labels" not in warning["detail"]
    assert "labels" not in all_findings("--model", demo_onnx_labels, "--images", scenes)  # its own classes
