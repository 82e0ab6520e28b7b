"""config.pbtxt for a Triton model, built as data and checked with Triton's own schema (tritonclient's
model_config_pb2) before any text is written: an unknown field or a wrong value type is refused here,
not by the server at load time.

Field names and values: triton-inference-server/common protobuf/model_config.proto and the server's
docs/user_guide/model_configuration.md; the TensorRT execution accelerator's parameters:
triton-inference-server/onnxruntime_backend README ("TensorRT optimization")."""

import json

from ..core.errors import InputError
from ..core.lazy import lazy_import
from ..core.modelcard import card_to_json
from ..runtime.backends.triton_client import CARD_PARAMETER

DATA_TYPES = {"float32": "TYPE_FP32", "float16": "TYPE_FP16", "int32": "TYPE_INT32", "int64": "TYPE_INT64",
              "uint8": "TYPE_UINT8"}
# where each platform's model runs: Triton's name for it and the file it loads from the version folder
PLATFORMS = {
    "onnxruntime": {"platform": "onnxruntime_onnx"},
    "tensorrt": {"platform": "tensorrt_plan"},
    "openvino": {"backend": "openvino"},
    "python": {"backend": "python"},
}
QUEUE_DELAY_US = 2000  # long enough to gather frames from several robots, short against a network's time
ACCELERATOR_PRECISIONS = {"fp16": "FP16", "int8": "INT8"}
WORKSPACE_BYTES = 1 << 30


def model_config_pb2():
    return lazy_import("tritonclient.grpc.model_config_pb2", "checking a Triton config.pbtxt against Triton's schema")


def tensor_entry(spec, max_batch_size):
    """One input or output: the card's dims, without the batch axis when Triton batches."""
    shape = [int(d) for d in spec["shape"]]
    try:
        data_type = DATA_TYPES[spec["dtype"]]
    except KeyError:
        raise InputError("Triton has no data type for the model's {} tensor {!r}".format(spec["dtype"], spec["name"]))
    return {"name": spec["name"], "data_type": data_type, "dims": shape[1:] if max_batch_size > 0 else shape}


def build_config(name, platform, card, max_batch_size, instances, gpu, extra_parameters=None,
                 accelerator=None, cc_filenames=None, default_filename=None):
    """The config as a dict of ModelConfig fields. `max_batch_size` 0: the model's own fixed batch, no
    dynamic batching (Triton needs the batch as the first axis it may vary)."""
    config = {"name": name, "max_batch_size": int(max_batch_size),
              "input": [tensor_entry(card["input"], max_batch_size)],
              "output": [tensor_entry(card["output"], max_batch_size)],
              "instance_group": [{"kind": "KIND_GPU" if gpu else "KIND_CPU", "count": int(instances)}]}
    config.update(PLATFORMS[platform])
    if max_batch_size > 0:
        config["dynamic_batching"] = {"preferred_batch_size": preferred_sizes(max_batch_size),
                                      "max_queue_delay_microseconds": QUEUE_DELAY_US}
    parameters = {CARD_PARAMETER: card_to_json(card)}
    parameters.update(extra_parameters or {})
    config["parameters"] = dict((key, {"string_value": value}) for key, value in parameters.items())
    if accelerator:
        config["optimization"] = {"execution_accelerators": {"gpu_execution_accelerator": [accelerator]}}
    if cc_filenames:
        config["cc_model_filenames"] = cc_filenames
    if default_filename:
        config["default_model_filename"] = default_filename
    return config


def preferred_sizes(max_batch_size):
    """Powers of two up to the largest batch (Triton takes the largest preferred size it can fill)."""
    sizes, size = [], 2
    while size <= max_batch_size:
        sizes.append(size)
        size *= 2
    return sizes or [max_batch_size]


def tensorrt_accelerator(precision, calibration_table=None):
    """ONNX Runtime's TensorRT execution provider inside Triton, at `precision` (fp16|int8)."""
    parameters = {"precision_mode": ACCELERATOR_PRECISIONS[precision],
                  "max_workspace_size_bytes": str(WORKSPACE_BYTES), "trt_engine_cache_enable": "1"}
    if calibration_table:  # a native TensorRT calibration cache (bisenet-calibrate), not ORT's flatbuffers
        parameters.update(int8_calibration_table_name=calibration_table, int8_use_native_calibration_table="1")
    return {"name": "tensorrt", "parameters": parameters}


def config_text(config):
    # type: (dict) -> str
    """The config.pbtxt text for `config`, refused with the schema's words when a field or value is wrong;
    the text is parsed back with the schema too, so what is written is what Triton will read."""
    pb2 = model_config_pb2()
    json_format = lazy_import("google.protobuf.json_format", "writing a Triton config.pbtxt")
    text_format = lazy_import("google.protobuf.text_format", "writing a Triton config.pbtxt")
    try:
        message = json_format.ParseDict(json.loads(json.dumps(config)), pb2.ModelConfig())
        text = text_format.MessageToString(message)
        text_format.Parse(text, pb2.ModelConfig())
    except (json_format.ParseError, text_format.ParseError) as exc:
        raise ValueError("config.pbtxt for {} does not fit Triton's schema: {}".format(config.get("name"), exc))
    return text


def parse_config(text, source):
    """A config.pbtxt's ModelConfig, or InputError naming what Triton's schema rejects."""
    pb2 = model_config_pb2()
    text_format = lazy_import("google.protobuf.text_format", "reading a Triton config.pbtxt")
    try:
        return text_format.Parse(text, pb2.ModelConfig())
    except text_format.ParseError as exc:
        raise InputError("{}: not a valid Triton model config: {}".format(source, exc))

