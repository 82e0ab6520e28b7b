"""Tests for bisenet_deploy/core/metrics.py: hand-computed confusion matrices and properties."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.metrics import IGNORE_INDEX, ConfusionMatrix, agreement, format_class_table, report_dict

# Four classes, nine pixels, two of them ignored (gt 255):
#   gt   0 0 0 1 1 2 2 255 255
#   pred 0 0 1 1 1 0 0  3   2
# Counted pixels: 7.  Matrix (rows gt, cols pred):
#   gt0: [2 1 0 0]   gt1: [0 2 0 0]   gt2: [2 0 0 0]   gt3: [0 0 0 0]
#   row sums [3 2 2 0], column sums [4 3 0 0], diagonal [2 2 0 0]
# IoU = diag / (row + col - diag):
#   class 0: 2 / (3 + 4 - 2) = 2/5
#   class 1: 2 / (2 + 3 - 2) = 2/3
#   class 2: 0 / (2 + 0 - 0) = 0      present in gt, never predicted
#   class 3: 0 / 0           = NaN    absent from gt, predicted only on ignored pixels
# mIoU = (2/5 + 2/3 + 0) / 3 = 16/45;  pixel accuracy = (2 + 2) / 7 = 4/7
# class accuracy = diag / row = [2/3, 1, 0, NaN];  mean accuracy = (2/3 + 1 + 0) / 3 = 5/9
HAND_GT = np.array([[0, 0, 0], [1, 1, 2], [2, 255, 255]], np.uint8)
HAND_PRED = np.array([[0, 0, 1], [1, 1, 0], [0, 3, 2]], np.int32)
HAND_NAMES = ["wall", "floor", "cabinet", "bed"]


def hand_matrix():
    return ConfusionMatrix(4).update(HAND_GT, HAND_PRED)


def test_hand_computed_matrix_counts_gt_rows_pred_columns_and_skips_ignored():
    expected = np.array([[2, 1, 0, 0], [0, 2, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]])
    cm = hand_matrix()
    assert cm.matrix.dtype == np.int64
    np.testing.assert_array_equal(cm.matrix, expected)
    np.testing.assert_array_equal(cm.gt_pixels, [3, 2, 2, 0])


def test_hand_computed_iou_nan_for_absent_class_zero_for_never_predicted():
    iou = hand_matrix().class_iou()
    np.testing.assert_allclose(iou[:3], [2 / 5, 2 / 3, 0.0])
    assert math.isnan(iou[3])
    assert hand_matrix().mean_iou() == pytest.approx(16 / 45)


def test_hand_computed_pixel_and_mean_accuracy():
    cm = hand_matrix()
    assert cm.pixel_accuracy() == pytest.approx(4 / 7)
    acc = cm.class_accuracy()
    np.testing.assert_allclose(acc[:3], [2 / 3, 1.0, 0.0])
    assert math.isnan(acc[3])
    assert cm.mean_accuracy() == pytest.approx(5 / 9)


def test_every_gt_value_outside_the_classes_is_ignored_like_the_seed():
    cm = ConfusionMatrix(3)
    # gt 3 (== num_classes), 7 and 255 are all outside [0, 3): only the two class-1 pixels count.
    cm.update(np.array([1, 3, 7, IGNORE_INDEX, 1]), np.array([1, 0, 2, 1, 0]))
    assert cm.matrix.sum() == 2
    np.testing.assert_array_equal(cm.matrix[1], [1, 1, 0])
    assert cm.pixel_accuracy() == pytest.approx(0.5)


def test_signed_negative_gt_is_ignored():
    cm = ConfusionMatrix(2).update(np.array([-1, 0, 1]), np.array([0, 0, 1]))
    assert cm.matrix.sum() == 2 and cm.pixel_accuracy() == 1.0


def test_shape_mismatch_is_input_error():
    with pytest.raises(InputError, match="shapes differ"):
        ConfusionMatrix(3).update(np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))


def test_prediction_outside_the_classes_is_input_error():
    with pytest.raises(InputError, match="class index 5"):
        ConfusionMatrix(3).update(np.array([0, 1]), np.array([0, 5]))


def test_prediction_outside_the_classes_on_ignored_pixels_is_fine():
    cm = ConfusionMatrix(3).update(np.array([0, IGNORE_INDEX]), np.array([0, 9]))
    assert cm.matrix.sum() == 1


def test_merge_equals_one_big_update():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 6, size=(5, 24, 32))
    gt[rng.random(gt.shape) < 0.1] = IGNORE_INDEX
    pred = rng.integers(0, 5, size=gt.shape)
    whole = ConfusionMatrix(5).update(gt, pred)  # gt 5 is outside the 5 classes too, so ignored
    merged = ConfusionMatrix(5)
    for image_gt, image_pred in zip(gt, pred):
        merged.merge(ConfusionMatrix(5).update(image_gt, image_pred))
    np.testing.assert_array_equal(merged.matrix, whole.matrix)
    assert merged.mean_iou() == whole.mean_iou()
    assert whole.matrix.sum() == np.count_nonzero(gt < 5)


def test_merge_of_different_class_counts_is_refused():
    with pytest.raises(ValueError):
        ConfusionMatrix(3).merge(ConfusionMatrix(4))


def test_empty_matrix_gives_nan_not_a_warning():
    cm = ConfusionMatrix(3)
    with np.errstate(all="raise"):
        assert math.isnan(cm.pixel_accuracy())
        assert math.isnan(cm.mean_iou())
        assert math.isnan(cm.mean_accuracy())
        assert np.isnan(cm.class_iou()).all()


@st.composite
def label_pairs(draw):
    num_classes = draw(st.integers(1, 6))
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12))
    gt = draw(hnp.arrays(np.int64, shape, elements=st.sampled_from(list(range(num_classes)) + [IGNORE_INDEX])))
    pred = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, num_classes - 1)))
    return num_classes, gt, pred


@settings(max_examples=200, deadline=None)
@given(label_pairs())
def test_metrics_stay_in_unit_interval(case):
    num_classes, gt, pred = case
    cm = ConfusionMatrix(num_classes).update(gt, pred)
    if not (gt != IGNORE_INDEX).any():
        assert math.isnan(cm.mean_iou()) and math.isnan(cm.pixel_accuracy())
        return
    for value in (cm.mean_iou(), cm.pixel_accuracy(), cm.mean_accuracy()):
        assert 0.0 <= value <= 1.0
    iou = cm.class_iou()
    assert np.all((iou[~np.isnan(iou)] >= 0) & (iou[~np.isnan(iou)] <= 1))


@settings(max_examples=200, deadline=None)
@given(label_pairs())
def test_perfect_prediction_scores_one_on_present_classes(case):
    num_classes, gt, noise = case
    pred = np.where(gt == IGNORE_INDEX, noise, gt)  # ignored pixels may hold anything
    cm = ConfusionMatrix(num_classes).update(gt, pred)
    present = np.isin(np.arange(num_classes), gt)
    iou = cm.class_iou()
    np.testing.assert_array_equal(iou[present], 1.0)
    assert np.isnan(iou[~present]).all()
    if present.any():
        assert cm.mean_iou() == 1.0 and cm.pixel_accuracy() == 1.0 and cm.mean_accuracy() == 1.0


def test_agreement_counts_equal_pixels():
    a = np.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    b = np.array([[0, 1, 0, 3], [4, 0, 6, 7]])  # 6 of 8 agree
    assert agreement(a, b) == pytest.approx(6 / 8)
    assert agreement(a, a) == 1.0


def test_agreement_shape_mismatch_is_input_error():
    with pytest.raises(InputError, match="shapes differ"):
        agreement(np.zeros((2, 3)), np.zeros((3, 2)))


def test_class_table_shows_percent_and_dash_for_nan():
    cm = hand_matrix()
    table = format_class_table(HAND_NAMES, cm.class_iou(), cm.class_accuracy())
    lines = table.splitlines()
    assert len(lines) == 1 + len(HAND_NAMES)
    assert lines[0].split() == ["class", "IoU", "%", "acc", "%"]
    assert lines[1].split() == ["wall", "40.00", "66.67"]
    assert lines[2].split() == ["floor", "66.67", "100.00"]
    assert lines[3].split() == ["cabinet", "0.00", "0.00"]
    assert lines[4].split() == ["bed", "-", "-"]


def test_class_table_without_accuracy_has_two_columns():
    lines = format_class_table(["a", "b"], np.array([0.5, np.nan])).splitlines()
    assert [line.split() for line in lines[1:]] == [["a", "50.00"], ["b", "-"]]


def test_class_table_refuses_length_mismatch():
    with pytest.raises(ValueError):
        format_class_table(["a"], np.array([0.5, 0.2]))


def test_report_dict_is_strict_json_with_none_for_nan():
    cm = hand_matrix()
    report = report_dict(cm, HAND_NAMES)
    decoded = json.loads(json.dumps(report, allow_nan=False))
    assert decoded["mIoU"] == pytest.approx(16 / 45)
    assert decoded["pixel_acc"] == pytest.approx(4 / 7)
    assert decoded["mean_acc"] == pytest.approx(5 / 9)
    assert decoded["pixels"] == 7
    assert [row["name"] for row in decoded["per_class"]] == HAND_NAMES
    assert [row["gt_pixels"] for row in decoded["per_class"]] == [3, 2, 2, 0]
    assert decoded["per_class"][3] == {"name": "bed", "iou": None, "acc": None, "gt_pixels": 0}
    assert decoded["per_class"][2]["iou"] == 0.0


def test_report_dict_of_an_empty_matrix_is_still_strict_json():
    report = report_dict(ConfusionMatrix(2), ["a", "b"])
    decoded = json.loads(json.dumps(report, allow_nan=False))
    assert decoded["mIoU"] is None and decoded["pixel_acc"] is None and decoded["pixels"] == 0
