"""The pure-Python side of kernels.cu: its text, kernel signatures, launch geometry and buffer plans.

No pycuda here, so all of it is tested without a GPU; pycuda_ops.py (and the CuPy test) only execute
the KernelCalls built here. The numbers below mirror kernels.cu; tests check them against the
compiled source.
"""

import collections
import io
import os

import numpy as np

from ...core.errors import InputError
from ..postprocess import head_align_corners

KERNELS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels.cu")

TAP_BYTES = 12  # sizeof(Tap): int lo, int hi, float frac
TAPS_CV_LINEAR_COLUMNS = 0
TAPS_CV_LINEAR_ROWS = 1
TAPS_CV_NEAREST = 2
TAPS_TORCH_ALIGN_CORNERS = 3
TAPS_TORCH_HALF_PIXEL = 4

# Kernel name -> argument types in the .cu's order, as pycuda's Function.prepare takes them
# (P pointer, i int, f float).
SIGNATURES = {
    "resize_taps": "Piii",
    "preprocess_float32": "PiPPPiiffffff",
    "preprocess_float16": "PiPPPiiffffff",
    "labels_from_logits_float32": "PiiiPPPiiPiPiffP",
    "labels_from_logits_float16": "PiiiPPPiiPiPiffP",
    "labels_from_label_map": "PiiPPPiiPiPiffP",
    "overlay_labels": "PiiPiPiffP",
}
PREPROCESS_KERNELS = {"float32": "preprocess_float32", "float16": "preprocess_float16"}
LOGITS_KERNELS = {"float32": "labels_from_logits_float32", "float16": "labels_from_logits_float16"}
MAX_GPU_CLASSES = 255  # labels come back as uint8

BLOCK_2D = (32, 8, 1)  # a warp along a row: coalesced reads of frame rows and writes of planes
BLOCK_1D = (128, 1, 1)

KernelCall = collections.namedtuple("KernelCall", "name grid block args")
DeviceFrame = collections.namedtuple("DeviceFrame", "pointer height width pitch")
PreprocessPlan = collections.namedtuple(
    "PreprocessPlan", "frame_height frame_width pitch frame_bytes input_height input_width input_dtype input_bytes "
                      "taps_bytes")
OutputSpec = collections.namedtuple("OutputSpec", "head classes height width dtype align_corners")
PostprocessPlan = collections.namedtuple(
    "PostprocessPlan", "output height width labels_bytes overlay_bytes taps_bytes")


def kernel_source():
    # type: () -> str
    """The text of kernels.cu, which ships inside the package."""
    with io.open(KERNELS_FILE, encoding="utf-8") as f:
        return f.read()


def grid_2d(height, width, block=BLOCK_2D):
    # type: (int, int, tuple) -> tuple
    """Blocks covering a height x width image with one thread per pixel."""
    return (-(-int(width) // block[0]), -(-int(height) // block[1]), 1)


def grid_1d(count, block=BLOCK_1D):
    # type: (int, tuple) -> tuple
    return (-(-int(count) // block[0]), 1, 1)


def grown(capacity, needed):
    # type: (int, int) -> int
    """Buffer size after asking for `needed` bytes: grow to fit, never shrink."""
    return max(int(capacity), int(needed))


def dtype_name(dtype, allowed, what):
    # type: (object, tuple, str) -> str
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name not in allowed:
        raise InputError("GPU processing takes a {} of {}, not {}".format(what, " or ".join(allowed), name))
    return name


def normalization_args(mean, std):
    # type: (list, list) -> tuple
    """The six float32 kernel arguments (mean RGB, std RGB), rounded as the reference rounds them."""
    if len(mean) != 3 or len(std) != 3:
        raise InputError("the model card needs 3 mean and 3 std values, got {} and {}".format(len(mean), len(std)))
    return tuple(np.float32(v) for v in list(mean) + list(std))


def blend_weights(alpha):
    # type: (float) -> tuple
    """(alpha, beta) as float32, as cv2.addWeighted(mask, alpha, frame, 1 - alpha, 0) converts them."""
    if not 0.0 <= float(alpha) <= 1.0:
        raise InputError("--alpha must be between 0 and 1, got {}".format(alpha))
    return np.float32(alpha), np.float32(1.0 - float(alpha))


def _pointer(value):
    return np.uint64(int(value))


def plan_preprocess(frame_shape, input_hw, input_dtype):
    # type: (tuple, tuple, object) -> PreprocessPlan
    """Sizes for one frame: the packed BGR frame, the NCHW input and the taps (columns, then rows)."""
    if len(frame_shape) != 3 or frame_shape[2] != 3 or frame_shape[0] < 1 or frame_shape[1] < 1:
        raise InputError("expected an (h, w, 3) BGR frame, got shape {}".format(tuple(frame_shape)))
    height, width = int(frame_shape[0]), int(frame_shape[1])
    input_height, input_width = int(input_hw[0]), int(input_hw[1])
    name = dtype_name(input_dtype, tuple(PREPROCESS_KERNELS), "network input")
    return PreprocessPlan(height, width, width * 3, height * width * 3, input_height, input_width, name,
                          3 * input_height * input_width * np.dtype(name).itemsize,
                          (input_width + input_height) * TAP_BYTES)


def taps_call(taps_pointer, mode, src_size, dst_size):
    # type: (int, int, int, int) -> KernelCall
    return KernelCall("resize_taps", grid_1d(dst_size), BLOCK_1D,
                      (_pointer(taps_pointer), np.int32(dst_size), np.int32(src_size), np.int32(mode)))


def preprocess_taps_calls(plan, taps_pointer):
    # type: (PreprocessPlan, int) -> list
    """The launches that fill the taps buffer; needed again only when the frame size changes."""
    rows_pointer = int(taps_pointer) + plan.input_width * TAP_BYTES
    return [taps_call(taps_pointer, TAPS_CV_LINEAR_COLUMNS, plan.frame_width, plan.input_width),
            taps_call(rows_pointer, TAPS_CV_LINEAR_ROWS, plan.frame_height, plan.input_height)]


def preprocess_call(plan, frame_pointer, taps_pointer, input_pointer, normalization):
    # type: (PreprocessPlan, int, int, int, tuple) -> KernelCall
    """frame (device, packed BGR) -> network input (device, 1x3xHxW of plan.input_dtype)."""
    rows_pointer = int(taps_pointer) + plan.input_width * TAP_BYTES
    return KernelCall(PREPROCESS_KERNELS[plan.input_dtype], grid_2d(plan.input_height, plan.input_width), BLOCK_2D,
                      (_pointer(frame_pointer), np.int32(plan.pitch), _pointer(taps_pointer), _pointer(rows_pointer),
                       _pointer(input_pointer), np.int32(plan.input_height), np.int32(plan.input_width))
                      + tuple(normalization))


def output_spec(card, output_shape, output_dtype):
    # type: (dict, tuple, object) -> OutputSpec
    """What the engine's output holds (batch element 0 is used), checked against the card."""
    shape, classes = tuple(int(d) for d in output_shape), int(card["num_classes"])
    if classes > MAX_GPU_CLASSES:
        raise InputError("GPU postprocessing handles at most {} classes (uint8 labels); this model has {}".format(
            MAX_GPU_CLASSES, classes))
    if len(card["colors"]) < classes:
        raise InputError("the model card has {} colours for {} classes".format(len(card["colors"]), classes))
    if card["head"] == "labels":
        if len(shape) != 3:
            raise InputError("a labels head outputs N x H x W, but the engine gives shape {}".format(shape))
        dtype_name(output_dtype, ("int32",), "labels output")
        return OutputSpec("labels", classes, shape[1], shape[2], "int32", False)
    if len(shape) != 4 or shape[1] != classes:
        raise InputError("a {}-class logits head outputs N x {} x h x w, but the engine gives shape {}".format(
            classes, classes, shape))
    name = dtype_name(output_dtype, tuple(LOGITS_KERNELS), "logits output")
    return OutputSpec("logits", classes, shape[2], shape[3], name, head_align_corners(card))


def plan_postprocess(output, frame_hw):
    # type: (OutputSpec, tuple) -> PostprocessPlan
    height, width = int(frame_hw[0]), int(frame_hw[1])
    if height < 1 or width < 1:
        raise InputError("cannot produce labels for an empty {}x{} frame".format(height, width))
    return PostprocessPlan(output, height, width, height * width, height * width * 3, (width + height) * TAP_BYTES)


def postprocess_taps_calls(plan, taps_pointer):
    # type: (PostprocessPlan, int) -> list
    output = plan.output
    if output.head == "labels":
        mode = TAPS_CV_NEAREST
    else:
        mode = TAPS_TORCH_ALIGN_CORNERS if output.align_corners else TAPS_TORCH_HALF_PIXEL
    rows_pointer = int(taps_pointer) + plan.width * TAP_BYTES
    return [taps_call(taps_pointer, mode, output.width, plan.width),
            taps_call(rows_pointer, mode, output.height, plan.height)]


def postprocess_call(plan, output_pointer, taps_pointer, labels_pointer, frame, palette_pointer, weights,
                     overlay_pointer=0):
    # type: (PostprocessPlan, int, int, int, DeviceFrame, int, tuple, int) -> KernelCall
    """Engine output -> uint8 labels at the frame's size, and the blended overlay unless overlay_pointer is 0."""
    output = plan.output
    rows_pointer = int(taps_pointer) + plan.width * TAP_BYTES
    head_args = (_pointer(output_pointer),) + ((np.int32(output.classes),) if output.head == "logits" else ())
    name = LOGITS_KERNELS[output.dtype] if output.head == "logits" else "labels_from_label_map"
    return KernelCall(name, grid_2d(plan.height, plan.width), BLOCK_2D, head_args + (
        np.int32(output.height), np.int32(output.width), _pointer(taps_pointer), _pointer(rows_pointer),
        _pointer(labels_pointer), np.int32(plan.height), np.int32(plan.width), _pointer(frame.pointer),
        np.int32(frame.pitch), _pointer(palette_pointer), np.int32(output.classes), weights[0], weights[1],
        _pointer(overlay_pointer)))


def overlay_call(labels_pointer, height, width, frame, palette_pointer, palette_size, weights, overlay_pointer):
    # type: (int, int, int, DeviceFrame, int, int, tuple, int) -> KernelCall
    """uint8 labels (height x width) + frame -> blended BGR overlay, for labels made elsewhere."""
    return KernelCall("overlay_labels", grid_2d(height, width), BLOCK_2D, (
        _pointer(labels_pointer), np.int32(height), np.int32(width), _pointer(frame.pointer), np.int32(frame.pitch),
        _pointer(palette_pointer), np.int32(palette_size), weights[0], weights[1], _pointer(overlay_pointer)))
