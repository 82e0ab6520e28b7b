"""The real kernels on a CUDA GPU, compiled by CuPy (NVRTC) and launched with kernel_source's KernelCalls,
against the numpy/OpenCV reference with the host harness's tolerances. Skipped without CuPy or a GPU."""

import os
import types

import numpy as np
import pytest

from bisenet_deploy.core.modelcard import IMAGENET_MEAN, IMAGENET_STD
from bisenet_deploy.runtime.gpu import kernel_source as ks
from bisenet_deploy.runtime.overlay import blend, colorize, palette_bgr
from bisenet_deploy.runtime.postprocess import labels_from_output
from bisenet_deploy.core.preprocess import preprocess


def cupy_with_a_device():
    try:
        import cupy
    except ImportError as exc:
        pytest.skip("CuPy is not importable ({}): running the real kernels needs CuPy and a CUDA GPU".format(exc))
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as exc:
        pytest.skip("CuPy finds no usable CUDA device ({})".format(exc))
    if count < 1:
        pytest.skip("CuPy finds no CUDA device")
    return cupy


@pytest.fixture(scope="module")
def gpu():
    cupy = cupy_with_a_device()
    cuda_path = os.environ.get("CUDA_PATH") or getattr(cupy.cuda, "get_cuda_path", lambda: None)()
    include = os.path.join(cuda_path, "include") if cuda_path else ""
    options = ("-I" + include,) if os.path.isdir(include) else ()  # for cuda_fp16.h where CuPy bundles none
    module = cupy.RawModule(code=ks.kernel_source(), options=options)

    def launch(call):
        module.get_function(call.name)(call.grid, call.block, call.args)

    return types.SimpleNamespace(cupy=cupy, launch=launch)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_preprocess_kernel_matches_reference(gpu, preprocess_case, dtype, kernel_inputs):
    cupy = gpu.cupy
    frame_hw, input_hw = preprocess_case
    frame = kernel_inputs.random_frame(*frame_hw, seed=sum(frame_hw))
    plan = ks.plan_preprocess(frame.shape, input_hw, dtype)
    device_frame = cupy.asarray(frame)
    taps = cupy.empty(plan.taps_bytes, cupy.uint8)
    network_input = cupy.full((1, 3) + tuple(input_hw), np.nan, dtype)
    for call in ks.preprocess_taps_calls(plan, taps.data.ptr):
        gpu.launch(call)
    gpu.launch(ks.preprocess_call(plan, device_frame.data.ptr, taps.data.ptr, network_input.data.ptr,
                                  ks.normalization_args(IMAGENET_MEAN, IMAGENET_STD)))
    out = network_input.get()
    if dtype == np.float32:
        assert np.abs(out - preprocess(frame, input_hw)).max() <= 1e-5
    else:
        assert np.array_equal(out, preprocess(frame, input_hw, dtype=np.float16))


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_logits_kernel_gives_reference_labels_and_overlay_in_one_pass(gpu, logits_case, dtype, align_corners,
                                                                     kernel_inputs):
    cupy = gpu.cupy
    shape, frame_hw = logits_case
    logits = (np.random.RandomState(shape[0]).standard_normal((1,) + shape) * 4).astype(dtype)
    card = kernel_inputs.card("logits", shape[0], align_corners)
    frame = kernel_inputs.random_frame(*frame_hw, seed=7)
    plan = ks.plan_postprocess(ks.output_spec(card, logits.shape, dtype), frame_hw)
    device_frame, device_logits = cupy.asarray(frame), cupy.asarray(logits)
    palette = cupy.asarray(palette_bgr(card["colors"]))
    taps = cupy.empty(plan.taps_bytes, cupy.uint8)
    labels = cupy.full(frame_hw, 255, cupy.uint8)
    overlay = cupy.zeros(frame.shape, cupy.uint8)
    for call in ks.postprocess_taps_calls(plan, taps.data.ptr):
        gpu.launch(call)
    gpu.launch(ks.postprocess_call(plan, device_logits.data.ptr, taps.data.ptr, labels.data.ptr,
                                   ks.DeviceFrame(device_frame.data.ptr, frame_hw[0], frame_hw[1], frame_hw[1] * 3),
                                   palette.data.ptr, ks.blend_weights(0.3), overlay.data.ptr))
    reference = labels_from_output(logits, card, frame_hw)
    assert np.array_equal(labels.get(), reference)
    mask = colorize(reference, card["colors"])
    assert np.array_equal(overlay.get(), kernel_inputs.addweighted_simd(frame, mask, 0.3))
    assert np.abs(overlay.get().astype(int) - blend(frame, mask, 0.3)).max() <= 1


def test_label_map_kernel_then_separate_overlay_kernel(gpu, label_map_case, kernel_inputs):
    cupy = gpu.cupy
    in_hw, frame_hw = label_map_case
    network_labels = np.random.RandomState(in_hw[0]).randint(0, 37, (1,) + tuple(in_hw)).astype(np.int32)
    card = kernel_inputs.card("labels", 37)
    frame = kernel_inputs.random_frame(*frame_hw, seed=8)
    plan = ks.plan_postprocess(ks.output_spec(card, network_labels.shape, np.int32), frame_hw)
    device_frame = ks.DeviceFrame(0, frame_hw[0], frame_hw[1], frame_hw[1] * 3)
    device_labels_in, taps = cupy.asarray(network_labels), cupy.empty(plan.taps_bytes, cupy.uint8)
    labels = cupy.full(frame_hw, 255, cupy.uint8)
    for call in ks.postprocess_taps_calls(plan, taps.data.ptr):
        gpu.launch(call)
    gpu.launch(ks.postprocess_call(plan, device_labels_in.data.ptr, taps.data.ptr, labels.data.ptr, device_frame, 0,
                                   ks.blend_weights(0.5)))
    reference = labels_from_output(network_labels, card, frame_hw)
    assert np.array_equal(labels.get(), reference)

    frame_on_gpu, palette = cupy.asarray(frame), cupy.asarray(palette_bgr(card["colors"]))
    overlay = cupy.zeros(frame.shape, cupy.uint8)
    gpu.launch(ks.overlay_call(labels.data.ptr, frame_hw[0], frame_hw[1],
                               device_frame._replace(pointer=frame_on_gpu.data.ptr), palette.data.ptr,
                               len(card["colors"]), ks.blend_weights(0.5), overlay.data.ptr))
    # alpha 0.5 makes every product exact, so fused or not, any cv2 build rounds the same
    assert np.array_equal(overlay.get(), blend(frame, colorize(reference, card["colors"]), 0.5))
