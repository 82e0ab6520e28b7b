"""bisenet-doctor --model: the precisions this CPU runs natively, from OpenVINO's real CPU plugin, and
what each costs the trained demo model against FP32, measured for real and judged by the precision gate."""

import json
import shutil

import cli_capture
import pytest

from bisenet_deploy.doctor.main import main
from bisenet_deploy.runtime.backends import openvino_precision

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
