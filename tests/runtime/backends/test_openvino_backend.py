"""The OpenVINO backend on this machine's real CPU: every precision it runs natively agrees with FP32 within
its threshold on a calibrated model, the ones it lacks are refused with the reason, the in-graph
preprocessing matches the reference, and bisenet-bench has columns only for what the CPU runs."""

import json
import shutil

import cv2
import numpy as np
import pytest
from cli_capture import run_cli
from scene_images import SAMPLE, write_scene_images

from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.core.errors import InputError, WorkFailed
from bisenet_deploy.bench import main as bench
from bisenet_deploy.runtime.backends import create_backend, resolve_backend_name
from bisenet_deploy.core import precision_gate
from bisenet_deploy.runtime.backends import openvino_backend, openvino_precision
from bisenet_deploy.runtime.precision_check import VerifySpec, judge_comparison
from bisenet_deploy.runtime.backends.openvino_backend import OpenVinoBackend, cpu_facts
from bisenet_deploy.runtime.backends.frames import MAX_FRAME_SIZES, FrameInput
from bisenet_deploy.runtime.backends.openvino_graph import preprocessing_model
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess
from bisenet_deploy.runtime.segmenter import Segmenter

ov = pytest.importorskip("openvino")

# In-graph preprocessing against runtime/preprocess.py, after normalization (values span about
# -2.1..2.6): without a resize they agree to 5e-7; OpenVINO's bilinear resize computes source
# coordinates in its own float order, which moved values by up to 5.4e-4 at 1080x1920 -> 512x512
# and 1.3e-4 at 480x640 (0.03 grey levels at most). 1e-3 is 0.06 grey levels.
PREPROCESS_TOLERANCE = 1e-5  # the resize is OpenCV's own; (x - 255 m) / (255 s) rounds differently
CAPABILITIES = cpu_facts()[1]
NATIVE = [p for p in openvino_precision.PRECISIONS if openvino_precision.native(p, CAPABILITIES)]


@pytest.fixture(scope="session")
def calibrated(tmp_path_factory, demo_onnx_logits):
    """(FP32 logits ONNX, its QDQ INT8 copy from bisenet-calibrate with its defaults): the trained demo
    model, calibrated on generated scenes, so agreement is judged on scores that mean something."""
    images = tmp_path_factory.mktemp("ov_scenes")
    write_scene_images(images, 40)
    model = str(tmp_path_factory.mktemp("ov_model") / "demo.onnx")
    shutil.copy(demo_onnx_logits, model)  # the QDQ copy lands next to it, where --verify finds its FP32 source
    code, _, err = run_cli(calibrate_main, model, "--calib-images", images, "--no-progress")
    assert code == 0, err
    return model, model[: -len(".onnx")] + ".qdq.onnx"


def model_for(precision, calibrated):
    return calibrated[1] if precision == "int8" else calibrated[0]


@pytest.mark.parametrize("precision", NATIVE)
def test_each_native_precision_runs_explicitly_and_agrees_with_fp32(precision, calibrated):
    path = model_for(precision, calibrated)
    card = load_model_card(path)
    backend = OpenVinoBackend(path, card, threads=1, precision=precision, verify=True)
    with Segmenter(backend, card) as segmenter:
        labels = segmenter.segment(cv2.imread(SAMPLE)).labels
        assert backend.precision == precision
        assert "INFERENCE_PRECISION_HINT={}".format(backend.plan.hint) in backend.describe()
    assert labels.shape == cv2.imread(SAMPLE).shape[:2] and labels.dtype == np.uint8
    if precision == "fp32":
        assert backend.verification is None  # nothing to compare FP32 with
    else:  # judged on generated labelled scenes: the demo model predicts their SUN RGB-D classes
        verdict = judge_comparison(precision, backend.verification)
        assert backend.verification.labelled == backend.verification.images > 0
        assert verdict.criterion == "miou_drop" and verdict.passed, verdict.text


def test_auto_runs_the_fastest_native_precision(calibrated):
    backend = OpenVinoBackend(calibrated[0], load_model_card(calibrated[0]), threads=1)
    with backend:  # BF16 only where this CPU lists it and OpenVINO measured it faster than FP32
        fast = openvino_backend.bf16_fast(ov.Core(), backend.cpu_name, CAPABILITIES, 1)
        assert backend.precision == ("bf16" if fast else "fp32")
    qdq = OpenVinoBackend(calibrated[1], load_model_card(calibrated[1]), threads=1)
    with qdq:
        assert qdq.precision == "int8"


@pytest.mark.parametrize("precision", ["bf16", "fp16", "int8"])
def test_a_precision_the_cpu_lacks_is_refused_with_the_reason(precision, calibrated):
    lacking = [c for c in CAPABILITIES if c != openvino_precision.CAPABILITY[precision]]
    path = model_for(precision, calibrated)
    backend = OpenVinoBackend(path, load_model_card(path), precision=precision, capabilities=lacking)
    with pytest.raises(InputError) as error:
        backend.activate()
    text = str(error.value)
    assert "does not execute {} natively".format(precision.upper()) in text and ", ".join(lacking) in text
    assert not backend.is_active


def test_a_precision_that_disagrees_with_fp32_is_refused_with_the_figures(calibrated, monkeypatch):
    reduced = [p for p in NATIVE if p in ("bf16", "fp16")]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    monkeypatch.setattr(precision_gate, "MAX_MIOU_DROP_POINTS", -100.0)  # no run can reach it
    backend = OpenVinoBackend(calibrated[0], load_model_card(calibrated[0]), precision=reduced[0], verify=True)
    with pytest.raises(WorkFailed) as error:
        backend.activate()
    text = str(error.value)
    assert "--precision {} refused".format(reduced[0]) in text and "mIoU drop" in text
    assert "generated labelled scenes" in text and not backend.is_active


def test_verify_judges_agreement_on_the_users_own_pictures(calibrated, tmp_path):
    reduced = [p for p in NATIVE if p in ("bf16", "fp16")]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    write_scene_images(tmp_path, 3)
    spec = VerifySpec(str(tmp_path), None, None)
    with OpenVinoBackend(calibrated[0], load_model_card(calibrated[0]), precision=reduced[0], verify=spec) as backend:
        result = backend.verification
    assert result.images == 3 and result.labelled == 0 and result.miou_reference is None
    assert judge_comparison(reduced[0], result).criterion == "agreement"


@pytest.mark.skipif("int8" not in NATIVE, reason="this CPU runs no INT8 natively")
def test_int8_verify_finds_its_fp32_source_by_the_card_not_the_name(calibrated, tmp_path):
    """-o walk.qdq.onnx from demo.onnx: the QDQ card names demo.onnx (path and sha256), so --verify
    compares with it, where the name rule alone would look for walk.onnx."""
    images = tmp_path / "images"
    write_scene_images(images, 12)
    walk = str(tmp_path / "out" / "walk.qdq.onnx")
    code, _, err = run_cli(calibrate_main, calibrated[0], "--calib-images", images, "--no-progress", "-o", walk)
    assert code == 0, err
    card = load_model_card(walk)
    assert card["calibration"]["source_model"]["path"] == calibrated[0]
    with OpenVinoBackend(walk, card, threads=1, precision="int8", verify=True) as backend:
        assert backend.verification.images > 0


def test_qdq_model_in_a_float_precision_is_refused(calibrated):
    backend = OpenVinoBackend(calibrated[1], load_model_card(calibrated[1]), precision="fp32")
    with pytest.raises(InputError, match="explicit INT8"):
        backend.activate()


@pytest.mark.parametrize("frame_hw", [(480, 640), (64, 96), (333, 1001), (1080, 1920)])
def test_in_graph_preprocessing_matches_the_reference(frame_hw, tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    frame = np.random.RandomState(sum(frame_hw)).randint(0, 256, frame_hw + (3,)).astype(np.uint8)
    compiled = ov.Core().compile_model(preprocessing_model(card), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    ours = compiled.create_infer_request().infer({0: FrameInput(card, frame_hw)(frame)})[0]
    reference = preprocess(frame, card["input_size"], card["mean"], card["std"])
    assert ours.shape == reference.shape
    assert float(np.max(np.abs(ours - reference))) <= PREPROCESS_TOLERANCE


@pytest.mark.parametrize("head", ["logits", "labels"])
def test_whole_frame_model_gives_the_reference_labels_in_fp32(head, tiny_onnx_logits, tiny_onnx_labels):
    path = tiny_onnx_logits if head == "logits" else tiny_onnx_labels
    card = load_model_card(path)
    frame = cv2.imread(SAMPLE)
    with OpenVinoBackend(path, card, threads=1, precision="fp32") as backend:
        labels, overlay, timings = backend.segment_frame(frame)
        reference = labels_from_output(backend.infer(preprocess(frame, card["input_size"])), card, frame.shape[:2])
    assert overlay is None and timings["network"] > 0
    assert labels.shape == reference.shape and labels.dtype == reference.dtype
    assert float(np.mean(labels == reference)) >= 0.999  # float rounding may flip a near-tie pixel


def test_auto_picks_openvino_only_where_the_cpu_makes_it_faster(calibrated, monkeypatch):
    monkeypatch.setattr(openvino_backend, "cpu_facts", lambda core=None: ("cpu", ["FP32", "INT8"]))
    assert resolve_backend_name("auto", calibrated[0]) == "ort"
    assert resolve_backend_name("auto", calibrated[1]) == "openvino"  # QDQ: ONNX Runtime is slow on it
    monkeypatch.setattr(openvino_backend, "cpu_facts", lambda core=None: ("cpu", ["FP32", "BF16", "INT8"]))
    for measured, backend in (({"fp32": 100.0, "bf16": 250.0}, "openvino"), ({"fp32": 300.0, "bf16": 165.0}, "ort")):
        monkeypatch.setattr(openvino_backend, "bf16_speed", lambda core, name, threads=None: measured)
        assert resolve_backend_name("auto", calibrated[0]) == backend


def test_other_backends_refuse_a_reduced_precision(calibrated):
    with pytest.raises(InputError, match="--backend openvino"):
        create_backend("ort", calibrated[0], load_model_card(calibrated[0]), precision="bf16")


def test_bench_columns_only_for_native_precisions(monkeypatch, caplog):
    lacking = [c for c in CAPABILITIES if c != "BF16"]
    monkeypatch.setattr(openvino_backend, "cpu_facts", lambda core=None: ("cpu", lacking))
    columns = bench.select_columns(["openvino"])
    expected = [p for p in ("fp32", "int8") if "INT8" in lacking or p == "fp32"]
    assert [c.options["precision"] for c in columns] == expected
    assert "skipping OV BF16" in caplog.text and "BF16 natively" in caplog.text


def test_bench_reports_ov_columns_with_their_precision(tiny_onnx_logits, tmp_path):
    out = tmp_path / "speed.json"
    code, stdout, err = run_cli(bench.main, "--models", tiny_onnx_logits, "--backends", "openvino", "--iters", "2",
                                "--warmup", "1", "--threads", "1", "--json", out)
    assert code == 0, err
    records = json.loads(out.read_text())
    expected = [p for p in ("fp32", "bf16") if p in NATIVE]
    assert [r["column"] for r in records] == ["OV " + p.upper() for p in expected]
    assert [r["precision"] for r in records] == expected
    assert records[0]["environment"]["openvino_capabilities"] == CAPABILITIES
    assert "OV FP32" in stdout


@pytest.mark.parametrize("backend_name", ["openvino", "ort"])
def test_frames_of_many_sizes_share_one_frame_model_and_get_the_reference_labels(backend_name, tiny_onnx_logits):
    card = load_model_card(tiny_onnx_logits)
    backend = create_backend(backend_name, tiny_onnx_logits, card, threads=1, precision="fp32")
    sizes = [(40 + 8 * i, 60 + 4 * i) for i in range(2 * MAX_FRAME_SIZES + 2)] + [(40, 60)]
    with backend:
        for size in sizes:
            frame = cv2.resize(cv2.imread(SAMPLE), (size[1], size[0]))
            labels = backend.segment_frame(frame)[0]
            reference = labels_from_output(backend.infer(preprocess(frame, card["input_size"])), card, size)
            assert labels.shape == size and float(np.mean(labels == reference)) >= 0.999
        slots = backend._pipeline._slots  # each frame in flight has its own buffers, of the latest sizes only
        assert [len(steps._steps) for steps, _ in slots] == [MAX_FRAME_SIZES] * len(slots)


def test_eval_compare_verifies_the_reduced_precision_and_records_it(calibrated, tmp_path):
    from bisenet_deploy.evaluate.main import main as eval_main

    reduced = [p for p in NATIVE if p in ("bf16", "fp16")]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for index in range(2):
        frame = cv2.resize(cv2.imread(SAMPLE), (96 + 16 * index, 64))
        cv2.imwrite(str(root / "images" / "{}.png".format(index)), frame)
        cv2.imwrite(str(root / "labels" / "{}.png".format(index)), np.zeros(frame.shape[:2], np.uint8))
    report = tmp_path / "report.json"
    code, stdout, err = run_cli(eval_main, "--model", calibrated[0], "--backend", "openvino", "--precision", reduced[0],
                                "--data", root, "--compare", "openvino", "--json", report, "--verify")
    assert code == 0, err
    result = json.loads(report.read_text())
    runs = [(r["backend"], r["precision"]) for r in result["results"]]
    assert runs == [("openvino", reduced[0]), ("openvino", "fp32")]
    assert result["verification"]["labelled"] > 0  # --verify first, on generated labelled scenes
    assert result["gate"]["criterion"] == "miou_drop" and result["gate"]["passed"]  # then the data judges
    assert "pixel agreement" in stdout


def test_bisenet_run_verifies_on_a_labelled_scenes_folder_and_refuses_past_the_gate(calibrated, tmp_path, monkeypatch,
                                                                                      caplog):
    from bisenet_deploy.runtime.run import main as run_main
    from bisenet_deploy.scenes.main import main as scenes_main

    reduced = [p for p in NATIVE if p in ("bf16", "fp16")]
    if not reduced:
        pytest.skip("this CPU runs no reduced float precision natively")
    scenes = tmp_path / "mine"
    assert scenes_main([str(scenes), "--count", "3", "--size", "192x256", "--seed", "5"]) == 0
    argv = ["--model", calibrated[0], "--backend", "openvino", "--precision", reduced[0], "--verify-images", scenes,
            "--images", scenes / "images", "--headless", "--output", str(tmp_path / "out") + "/"]
    caplog.set_level("INFO")
    code, _, err = run_cli(run_main, *argv)
    assert code == 0, err
    assert "your 3 images ({}, labelled)".format(scenes / "images") in caplog.text and "OK | mIoU drop" in caplog.text
    monkeypatch.setattr(precision_gate, "MAX_MIOU_DROP_POINTS", -100.0)  # no run can reach it
    code, _, err = run_cli(run_main, *argv[:-2] + ["--output", str(tmp_path / "refused") + "/"])
    assert code == 1 and "--precision {} refused".format(reduced[0]) in err and "mIoU drop" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "refused").exists()
