"""Which precision an engine is really built in, decided before TensorRT runs, and said plainly.

The rules: FP16 only where the GPU runs it fast (else FP32, with a note); INT8 only where the GPU has
fast INT8, unless forced for accuracy experiments (the TX2, sm_62, has none: it gets a refusal that
says to use FP16); INT8 needs either calibration data (implicit, TensorRT <= 10) or a QDQ model
(explicit, TensorRT 8.0+); TensorRT 11 has no precision flags, so the ONNX itself must carry it.
"""

import collections

from ..core.errors import InputError
from ..core.lazy import is_installed
from .device import has_fast_fp16, has_fast_int8

PRECISIONS = ("fp32", "fp16", "int8")

Capabilities = collections.namedtuple("Capabilities", "trt_version precision_flags calibrators fast_fp16 fast_int8 "
                                                      "gpu_text compute_capability explicit_int8 fp16_converter")
# precision_flags/calibrators: what the TensorRT bindings have; fast_*: TensorRT's answer, or the
# architecture table's where TensorRT 11 no longer answers; fp16_converter: an FP32 ONNX can be
# converted to FP16 here (onnx + onnxconverter-common), which TensorRT 11 needs for FP16
GraphFacts = collections.namedtuple("GraphFacts", "qdq float16_weights")
PrecisionPlan = collections.namedtuple("PrecisionPlan", "requested used flags calibrate notes convert_to_fp16")
PrecisionPlan.__new__.__defaults__ = (False,)  # namedtuple(defaults=) is Python 3.7
# used: the precision the engine runs in; flags: BuilderFlag names to set; calibrate: an implicit
# INT8 calibrator is needed; notes: lines for the build report; convert_to_fp16: build from an FP16
# copy of the ONNX (TensorRT 11)
FP16_CONVERTER_PACKAGES = ("onnx", "onnxconverter_common")


def capabilities(api, builder, device):
    """Capabilities from the TensorRT bindings, asking the architecture where TensorRT cannot say."""
    fast_fp16, fast_int8 = api.platform_fast_precisions(builder)
    if fast_fp16 is None:
        fast_fp16, fast_int8 = has_fast_fp16(device.compute_capability), has_fast_int8(device.compute_capability)
    return Capabilities(api.version, api.has_precision_flags, api.has_calibrators, fast_fp16, fast_int8,
                        "{} (sm_{})".format(device.name, device.compute_capability.replace(".", "")),
                        device.compute_capability, api.supports_qdq(builder),
                        all(is_installed(package) for package in FP16_CONVERTER_PACKAGES))


def graph_facts(onnx_bytes, card):
    # type: (bytes, dict) -> GraphFacts
    """Is the ONNX explicitly quantized (QDQ), are its weights FP16? onnx answers; without it (a bare
    Jetson) the op name in the protobuf and the model card do."""
    if is_installed("onnx"):
        import onnx  # workstation path; the device falls back below
        model = onnx.load_from_string(onnx_bytes)
        qdq = any(node.op_type == "QuantizeLinear" for node in model.graph.node)
        half = any(init.data_type == onnx.TensorProto.FLOAT16 for init in model.graph.initializer)
        return GraphFacts(qdq, half)
    qdq = b"QuantizeLinear" in onnx_bytes or bool(card.get("calibration"))
    return GraphFacts(qdq, card["input"]["dtype"] == "float16")


def default_precision(caps, graph):
    # type: (Capabilities, GraphFacts) -> str
    """What to build when no precision flag is given: the fastest that needs nothing more from the user
    (FP16 where the GPU has it and TensorRT can set it; the ONNX's own precision on TensorRT 11)."""
    if graph.qdq:
        return "int8"
    if not caps.precision_flags and not caps.fp16_converter:
        return "fp16" if graph.float16_weights else "fp32"
    return "fp16" if caps.fast_fp16 else "fp32"


def plan_precision(requested, caps, graph, force_int8=False, have_calibration_data=False):
    # type: (str, Capabilities, GraphFacts, bool, bool) -> PrecisionPlan
    """The precision to build in (`requested` None: default_precision), or an InputError saying why not
    and what to do instead."""
    requested = requested or default_precision(caps, graph)
    if requested not in PRECISIONS:
        raise InputError("unknown precision {!r}; choose one of {}".format(requested, ", ".join(PRECISIONS)))
    if graph.qdq and requested != "int8":
        raise InputError("this ONNX is an explicit INT8 (QDQ) model; build it with --int8, or build the FP32 "
                         "ONNX it came from with --{}".format(requested))
    if not caps.precision_flags:
        return _strongly_typed_plan(requested, caps, graph, force_int8)
    if requested == "fp32":
        return PrecisionPlan(requested, "fp32", [], False, [])
    if requested == "fp16":
        if not caps.fast_fp16:
            return PrecisionPlan(requested, "fp32", [], False, [
                "{} has no fast FP16, so the engine is FP32 (FP16 would be slower here)".format(caps.gpu_text)])
        return PrecisionPlan(requested, "fp16", ["FP16"], False, [])
    return _int8_plan(caps, graph, force_int8, have_calibration_data)


def _int8_speed_notes(caps, force_int8):
    """Refuse INT8 on a GPU without fast INT8 unless forced; the note that goes with forcing it."""
    if caps.fast_int8:
        return []
    if not force_int8:
        raise InputError(
            "--int8: {} has no fast INT8 (TensorRT reports platform_has_fast_int8 = False; the Jetson TX2's "
            "Pascal GPU lacks the INT8 instructions), so an INT8 engine would run slower than FP16 here. "
            "Build with --fp16, the fastest precision on this GPU, or add --force-int8 to build INT8 anyway "
            "for accuracy experiments".format(caps.gpu_text))
    return ["--force-int8: {} has no fast INT8; expect this engine to be slower than FP16".format(caps.gpu_text)]


def _int8_plan(caps, graph, force_int8, have_calibration_data):
    notes = _int8_speed_notes(caps, force_int8)
    # layers TensorRT keeps out of INT8 run in FP16 where that is fast, as trtexec --int8 --fp16 does
    flags = ["INT8"] + (["FP16"] if caps.fast_fp16 else [])
    if graph.qdq:
        if not caps.explicit_int8:
            raise InputError("TensorRT {} cannot build explicit INT8 (QDQ) models (that came with 8.0); build the "
                             "FP32 ONNX with --fp16, or with --int8 --calib-images".format(caps.trt_version))
        return PrecisionPlan("int8", "int8", flags, False, notes + ["explicit INT8 from the model's QDQ scales"])
    if not caps.calibrators:
        raise InputError("--int8 with TensorRT {} needs an explicit INT8 model (this version has no calibrators): "
                         "make one with bisenet-calibrate MODEL.onnx --images DIR and build its .qdq.onnx".format(
                             caps.trt_version))
    if not have_calibration_data:
        raise InputError("--int8 needs calibration data: --calib-images DIR|GLOB (a few hundred representative "
                         "frames) or --calib-cache FILE from an earlier build, or a QDQ model from bisenet-calibrate")
    return PrecisionPlan("int8", "int8", flags, True, notes + ["implicit INT8 from entropy calibration"])


def _strongly_typed_plan(requested, caps, graph, force_int8):
    """TensorRT 11: no BuilderFlag.FP16/INT8 and no calibrators; the ONNX's own types decide."""
    if requested == "int8":
        if not graph.qdq:
            raise InputError("--int8 with TensorRT {} needs an explicit INT8 model (this version has no calibrators "
                             "or INT8 flag): make one with bisenet-calibrate MODEL.onnx --images DIR and build its "
                             ".qdq.onnx".format(caps.trt_version))
        return PrecisionPlan("int8", "int8", [], False,
                             _int8_speed_notes(caps, force_int8) + ["explicit INT8 from the model's QDQ scales"])
    if requested == "fp16" and not graph.float16_weights:
        if not caps.fp16_converter:
            raise InputError("--fp16 with TensorRT {}: this version has no FP16 builder flag and builds in the ONNX's "
                             "own types; pip install onnx onnxconverter-common and the build converts the model "
                             "itself, or convert it first (NVIDIA ModelOpt AutoCast) and build that".format(
                                 caps.trt_version))
        return PrecisionPlan("fp16", "fp16", [], False, [
            "TensorRT {} has no FP16 flag: building from an FP16 copy of the ONNX (inputs and outputs stay "
            "FP32)".format(caps.trt_version)], True)
    if requested == "fp32" and graph.float16_weights:
        raise InputError("--fp32: this ONNX has FP16 weights and TensorRT {} builds in the ONNX's own types; build "
                         "the FP32 ONNX it was converted from".format(caps.trt_version))
    return PrecisionPlan(requested, requested, [], False, ["TensorRT {} builds in the ONNX's own types".format(
        caps.trt_version)])
