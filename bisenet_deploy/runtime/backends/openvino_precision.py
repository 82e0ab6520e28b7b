"""Which precision the OpenVINO backend runs in, decided from what the CPU executes natively, said plainly.

OpenVINO's CPU plugin reports OPTIMIZATION_CAPABILITIES: BF16 where the CPU has AVX-512 BF16 or AMX,
FP16 where it has AVX-512 FP16 or AMX-FP16, INT8 (fast with VNNI/AMX). Left at its defaults it runs
BF16 on such CPUs without saying so; here the precision is always set explicitly on the compiled model
(INFERENCE_PRECISION_HINT, f32 included) and a precision the CPU lacks is refused with the reason.

auto: INT8 for a QDQ model (the bisenet-calibrate artifact TensorRT builds from), else BF16 where the
CPU lists it and runs it faster than FP32 (openvino_speed.py measures that once: listing it is not
enough, an Intel Xeon with AVX-512 BF16 but no AMX ran BF16 1.7x slower than FP32), else FP32. FP16 is
never chosen by auto: on a Xeon with AVX-512 FP16 but no AMX-FP16 OpenVINO's FP16 measured 4x slower
than its FP32 (ResNet-18/32 at 512x512), so it runs only on request. An INT8 model's layers outside
the Q/DQ pairs run in BF16 where that is native and faster, else FP32.

No OpenVINO import here: the rules are plain Python, testable with any capability list.
"""

import collections

from ...core.errors import InputError

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
PRECISION_CHOICES = ("auto",) + PRECISIONS
CAPABILITY = {"fp32": "FP32", "bf16": "BF16", "fp16": "FP16", "int8": "INT8"}  # OPTIMIZATION_CAPABILITIES names
HINT = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}  # INFERENCE_PRECISION_HINT values
AUTO_FLOAT_ORDER = ("bf16", "fp32")  # fastest first; FP16 only on request (see the module doc)

PrecisionPlan = collections.namedtuple("PrecisionPlan", "requested used hint notes")
# used: the precision that runs; hint: the INFERENCE_PRECISION_HINT set on the compiled model (for
# INT8 the precision of the layers outside the Q/DQ pairs); notes: lines for logs and summaries


def is_qdq_file(onnx_path):
    # type: (str) -> bool
    """True for an explicit INT8 (QDQ) ONNX, without onnx or OpenVINO: op names are plain text in the
    protobuf."""
    with open(onnx_path, "rb") as handle:
        return b"QuantizeLinear" in handle.read()


def native(precision, capabilities):
    # type: (str, list) -> bool
    """True when the CPU executes `precision` natively (FP32 always)."""
    return precision == "fp32" or CAPABILITY[precision] in capabilities


def lacking_reason(precision, capabilities, cpu_name):
    # type: (str, list, str) -> str
    return ("{} does not execute {} natively (OpenVINO's OPTIMIZATION_CAPABILITIES for this CPU: {}), so it "
            "would be emulated or refused".format(cpu_name, precision.upper(), ", ".join(capabilities) or "none"))


def plan_precision(requested, capabilities, qdq, cpu_name="this CPU", bf16_fast=True):
    # type: (str, list, bool, str, bool) -> PrecisionPlan
    """The precision to compile in for `requested` (a PRECISION_CHOICES name), or an InputError saying
    why not and what to do instead. `bf16_fast`: whether this CPU runs BF16 faster than FP32 (auto and
    an INT8 model's float layers use BF16 only then)."""
    requested = requested or "auto"
    if requested not in PRECISION_CHOICES:
        raise InputError("unknown precision {!r}; choose one of {}".format(requested, ", ".join(PRECISION_CHOICES)))
    capabilities = list(capabilities)
    if qdq and requested not in ("auto", "int8"):
        raise InputError("--precision {}: this ONNX is an explicit INT8 (QDQ) model; run it with --precision int8 "
                         "(or auto), or run the FP32 ONNX it was made from".format(requested))
    used = requested
    auto_floats = [p for p in AUTO_FLOAT_ORDER if native(p, capabilities) and (p != "bf16" or bf16_fast)]
    if requested == "auto":
        used = "int8" if qdq else auto_floats[0]
    if not native(used, capabilities):
        raise InputError("--precision {}: {}; use --precision {} (auto picks the fastest this CPU has)".format(
            used, lacking_reason(used, capabilities, cpu_name), auto_floats[0]))
    if used == "int8":
        if not qdq:
            raise InputError("--precision int8 needs an explicit INT8 (QDQ) model: make one with bisenet-calibrate "
                             "MODEL.onnx --images DIR and run its .qdq.onnx")
        rest = "bf16" if native("bf16", capabilities) and bf16_fast else "fp32"
        return PrecisionPlan(requested, "int8", HINT[rest], [
            "INT8 from the model's QDQ scales; the layers outside them run in {}".format(rest.upper())])
    notes = ["auto: {} is the fastest precision {} runs natively".format(used.upper(), cpu_name)] \
        if requested == "auto" else []
    if requested == "auto" and native("bf16", capabilities) and not bf16_fast:
        notes.append("auto: BF16 is native but runs no faster than FP32 on this CPU (measured: bisenet-doctor "
                     "--model shows both rates); --precision bf16 runs it anyway")
    return PrecisionPlan(requested, used, HINT[used], notes)


def bench_precisions(capabilities, wanted=PRECISIONS, has_qdq=True):
    # type: (list, tuple, bool) -> tuple
    """([precision for a bench column], [(precision, why it is skipped)]): only what the CPU runs natively."""
    kept, skipped = [], []
    for precision in wanted:
        if not native(precision, capabilities):
            skipped.append((precision, lacking_reason(precision, capabilities, "this CPU")))
        elif precision == "int8" and not has_qdq:
            skipped.append((precision, "needs a QDQ model: give --calib-images (or a .qdq.onnx in --models)"))
        else:
            kept.append(precision)
    return kept, skipped


def prefers_openvino(capabilities, qdq, bf16_fast=True):
    # type: (list, bool, bool) -> bool
    """auto's rule for an .onnx on a CPU: OpenVINO for a QDQ model (ONNX Runtime ran our QDQ model slower
    than FP32, OpenVINO 3-4x faster) and where the CPU runs BF16 natively and faster than FP32, where
    OpenVINO's BF16 runs several times faster than ONNX Runtime's FP32; elsewhere ONNX Runtime stays the
    default (OpenVINO's FP32 is only about 10 % faster)."""
    return qdq or (native("bf16", capabilities) and bf16_fast)
