"""bisenet-eval --compare with an explicit INT8 (QDQ) model on either side: the compared model runs at its
own precision (a QDQ model INT8, whatever --precision says for --model), and a refusal comes before the
evaluation, in one line. The trained demo model and its real bisenet-calibrate copy, OpenVINO's real CPU."""

import argparse
import json
import shutil

import pytest
from cli_capture import run_cli

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.evaluate import main as evaluate
from bisenet_deploy.scenes.demo_model import DEMO_INPUT_SIZE
from bisenet_deploy.scenes.main import main as scenes_main

pytest.importorskip("openvino")

SIZE = "{}x{}".format(*DEMO_INPUT_SIZE)


@pytest.fixture(scope="module")
def models(demo_onnx_labels, tmp_path_factory):
    """(bisenet-scenes folder, FP32 ONNX, its QDQ copy calibrated on that folder's pictures)."""
    folder = tmp_path_factory.mktemp("compare_qdq")
    assert scenes_main([str(folder / "scenes"), "--count", "10", "--size", SIZE, "--seed", "3"]) == 0
    fp32 = str(folder / "demo.onnx")
    shutil.copy(demo_onnx_labels, fp32)
    qdq = str(folder / "demo.qdq.onnx")
    code, _, err = run_cli(calibrate_main, fp32, "--calib-images", folder / "scenes", "--no-progress", "-o", qdq)
    assert code == 0, err
    return str(folder / "scenes"), fp32, qdq


@pytest.mark.parametrize("order", ["fp32 first", "qdq first"])
@pytest.mark.parametrize("precision", [[], ["--precision", "auto"]])
def test_a_qdq_model_compares_either_way_round(models, order, precision, tmp_path):
    data, fp32, qdq = models
    model, compare = (fp32, qdq) if order == "fp32 first" else (qdq, fp32)
    code, stdout, stderr = run_cli(evaluate.main, "--model", model, "--compare", compare, "--data", data,
                                   "--json", tmp_path / "r.json", *precision)
    assert code == 0, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert [r["precision"] for r in report["results"]] == (["fp32", "int8"] if order == "fp32 first"
                                                            else ["int8", "fp32"])
    assert report["agreement"]["pixels"] > 0.95 and "pixel agreement" in stdout


def test_a_precision_the_model_cannot_run_is_refused_before_the_evaluation(models):
    data, fp32, qdq = models
    code, stdout, stderr = run_cli(evaluate.main, "--model", qdq, "--precision", "fp32", "--compare", fp32,
                                   "--data", data)
    assert code == 2 and "--precision fp32" in stderr and "QDQ" in stderr
    assert len(stderr.strip().splitlines()) == 1 and "evaluating" not in stdout


def test_the_compared_models_precision_is_its_own(models):
    """openvino chooses: a QDQ model INT8, the same model FP32 (the reference), another FP32 model at
    --model's float --precision (else auto); a backend that runs what its file holds is given none."""
    _, fp32, qdq = models
    other = fp32[: -len(".onnx")] + "_copy.onnx"
    shutil.copy(fp32, other)

    def precision(path, given, backend="openvino"):
        return evaluate._comparison_precision(argparse.Namespace(model=fp32, precision=given), path, backend)

    assert precision(qdq, "bf16") == "int8" and precision(qdq, "auto") == "int8"
    assert precision(fp32, "bf16") == "fp32"
    assert precision(other, "bf16") == "bf16" and precision(other, "int8") == "auto"
    assert precision(other, "auto") == "auto" and precision(qdq, "auto", backend="ort") is None
