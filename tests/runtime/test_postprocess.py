"""Postprocessing: nearest resize for a labels head, exact align_corners bilinear + argmax for logits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from agreement import assert_agree
from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime import bilinear
from bisenet_deploy.runtime.bilinear import argmax_upsampled, upsample_bilinear
from bisenet_deploy.runtime.postprocess import labels_from_output


def card(head, num_classes=37, align_corners=True):
    return {"head": head, "num_classes": num_classes,
            "head_upsample": {"mode": "bilinear", "align_corners": align_corners}}


def synthetic_labels(height, width, num_classes=37, seed=0):
    return np.random.RandomState(seed).randint(0, num_classes, (1, height, width)).astype(np.int32)


def test_labels_head_integer_upscale_repeats_each_pixel():
    output = synthetic_labels(64, 96)
    labels = labels_from_output(output, card("labels"), (128, 192))
    assert labels.dtype == np.uint8 and labels.shape == (128, 192)
    expected = np.repeat(np.repeat(output[0], 2, axis=0), 2, axis=1)
    assert np.array_equal(labels, expected)


@pytest.mark.parametrize("frame_hw", [(123, 77), (64, 96), (480, 640), (37, 301)])
def test_labels_head_nearest_resize_is_exact(frame_hw):
    output = synthetic_labels(64, 96, seed=frame_hw[0])
    labels = labels_from_output(output, card("labels"), frame_hw)
    height, width = frame_hw
    rows, cols = np.arange(height) * 64 // height, np.arange(width) * 96 // width  # nearest: floor(i * in / out)
    assert np.array_equal(labels, output[0][rows][:, cols])


def torch_upsample(logits, frame_hw, align_corners):
    return F.interpolate(torch.from_numpy(logits), size=frame_hw, mode="bilinear",
                         align_corners=align_corners).numpy()


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("frame_hw", [(123, 77), (64, 96), (481, 641), (5, 3)])
def test_logits_upsample_matches_torch(frame_hw, align_corners):
    logits = np.random.RandomState(sum(frame_hw)).standard_normal((2, 37, 8, 12)).astype(np.float32)
    reference = torch_upsample(logits, frame_hw, align_corners)
    values = upsample_bilinear(logits[0], frame_hw, align_corners)
    assert values.shape == (37,) + frame_hw and values.dtype == np.float32
    assert np.max(np.abs(values - reference[0])) <= 1e-5
    labels = labels_from_output(logits, card("logits", align_corners=align_corners), frame_hw)
    assert labels.shape == frame_hw and labels.dtype == np.uint8
    assert_agree(labels, reference[0].argmax(0), 0.999)
    second = labels_from_output(logits, card("logits", align_corners=align_corners), frame_hw, index=1)
    assert_agree(second, reference[1].argmax(0), 0.999)


def test_align_corners_matters():
    """The two sampling grids differ, so a test that mixed them up would fail."""
    logits = np.random.RandomState(3).standard_normal((37, 8, 12)).astype(np.float32)
    assert np.max(np.abs(upsample_bilinear(logits, (123, 77), True) - upsample_bilinear(logits, (123, 77), False))) > 0.1


def test_banded_argmax_equals_whole_frame(monkeypatch):
    logits = np.random.RandomState(4).standard_normal((37, 8, 12)).astype(np.float32)
    whole = upsample_bilinear(logits, (97, 131), True).argmax(0)
    monkeypatch.setattr(bilinear, "BAND_ELEMENTS", 37 * 131 * 5)  # five rows per band, last band shorter
    assert np.array_equal(argmax_upsampled(logits, (97, 131), True), whole)
    assert np.array_equal(labels_from_output(logits[None], card("logits"), (97, 131)), whole)


def test_many_classes_use_uint16():
    output = synthetic_labels(8, 8, num_classes=300)
    labels = labels_from_output(output, card("labels", num_classes=300), (16, 16))
    assert labels.dtype == np.uint16 and labels.max() == output.max()


@pytest.mark.parametrize("head, shape", [("labels", (1, 3, 64, 96)), ("logits", (1, 64, 96)), ("logits", (1, 5, 8, 12))])
def test_output_that_does_not_fit_the_card_is_refused(head, shape):
    with pytest.raises(InputError, match="head outputs"):
        labels_from_output(np.zeros(shape, np.float32), card(head), (10, 10))


def test_empty_frame_size_is_refused():
    with pytest.raises(InputError, match="empty"):
        labels_from_output(synthetic_labels(8, 8), card("labels"), (0, 10))
