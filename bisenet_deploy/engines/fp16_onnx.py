"""An FP16 copy of an FP32 ONNX, for TensorRT 11: it has no FP16 builder flag and builds every layer
in the type the ONNX gives it. Inputs and outputs stay FP32 (keep_io_types), so the model card, the
preprocessing and every consumer of the output are unchanged."""

from ..core.errors import InputError
from ..core.lazy import lazy_import

NEEDED_FOR = "building FP16 engines with TensorRT 11"


def convert_to_fp16(onnx_bytes):
    # type: (bytes) -> bytes
    """The serialized FP16 model; the model card in metadata_props travels with it."""
    onnx = lazy_import("onnx", NEEDED_FOR)
    float16 = lazy_import("onnxconverter_common.float16", NEEDED_FOR)
    model = onnx.load_from_string(onnx_bytes)
    try:
        converted = float16.convert_float_to_float16(model, keep_io_types=True)
    except Exception as exc:  # the converter raises plain exceptions for graphs it cannot handle
        raise InputError("converting the model to FP16 failed ({}); convert it with NVIDIA ModelOpt AutoCast "
                         "and build that".format(str(exc).strip().splitlines()[0] if str(exc).strip()
                                                 else type(exc).__name__))
    return converted.SerializeToString()
