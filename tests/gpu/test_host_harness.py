"""kernels.cu's arithmetic, run on the CPU through the nvcc-built host harness, against the numpy/OpenCV reference."""

import re
import subprocess

import numpy as np
import pytest

from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.runtime.gpu import kernel_source as ks
from bisenet_deploy.runtime.overlay import blend, colorize, palette_bgr
from bisenet_deploy.runtime.bilinear import linear_taps
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess

PTX_TYPES = {"u64": "P", "u32": "i", "s32": "i", "f32": "f"}


def test_kernels_compile_for_the_device_with_the_signatures_python_launches(nvcc, tmp_path):
    """nvcc type-checks the __global__ code; each PTX entry's parameters match kernel_source.SIGNATURES."""
    ptx = tmp_path / "kernels.ptx"
    result = subprocess.run([nvcc, "-arch=sm_75", "--ptx", "-o", str(ptx), ks.KERNELS_FILE],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert result.returncode == 0, result.stderr
    entries = dict(re.findall(r"\.entry (\w+)\(([^)]*)\)", ptx.read_text()))
    assert set(entries) == set(ks.SIGNATURES)
    for name, params in entries.items():
        types = "".join(PTX_TYPES[t] for t in re.findall(r"\.param \.(\w+)", params))
        assert types == ks.SIGNATURES[name], name


def test_harness_sees_the_layout_kernel_source_assumes(harness):
    info = harness.info()
    assert info["tap_bytes"] == ks.TAP_BYTES
    for name in ("TAPS_CV_LINEAR_COLUMNS", "TAPS_CV_LINEAR_ROWS", "TAPS_CV_NEAREST", "TAPS_TORCH_ALIGN_CORNERS",
                 "TAPS_TORCH_HALF_PIXEL"):
        assert info[name] == getattr(ks, name), name


def test_preprocess_float32_matches_reference(harness, preprocess_case, kernel_inputs):
    frame_hw, input_hw = preprocess_case
    frame = kernel_inputs.random_frame(*frame_hw, seed=sum(frame_hw))
    out = harness.preprocess(frame, input_hw, "float32", IMAGENET_MEAN, IMAGENET_STD, row_padding=5)
    reference = preprocess(frame, input_hw)
    assert out.shape == reference.shape
    assert np.abs(out - reference).max() <= 1e-5


def test_preprocess_float16_equals_reference_cast(harness, preprocess_case, kernel_inputs):
    frame_hw, input_hw = preprocess_case
    frame = kernel_inputs.random_frame(*frame_hw, seed=sum(frame_hw) + 1)
    out = harness.preprocess(frame, input_hw, "float16", IMAGENET_MEAN, IMAGENET_STD)
    assert np.array_equal(out, preprocess(frame, input_hw, dtype=np.float16))


def test_preprocess_uses_the_cards_normalization_per_channel(harness, kernel_inputs):
    """Distinct mean/std per channel catch a swapped channel order or a mean/std mix-up."""
    frame = kernel_inputs.random_frame(30, 40, seed=3)
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.5, 1.5]
    out = harness.preprocess(frame, (24, 32), "float32", mean, std)
    assert np.abs(out - preprocess(frame, (24, 32), mean, std)).max() <= 1e-5
    assert np.abs(out - preprocess(frame, (24, 32), mean[::-1], std[::-1])).max() > 0.1


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("src_size,dst_size", [(8, 64), (12, 97), (16, 7), (1, 5), (9, 1), (13, 13)])
def test_torch_taps_equal_postprocess_linear_taps(harness, align_corners, src_size, dst_size):
    mode = ks.TAPS_TORCH_ALIGN_CORNERS if align_corners else ks.TAPS_TORCH_HALF_PIXEL
    taps = harness.taps(mode, src_size, dst_size)
    lower, upper, frac = linear_taps(src_size, dst_size, align_corners)
    assert np.array_equal(taps["lo"], lower) and np.array_equal(taps["hi"], upper)
    assert np.array_equal(taps["frac"], frac)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_logits_labels_equal_reference(harness, logits_case, dtype, align_corners, kernel_inputs):
    shape, frame_hw = logits_case
    logits = (np.random.RandomState(shape[0]).standard_normal(shape) * 4).astype(dtype)
    labels = harness.logits(logits, frame_hw, align_corners)
    card = kernel_inputs.card("logits", shape[0], align_corners)
    reference = labels_from_output(logits[None], card, frame_hw)
    assert np.array_equal(labels, reference)


def test_logits_ties_and_nan_follow_numpy_argmax(harness, kernel_inputs):
    """Small integer scores tie everywhere (the first maximum wins); a NaN counts as the maximum."""
    logits = np.random.RandomState(5).randint(0, 3, (6, 4, 5)).astype(np.float32)
    logits[3, 2, 2] = np.nan
    card = kernel_inputs.card("logits", 6)
    reference = labels_from_output(logits[None], card, (9, 11))
    labels = harness.logits(logits, (9, 11), True)
    assert np.array_equal(labels, reference)
    assert (reference == 3).any() and len(np.unique(reference)) > 2


def test_label_map_equals_reference(harness, label_map_case, kernel_inputs):
    in_hw, frame_hw = label_map_case
    network_labels = np.random.RandomState(in_hw[0]).randint(0, 37, in_hw).astype(np.int32)
    labels = harness.label_map(network_labels, frame_hw)
    assert np.array_equal(labels, labels_from_output(network_labels[None], kernel_inputs.card("labels", 37), frame_hw))


@pytest.mark.parametrize("alpha", [0.5, 0.3, 0.45, 0.9, 1.0, 0.0])
def test_overlay_matches_addweighted(harness, alpha, kernel_inputs):
    """Bit-equal to cv2.addWeighted's SIMD formula; the reference blend() itself may differ by 1 on builds
    without fused multiply-add, which is all this allows."""
    card = kernel_inputs.card("labels", 7)
    labels = np.random.RandomState(1).randint(0, 7, (61, 83)).astype(np.uint8)
    frame = kernel_inputs.random_frame(61, 83, seed=2)
    weights = ks.blend_weights(alpha)
    out = harness.overlay(labels, frame, palette_bgr(card["colors"]), *weights)
    mask = colorize(labels, card["colors"])
    assert np.array_equal(out, kernel_inputs.addweighted_simd(frame, mask, alpha))
    assert np.abs(out.astype(int) - blend(frame, mask, alpha)).max() <= 1


def test_overlay_paints_labels_without_a_colour_black(harness, kernel_inputs):
    card = kernel_inputs.card("labels", 3)
    labels = np.array([[0, 1, 2, 3, 200]], np.uint8)
    frame = np.full((1, 5, 3), 100, np.uint8)
    out = harness.overlay(labels, frame, palette_bgr(card["colors"]), *ks.blend_weights(1.0))
    assert np.array_equal(out[0, :3], palette_bgr(card["colors"]))
    assert not out[0, 3:].any()
