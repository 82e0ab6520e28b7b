"""--verify: the engine's output against ONNX Runtime's on the same pictures, judged by the precision gate,
with real ONNX Runtime sessions; where TensorRT itself would run, a stand-in (named "stub") returns ONNX
Runtime's output with a known share of pixels changed."""

import argparse

import cv2
import numpy as np
import pytest
from trt_stubs import TX2

from bisenet_deploy.core.errors import InputError, WorkFailed
from bisenet_deploy.engines import main as engines_main
from bisenet_deploy.runtime.backends.ort import OrtBackend
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.precision_check import (VerifySpec, check_set_for, compare_backends_on,
                                                    generated_scenes, judge_comparison)

CPU = ["CPUExecutionProvider"]


class DisagreeingEngineStub(object):
    """Answers like ONNX Runtime, except that a `wrong` share of label pixels is moved to another class."""

    def __init__(self, onnx_path, card, wrong):
        self.reference = OrtBackend(onnx_path, card, providers=CPU)
        self.card, self.wrong = card, wrong

    def __enter__(self):
        self.reference.activate()
        return self

    def __exit__(self, *exc):
        self.reference.deactivate()

    def infer(self, batch):
        output = self.reference.infer(batch).copy()
        flat = output.reshape(-1)
        count = int(round(self.wrong * flat.size))
        flat[:count] = (flat[:count] + 1) % self.card["num_classes"]
        return output


def verify_args(**given):
    values = dict(verify=True, verify_images=None, verify_labels=None, verify_count=None, calib_images=None)
    values.update(given)
    return argparse.Namespace(**values)


@pytest.mark.parametrize("fixture", ["tiny_onnx_labels", "tiny_onnx_logits"])
def test_identical_backends_agree_completely_on_generated_scenes(fixture, request):
    onnx_path = request.getfixturevalue(fixture)
    card = load_model_card(onnx_path)
    check_set = generated_scenes(card, 3)
    with OrtBackend(onnx_path, card, providers=CPU) as a, OrtBackend(onnx_path, card, providers=CPU) as b:
        result = compare_backends_on(a, b, card, check_set)
    assert result.images == 3 and result.labelled == 3 and result.agreement == 1.0
    assert result.miou_reference == result.miou_candidate
    assert judge_comparison("fp16", result).criterion == "miou_drop"
    if card["head"] == "logits":
        assert result.max_abs_diff == 0.0
    else:  # a labels head has no scores to compare
        assert result.max_abs_diff is None


def test_without_labels_agreement_on_the_users_pictures_is_judged_with_stub(tiny_onnx_labels, tmp_path):
    card = load_model_card(tiny_onnx_labels)
    for index in range(4):
        picture = np.random.RandomState(index).randint(0, 256, (64, 96, 3)).astype(np.uint8)
        cv2.imwrite(str(tmp_path / "p{}.png".format(index)), picture)
    check_set = check_set_for(card, VerifySpec(str(tmp_path), None, None))
    with DisagreeingEngineStub(tiny_onnx_labels, card, 0.05) as engine, \
            OrtBackend(tiny_onnx_labels, card, providers=CPU) as reference:
        result = compare_backends_on(engine, reference, card, check_set)
    assert result.images == 4 and result.labelled == 0 and abs(result.agreement - 0.95) < 1e-3
    fp16, int8 = judge_comparison("fp16", result), judge_comparison("int8", result)
    assert fp16.criterion == int8.criterion == "agreement"
    assert not fp16.passed and int8.passed  # FP16 must agree more closely than INT8


def test_verify_failure_exits_1_with_the_numbers_with_stub(demo_onnx_labels, monkeypatch):
    """The trained demo model on generated labelled scenes: an engine that moves 20% of the pixels loses
    far more than a point of mIoU and is refused."""
    card = load_model_card(demo_onnx_labels)
    from bisenet_deploy.runtime.backends import trt_backend

    monkeypatch.setattr(trt_backend, "TrtBackend",
                        lambda path, card_, api, cuda, device: DisagreeingEngineStub(demo_onnx_labels, card_, 0.2))
    sidecar = {"model_card": card, "precision": "fp16"}
    with pytest.raises(WorkFailed) as info:
        engines_main.verify_built_engine("m.engine", demo_onnx_labels, sidecar, None, TX2, None, verify_args())
    text = str(info.value)
    assert "mIoU drop" in text and "> 1.00" in text and "generated labelled scenes" in text


def test_verify_takes_the_calibration_pictures_when_no_others_are_named(tiny_onnx_labels, tmp_path):
    card = load_model_card(tiny_onnx_labels)
    for index in range(3):
        cv2.imwrite(str(tmp_path / "c{}.png".format(index)), np.full((64, 96, 3), 40 * index, np.uint8))
    check_set = engines_main.verification_pictures(verify_args(calib_images=str(tmp_path)), card)
    assert "your 3 images" in check_set.description and not check_set.labelled


def test_a_model_of_other_classes_needs_the_users_pictures(tiny_onnx_labels):
    card = dict(load_model_card(tiny_onnx_labels), num_classes=19, classes=["c{}".format(i) for i in range(19)])
    with pytest.raises(InputError, match="--verify-images"):
        check_set_for(card, VerifySpec(None, None, None))
