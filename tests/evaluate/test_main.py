"""bisenet-eval on a generated dataset whose predictions are known, so mIoU is computed by hand."""

import json

import cv2
import numpy as np
import pytest
from cli_capture import run_cli

from bisenet_deploy.core.model_info import load_model_card
from bisenet_deploy.core.modelcard import MODEL_CARD_KEY, card_to_json
from bisenet_deploy.evaluate.main import main as eval_main

RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)  # BGR; the channel-argmax model predicts 0, 1, 2


def run_eval(*argv):
    return run_cli(eval_main, *argv)


@pytest.fixture
def dataset(tmp_path):
    """Two 32x48 images in the generic layout.
    a: left 24 columns red (pred 0), right blue (pred 2); gt columns 0-15 = 0, 16-23 = 1, 24-35 = 2,
       36-47 = 255 (ignored).
    b: all green (pred 1), gt all 1."""
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    image_a = np.zeros((32, 48, 3), np.uint8)
    image_a[:, :24], image_a[:, 24:] = RED, BLUE
    label_a = np.zeros((32, 48), np.uint8)
    label_a[:, 16:24], label_a[:, 24:36], label_a[:, 36:] = 1, 2, 255
    image_b = np.zeros((32, 48, 3), np.uint8)
    image_b[:] = GREEN
    label_b = np.ones((32, 48), np.uint8)
    for name, image, label in (("a", image_a, label_a), ("b", image_b, label_b)):
        cv2.imwrite(str(root / "images" / (name + ".png")), image)
        cv2.imwrite(str(root / "labels" / (name + ".png")), label)
    return root


FLAGS = ("--input-size", "32x48", "--num-classes", "3", "--head", "labels")


def test_miou_matches_the_hand_computation(dataset, onnx_without_card, tmp_path):
    report_path = tmp_path / "report.json"
    code, stdout, stderr = run_eval("--model", onnx_without_card, "--data", dataset, "--json", report_path, *FLAGS)
    assert code == 0, stderr
    # confusion (rows gt): [0,0] = 16*32 = 512, [1,0] = 8*32 = 256, [2,2] = 12*32 = 384, [1,1] = 32*48 = 1536
    iou = [512 / (512 + 256), 1536 / (256 + 1536), 384 / 384]
    report = json.loads(report_path.read_text())
    result = report["results"][0]
    assert result["mIoU"] == pytest.approx(sum(iou) / 3)
    assert [c["iou"] for c in result["per_class"]] == pytest.approx(iou)
    assert result["pixel_acc"] == pytest.approx((512 + 1536 + 384) / (512 + 256 + 1536 + 384))
    assert report["samples"] == 2 and report["layout"] == "generic"
    assert "mIoU {:.2f}%".format(100 * sum(iou) / 3) in stdout


def test_compare_reports_agreement_and_delta(dataset, onnx_without_card, tmp_path):
    code, stdout, stderr = run_eval("--model", onnx_without_card, "--data", dataset, "--compare", "ort",
                                    "--json", tmp_path / "r.json", *FLAGS)
    assert code == 0, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["agreement"]["pixels"] == 1.0 and "mIoU change, --compare minus --model: 0.00 points (equal)" in stdout
    assert report["gate"]["criterion"] == "miou_drop" and report["gate"]["passed"] and "PASSED | mIoU drop" in stdout
    assert len(report["results"]) == 2


def write_channel_argmin_onnx(path):
    """Like conftest's channel-argmax model, but the class of the smallest channel: a worse model."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Neg", ["image"], ["negated"]),
         helper.make_node("ArgMax", ["negated"], ["index"], axis=1, keepdims=0),
         helper.make_node("Cast", ["index"], ["pred"], to=TensorProto.INT32)],
        "channel_argmin",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 48])],
        [helper.make_tensor_value_info("pred", TensorProto.INT32, [1, 32, 48])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.save(model, str(path))
    return str(path)


def with_card(path):
    """`path` with the card FLAGS describe stored in it: --compare takes a model's settings from its card."""
    import onnx

    card = load_model_card(path, {"input_size": (32, 48), "num_classes": 3, "head": "labels"})
    model = onnx.load(path)
    prop = model.metadata_props.add()
    prop.key, prop.value = MODEL_CARD_KEY, card_to_json(card)
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("worse_one", ["--compare", "--model"])
def test_compare_says_which_model_minus_which_and_the_sign_in_words(dataset, onnx_without_card, tmp_path, worse_one):
    worse = with_card(write_channel_argmin_onnx(tmp_path / "argmin.onnx"))
    onnx_without_card = with_card(onnx_without_card)
    model, other = (onnx_without_card, worse) if worse_one == "--compare" else (worse, onnx_without_card)
    code, stdout, stderr = run_eval("--model", model, "--data", dataset, "--compare", other, "--json",
                                    tmp_path / "r.json")
    assert code in (0, 1), stderr  # the gate judges --model against --compare: it fails the worse --model
    results = json.loads((tmp_path / "r.json").read_text())["results"]
    change = 100 * (results[1]["mIoU"] - results[0]["mIoU"])
    assert (change < 0) == (worse_one == "--compare") and abs(change) > 1
    expected = "mIoU change, --compare minus --model: {:+.2f} points (--compare {})".format(
        change, "lower" if change < 0 else "higher")
    assert expected in stdout, stdout


def test_eval_size_resizes_image_and_label(dataset, onnx_without_card):
    code, stdout, _ = run_eval("--model", onnx_without_card, "--data", dataset, "--eval-size", "64x96", *FLAGS)
    assert code == 0 and "mIoU" in stdout  # labels resized by nearest keep the same proportions


def test_compare_with_other_class_count_is_refused(dataset, onnx_without_card, tiny_onnx_labels):
    code, _, stderr = run_eval("--model", onnx_without_card, "--data", dataset, "--compare", tiny_onnx_labels,
                               *FLAGS)
    assert code == 2 and "37 classes" in stderr


def test_label_of_wrong_size_and_empty_folder_exit_2(dataset, onnx_without_card, tmp_path):
    cv2.imwrite(str(dataset / "labels" / "a.png"), np.zeros((10, 10), np.uint8))
    code, _, stderr = run_eval("--model", onnx_without_card, "--data", dataset, *FLAGS)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    (tmp_path / "empty").mkdir()
    code, _, stderr = run_eval("--model", onnx_without_card, "--data", tmp_path / "empty", *FLAGS)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
