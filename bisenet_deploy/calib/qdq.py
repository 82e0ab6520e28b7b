"""Explicit INT8: an FP32 ONNX -> a QDQ ONNX (QuantizeLinear/DequantizeLinear around each Conv) with
onnxruntime's static quantization, calibrated on a CalibrationStream and shaped for TensorRT.

TensorRT (8.0+, and 11, which has no implicit INT8 at all) builds INT8 layers from the Q/DQ nodes,
so the choices below follow what its ONNX parser accepts rather than what is fastest on a CPU:
- symmetric INT8 activations and weights (zero point 0; TensorRT supports nothing else);
- weights kept in float behind a Q/DQ pair: TensorRT 8.x refuses an INT8 initializer as a
  DequantizeLinear input ("only activation types allowed as input to this layer",
  microsoft/onnxruntime#14229);
- biases left in float: an INT32 bias DequantizeLinear fails to parse (onnx/onnx-tensorrt#850);
- Conv only by default: TensorRT before 8.5 cannot build INT8 deconvolution (NVIDIA/TensorRT#2280);
- per-channel weights need QuantizeLinear's `axis` (opset 13), so the model is converted to opset 13
  first (TensorRT 8.0+ parses it).
onnxruntime and onnx are imported on first use: this module also loads on the TX2, which has neither.
"""

import contextlib
import io
import json
import logging
import os

from ..core.errors import InputError, WorkFailed
from ..core.lazy import lazy_import
from ..core.leftovers import scratch_folder
from ..core.modelcard import IMAGENET_MEAN, IMAGENET_STD, MODEL_CARD_KEY, batch_range, card_from_metadata, card_to_json

log = logging.getLogger(__name__)

METHODS = ("entropy", "percentile", "minmax")
# onnxruntime's names; entropy is what TensorRT's own IInt8EntropyCalibrator2 does.
_ORT_METHODS = {"entropy": "Entropy", "percentile": "Percentile", "minmax": "MinMax"}
PER_CHANNEL_OPSET = 13
# Where a card-less model's calibration record goes (a carded model keeps it in the card).
CALIBRATION_KEY = "bisenet_deploy.calibration"
_TENSORRT_OPTIONS = {
    "ActivationSymmetric": True,
    "WeightSymmetric": True,
    "AddQDQPairToWeight": True,
    "QuantizeBias": False,
    # One batch per collection round, so entropy/percentile histograms are merged batch by batch
    # instead of onnxruntime holding every activation of every image first (ResNet-18/32 at 512x512,
    # 50 images: 5.9 GB peak without, 0.37 GB with). Despite the name, onnxruntime applies the
    # stride to every calibration method.
    "CalibStridedMinMax": 1,
}
_FLOAT_TYPES = {1: "float32", 10: "float16"}
_INT_TYPES = {6: "int32", 7: "int64", 2: "uint8", 3: "int8"}


def load_onnx(path):
    """The ModelProto at `path`; InputError when it is missing or not an ONNX model."""
    onnx = lazy_import("onnx", "making a QDQ INT8 model")
    if not os.path.isfile(path):
        raise InputError("model not found: {}".format(path))
    try:
        return onnx.load(path)
    except Exception as exc:  # protobuf's DecodeError and friends: not an ONNX file
        raise InputError("cannot read {} as an ONNX model: {}".format(path, _first_line(exc)))


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _graph_inputs(model):
    weights = set(init.name for init in model.graph.initializer)
    return [value for value in model.graph.input if value.name not in weights]


def _dims(value):
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
            for d in value.type.tensor_type.shape.dim]


def card_for_calibration(model, path):
    # type: (object, str) -> tuple
    """(card, has_card): the model card, or for a card-less ONNX one read off its graph.

    A card-less model is accepted when it has one float (N, 3, H, W) input with a fixed H and W and
    an integer label map or float (N, C, h, w) scores as its first output; it is then assumed to
    take the seed's preprocessing (RGB, /255, ImageNet mean/std), and a warning says so.
    """
    card = card_from_metadata(dict((p.key, p.value) for p in model.metadata_props), path)
    inputs = _graph_inputs(model)
    if card is not None:
        if card["input"]["name"] not in [value.name for value in inputs]:
            raise InputError("{}: the model card names the input {!r}, which the graph does not have".format(
                path, card["input"]["name"]))
        return card, True
    if len(inputs) != 1:
        raise InputError("{} has no bisenet-deploy model card and {} inputs; without a card only a model with one "
                         "image input can be calibrated".format(path, len(inputs)))
    dims = _dims(inputs[0])
    elem = inputs[0].type.tensor_type.elem_type
    if len(dims) != 4 or dims[1] != 3 or None in dims[2:] or elem not in _FLOAT_TYPES:
        raise InputError("{} has no model card and its input {} is not a float N x 3 x H x W image with fixed H and W "
                         "(shape {})".format(path, inputs[0].name, "x".join(str(d or "?") for d in dims)))
    output = model.graph.output[0]
    out_dims, out_elem = _dims(output), output.type.tensor_type.elem_type
    if out_elem in _INT_TYPES and len(out_dims) == 3:
        head, num_classes, out_dtype = "labels", None, _INT_TYPES[out_elem]
    elif out_elem in _FLOAT_TYPES and len(out_dims) == 4 and out_dims[1]:
        head, num_classes, out_dtype = "logits", out_dims[1], _FLOAT_TYPES[out_elem]
    else:
        raise InputError("{} has no model card and its first output {} is neither an N x H x W label map nor "
                         "N x C x h x w scores".format(path, output.name))
    log.warning("%s has no bisenet-deploy model card: assuming the seed's preprocessing (RGB, /255, ImageNet "
                "mean/std) at its %dx%d input", path, dims[2], dims[3])
    return {
        "input_size": dims[2:], "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD),
        "batch": dims[0], "head": head, "num_classes": num_classes,
        "head_upsample": {"mode": "bilinear", "align_corners": True},
        "input": {"name": inputs[0].name, "dtype": _FLOAT_TYPES[elem], "shape": dims},
        "output": {"name": output.name, "dtype": out_dtype, "shape": out_dims},
    }, False


def check_quantizable(model, path, quantize_deconv):
    """InputError for a model that is already quantized or has nothing this tool would quantize."""
    ops = [node.op_type for node in model.graph.node]
    if "QuantizeLinear" in ops or "DequantizeLinear" in ops:
        raise InputError("{} already holds QuantizeLinear/DequantizeLinear nodes; calibrate the FP32 model".format(path))
    wanted = quantized_op_types(quantize_deconv)
    if not any(op in wanted for op in ops):
        raise InputError("{} has no {} node to quantize".format(path, " or ".join(wanted)))


def quantized_op_types(quantize_deconv):
    return ["Conv", "ConvTranspose"] if quantize_deconv else ["Conv"]


def model_batches(card):
    """(smallest, largest) batch the model takes: its fixed batch twice, a dynamic batch axis's range
    (bisenet-export --dynamic-batch), or None when a card-less model's batch dimension is symbolic."""
    if card.get("dynamic_batch"):
        return batch_range(card)
    shape = card["input"].get("shape") or []
    batch = shape[0] if shape else card.get("batch")
    return (batch, batch) if isinstance(batch, int) and batch > 0 else None


class StreamDataReader(object):
    """An onnxruntime CalibrationDataReader over a CalibrationStream (onnxruntime only needs get_next;
    __len__ and set_range serve its strided collection, which asks for one window of batches at a time)."""

    def __init__(self, stream, input_name):
        self._batches = stream.batches()
        self._input_name = input_name
        self._total = stream.num_batches
        self._left_in_window = None

    def __len__(self):
        return self._total

    def set_range(self, start_index, end_index):
        self._left_in_window = end_index - start_index

    def get_next(self):
        if self._left_in_window is not None:
            if self._left_in_window <= 0:
                return None
            self._left_in_window -= 1
        batch = next(self._batches, None)
        if batch is None and self._left_in_window is not None:
            # The stream was checked readable before calibration started; a file vanished since.
            raise InputError("calibration images changed while being read; run again")
        return None if batch is None else {self._input_name: batch}


class _DropOrtChatter(logging.Filter):
    """onnxruntime advises running its own pre-processing on the root logger; ours is already simplified."""

    def filter(self, record):
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _quiet_onnxruntime():
    """Keep onnxruntime's stdout prints ("Collecting tensor data ...", per batch) and its advice off the console."""
    chatter = _DropOrtChatter()
    root = logging.getLogger()
    root.addFilter(chatter)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        root.removeFilter(chatter)
        if captured.getvalue().strip():
            log.debug("onnxruntime said: %s", captured.getvalue().strip())


def quantize_to_qdq(model, stream, output_path, method="entropy", per_channel=False, quantize_deconv=False):
    """Quantize `model` (a ModelProto) into a QDQ ONNX at `output_path`, calibrated on `stream`.

    The stream's images are first checked readable, so its batch count is exact. Returns the opset
    of the written model. onnxruntime's scratch files (it writes next to its input model) go to a
    temporary folder that is removed afterwards.
    """
    onnx = lazy_import("onnx", "making a QDQ INT8 model")
    quantization = lazy_import("onnxruntime.quantization", "making a QDQ INT8 model")
    if method not in METHODS:
        raise InputError("unknown calibration method {!r}; choose {}".format(method, ", ".join(METHODS)))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if per_channel and opset is not None and opset < PER_CHANNEL_OPSET:
        from onnx import version_converter
        log.info("per-channel weights need opset %d; converting the model from opset %d", PER_CHANNEL_OPSET, opset)
        model = version_converter.convert_version(model, PER_CHANNEL_OPSET)
        opset = PER_CHANNEL_OPSET
    stream.check_readable()
    reader = StreamDataReader(stream, stream.card["input"]["name"])
    with scratch_folder("bisenet-calibrate.") as scratch:
        model_path = os.path.join(scratch, "fp32.onnx")
        onnx.save(model, model_path)
        with _quiet_onnxruntime():
            try:
                quantization.quantize_static(
                    model_path, output_path, reader, quant_format=quantization.QuantFormat.QDQ,
                    op_types_to_quantize=quantized_op_types(quantize_deconv), per_channel=per_channel,
                    reduce_range=False, activation_type=quantization.QuantType.QInt8,
                    weight_type=quantization.QuantType.QInt8,
                    calibrate_method=getattr(quantization.CalibrationMethod, _ORT_METHODS[method]),
                    extra_options=dict(_TENSORRT_OPTIONS))
            except (InputError, WorkFailed, KeyboardInterrupt):
                raise
            except Exception as exc:  # onnxruntime's quantizer raises plain exceptions for models it cannot handle
                raise WorkFailed("onnxruntime {} could not quantize the model: {} (--debug shows where)".format(
                    lazy_import("onnxruntime", "making a QDQ INT8 model").__version__, _first_line(exc)))
    return opset


def qdq_summary(model):
    # type: (object) -> dict
    """What got quantized: Q/DQ node counts, and per Conv/ConvTranspose how many read both data and
    weights through DequantizeLinear (quantized) out of how many there are."""
    producers = dict((output, node) for node in model.graph.node for output in node.output)

    def through_dq(name):
        node = producers.get(name)
        return node is not None and node.op_type == "DequantizeLinear"

    summary = {op: sum(1 for node in model.graph.node if node.op_type == op)
               for op in ("QuantizeLinear", "DequantizeLinear")}
    for op in ("Conv", "ConvTranspose"):
        nodes = [node for node in model.graph.node if node.op_type == op]
        quantized = [node for node in nodes if len(node.input) > 1 and through_dq(node.input[0]) and
                     through_dq(node.input[1])]
        summary[op] = {"total": len(nodes), "quantized": len(quantized)}
    return summary


def describe_summary(summary):
    # type: (dict) -> str
    conv, deconv = summary["Conv"], summary["ConvTranspose"]
    parts = ["{} of {} Conv quantized".format(conv["quantized"], conv["total"])]
    if deconv["total"]:
        float_count = deconv["total"] - deconv["quantized"]
        parts.append("{} of {} ConvTranspose quantized{}".format(
            deconv["quantized"], deconv["total"], ", {} left in float".format(float_count) if float_count else ""))
    parts.append("{} QuantizeLinear, {} DequantizeLinear".format(summary["QuantizeLinear"], summary["DequantizeLinear"]))
    return "; ".join(parts)


def record_calibration(model, card, has_card, entry, opset):
    """Store the calibration record in the QDQ model: in its card, or for a card-less model on its own."""
    if has_card:
        card = dict(card)
        card["calibration"] = entry
        card["opset"] = opset
        key, value = MODEL_CARD_KEY, card_to_json(card)
    else:
        key, value = CALIBRATION_KEY, json.dumps(entry, sort_keys=True)
    for prop in model.metadata_props:
        if prop.key == key:
            prop.value = value
            return model
    prop = model.metadata_props.add()
    prop.key, prop.value = key, value
    return model
