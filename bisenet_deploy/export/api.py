"""Export as a function: `export_onnx(checkpoint, output, head="logits", ...)` runs the whole pipeline
(load, trace, simplify, lint, verify, write) and returns the written model's card. bisenet-export and
bisenet-bench both call it; it imports torch and onnx only when it runs."""

import collections
import os

from ..core.defaults import DEFAULT_INPUT_SIZE
from ..core.errors import InputError
from ..core.lazy import lazy_import
from ..core.outpaths import check_output, refuse_same_file
from ..core.model_info import CHECKPOINT_SUFFIXES
from .input_size import check_side_limit
from .names import DEFAULT_LINT_TARGET

DEFAULT_OPSET = 11  # the highest opset every TensorRT from 7.1 parses

ExportSettings = collections.namedtuple(
    "ExportSettings", "input_size batch dynamic_batch opset head upsample target_trt simplify lint min_agreement "
                      "family arch in_planes num_classes variant dataset classes mean std trust_checkpoint")
DEFAULT_SETTINGS = ExportSettings(None, 1, None, DEFAULT_OPSET, "labels", "auto", DEFAULT_LINT_TARGET, True, True,
                                  None, None, None, None, None, None, None, None, None, None, False)
# input_size None: the size the checkpoint records, else DEFAULT_INPUT_SIZE. dynamic_batch N: a dynamic
# batch axis (1..N). family/arch/in_planes/num_classes/variant None: read off the checkpoint.
# dataset/classes/mean/std None: the dataset the class count names, with its source's normalization.


def export_onnx(checkpoint, output=None, log=print, **settings):
    """Export `checkpoint` to `output` (default: beside it, .onnx); keyword arguments are ExportSettings
    fields. InputError for bad settings or input, WorkFailed when verification or lint fails."""
    unknown = sorted(set(settings) - set(ExportSettings._fields))
    if unknown:
        raise TypeError("unknown export settings: {}".format(", ".join(unknown)))
    chosen = DEFAULT_SETTINGS._replace(**settings)
    validate(chosen)
    if os.path.isdir(checkpoint):  # before the output checks, which would call the folder an input to write into
        raise InputError("checkpoint is not a file: {}".format(checkpoint))
    output = output or default_output(checkpoint)
    if not output.endswith(".onnx"):
        raise InputError("output must end in .onnx: {}".format(output))
    check_output(output, "--output")  # before minutes of export, not after
    refuse_same_file(output, "--output", {"CHECKPOINT": checkpoint, "--classes": chosen.classes})
    # Fail with an install hint before any work, rather than deep inside a stage.
    for package in ("torch", "onnx", "onnxruntime") + (("onnxsim",) if chosen.simplify else ()):
        lazy_import(package, "bisenet-export")
    from . import pipeline

    chosen = chosen._replace(upsample=resolve_upsample(chosen.upsample, chosen.target_trt))
    return pipeline.run(checkpoint, chosen, output, log)


def validate(settings):
    if settings.input_size is not None:
        # the multiple its sides need is the family's (16 or 32): checked once the checkpoint names it
        check_side_limit(settings.input_size)
    if settings.batch < 1 or settings.batch > 64:
        raise InputError("--batch must be between 1 and 64, got {}".format(settings.batch))
    if settings.dynamic_batch is not None and not 1 <= settings.dynamic_batch <= 64:
        raise InputError("--dynamic-batch must be between 1 and 64, got {}".format(settings.dynamic_batch))
    if settings.dynamic_batch is not None and settings.batch != 1:
        raise InputError("--batch and --dynamic-batch exclude each other: a dynamic batch axis takes 1..N")
    for name in ("mean", "std"):
        values = getattr(settings, name)
        if values is not None and (len(values) != 3 or (name == "std" and min(values) <= 0)):
            raise InputError("--{} needs three {}numbers (R G B), got {}".format(
                name, "positive " if name == "std" else "", " ".join(str(v) for v in values)))
    if not 7 <= settings.opset <= 20:
        raise InputError("--opset must be between 7 and 20, got {}".format(settings.opset))
    if settings.upsample != "deconv" and settings.opset < 11:
        raise InputError("--opset {} cannot express bilinear align_corners=True; use 11 or higher".format(
            settings.opset))
    if settings.min_agreement is not None and not 0.0 <= settings.min_agreement <= 1.0:
        raise InputError("--min-agreement must be between 0 and 1, got {}".format(settings.min_agreement))
    for name in ("in_planes", "num_classes"):
        value = getattr(settings, name)
        if value is not None and value < 1:
            raise InputError("--{} must be positive, got {}".format(name.replace("_", "-"), value))


def resolve_upsample(mode, target_trt):
    # type: (str, str) -> str
    """auto -> the cheapest exact form the target parses: Resize from 8.0 (7.1 maps its align_corners
    modes wrongly), constant interpolation matrices on 7.1."""
    if mode != "auto":
        return mode
    return "matmul" if target_trt == "7.1" else "resize"


def default_output(checkpoint):
    # type: (str) -> str
    stem = os.path.basename(checkpoint)
    for suffix in CHECKPOINT_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(checkpoint)), stem + ".onnx")
