"""kernel_source: the launches and buffer plans pycuda_ops executes, checked without a GPU or nvcc."""

import re

import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.runtime.gpu import kernel_source as ks

ARG_DTYPES = {"P": np.uint64, "i": np.int32, "f": np.float32}


def assert_matches_signature(call):
    assert len(call.args) == len(ks.SIGNATURES[call.name]), call.name
    for arg, kind in zip(call.args, ks.SIGNATURES[call.name]):
        assert type(arg) is ARG_DTYPES[kind], (call.name, arg, kind)


def test_source_ships_beside_the_module_and_declares_every_kernel():
    source = ks.kernel_source()
    declared = set(re.findall(r'extern "C" __global__ void (\w+)\(', source))
    assert declared == set(ks.SIGNATURES)


@pytest.mark.parametrize("height,width", [(1, 1), (8, 32), (9, 33), (480, 640), (1080, 1920)])
def test_grid_covers_every_pixel_with_no_spare_block(height, width):
    grid = ks.grid_2d(height, width)
    block = ks.BLOCK_2D
    assert grid[0] * block[0] >= width > (grid[0] - 1) * block[0]
    assert grid[1] * block[1] >= height > (grid[1] - 1) * block[1]
    assert grid[2] == 1


def test_buffers_grow_and_never_shrink():
    assert ks.grown(0, 100) == 100
    assert ks.grown(100, 40) == 100
    assert ks.grown(100, 101) == 101


def test_preprocess_plan_and_calls():
    plan = ks.plan_preprocess((480, 640, 3), (64, 96), "float16")
    assert plan.pitch == 640 * 3 and plan.frame_bytes == 480 * 640 * 3
    assert plan.input_bytes == 3 * 64 * 96 * 2 and plan.taps_bytes == (96 + 64) * ks.TAP_BYTES
    columns, rows = ks.preprocess_taps_calls(plan, 1000)
    assert (columns.args[0], columns.args[1], columns.args[2]) == (1000, 96, 640)
    assert (rows.args[0], rows.args[1], rows.args[2]) == (1000 + 96 * ks.TAP_BYTES, 64, 480)
    assert (columns.args[3], rows.args[3]) == (ks.TAPS_CV_LINEAR_COLUMNS, ks.TAPS_CV_LINEAR_ROWS)
    norm = ks.normalization_args([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    call = ks.preprocess_call(plan, 5000, 1000, 9000, norm)
    assert call.name == "preprocess_float16" and call.grid == ks.grid_2d(64, 96)
    assert call.args[3] == rows.args[0] and call.args[4] == 9000
    for c in [columns, rows, call]:
        assert_matches_signature(c)


@pytest.mark.parametrize("shape,dtype", [((480, 640), np.uint8), ((480, 640, 4), np.uint8), ((0, 5, 3), np.uint8)])
def test_preprocess_plan_refuses_frames_that_are_not_bgr(shape, dtype):
    with pytest.raises(InputError, match="BGR"):
        ks.plan_preprocess(shape, (64, 96), np.float32)


def test_preprocess_plan_refuses_input_types_the_kernels_lack():
    with pytest.raises(InputError, match="float32 or float16, not int8"):
        ks.plan_preprocess((4, 4, 3), (64, 96), np.int8)


def card(head, num_classes=5, align_corners=True):
    return {"head": head, "num_classes": num_classes, "colors": [[0, 0, 0]] * num_classes,
            "head_upsample": {"mode": "bilinear", "align_corners": align_corners}}


@pytest.mark.parametrize("align_corners,mode", [(True, ks.TAPS_TORCH_ALIGN_CORNERS),
                                                (False, ks.TAPS_TORCH_HALF_PIXEL)])
def test_logits_postprocess_plan_and_calls(align_corners, mode):
    spec = ks.output_spec(card("logits", 5, align_corners), (1, 5, 8, 12), "float16")
    assert spec == ks.OutputSpec("logits", 5, 8, 12, "float16", align_corners)
    plan = ks.plan_postprocess(spec, (480, 640))
    assert (plan.labels_bytes, plan.overlay_bytes) == (480 * 640, 480 * 640 * 3)
    columns, rows = ks.postprocess_taps_calls(plan, 2000)
    assert (columns.args[1:], rows.args[1:]) == ((640, 12, mode), (480, 8, mode))
    frame = ks.DeviceFrame(7000, 480, 640, 1920)
    call = ks.postprocess_call(plan, 100, 2000, 3000, frame, 4000, ks.blend_weights(0.25), 8000)
    assert call.name == "labels_from_logits_float16" and call.grid == ks.grid_2d(480, 640)
    assert call.args[1:4] == (5, 8, 12) and call.args[5] == rows.args[0]
    assert call.args[-3:] == (np.float32(0.25), np.float32(0.75), 8000)
    for c in [columns, rows, call]:
        assert_matches_signature(c)


def test_label_map_postprocess_uses_nearest_taps():
    spec = ks.output_spec(card("labels"), (1, 64, 96), np.int32)
    plan = ks.plan_postprocess(spec, (37, 53))
    assert all(c.args[3] == ks.TAPS_CV_NEAREST for c in ks.postprocess_taps_calls(plan, 0))
    call = ks.postprocess_call(plan, 100, 0, 0, ks.DeviceFrame(0, 37, 53, 0), 0, ks.blend_weights(0.5))
    assert call.name == "labels_from_label_map" and call.args[-1] == 0  # no overlay asked for
    assert_matches_signature(call)
    overlay = ks.overlay_call(1, 37, 53, ks.DeviceFrame(2, 37, 53, 159), 3, 5, ks.blend_weights(0.5), 4)
    assert_matches_signature(overlay)


@pytest.mark.parametrize("head,shape,dtype,message", [
    ("logits", (1, 4, 8, 12), "float32", "5-class logits"),
    ("logits", (1, 5, 8), "float32", "5-class logits"),
    ("logits", (1, 5, 8, 12), "int32", "float32 or float16"),
    ("labels", (1, 5, 8, 12), "int32", "N x H x W"),
    ("labels", (1, 8, 12), "float32", "int32"),
])
def test_output_spec_refuses_outputs_that_do_not_fit_the_card(head, shape, dtype, message):
    with pytest.raises(InputError, match=message):
        ks.output_spec(card(head), shape, dtype)


def test_output_spec_refuses_more_classes_than_uint8_labels_hold():
    with pytest.raises(InputError, match="at most 255 classes"):
        ks.output_spec(card("logits", 300), (1, 300, 8, 12), "float32")


def test_blend_weights_are_the_float32_values_opencv_uses():
    alpha, beta = ks.blend_weights(0.3)
    assert alpha == np.float32(0.3) and beta == np.float32(0.7) and alpha.dtype == np.float32
    with pytest.raises(InputError, match="alpha"):
        ks.blend_weights(1.5)
