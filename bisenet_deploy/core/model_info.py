"""Find the model card for a model file: ONNX metadata, an engine's sidecar JSON, or a checkpoint.

Every runtime command reads input size, normalization, classes, colours and head from the card, so
it needs no flags; flags (the `overrides`) fill in a card-less ONNX and override what may change.
"""

import collections
import json
import os

from .. import __version__
from .classes import load_classes
from .errors import InputError
from .lazy import is_installed, lazy_import
from .modelcard import card_from_json, card_from_metadata, make_card

ENGINE_SUFFIX = ".engine"
ONNX_SUFFIX = ".onnx"
CHECKPOINT_SUFFIXES = (".pth.tar", ".pth", ".pt", ".tar", ".ckpt")
SIDECAR_SUFFIX = ".json"
SIDECAR_CARD_KEY = "model_card"
TRITON_SCHEME = "triton://"  # a model on a Triton server: triton://HOST:PORT/NAME (cli.resolve_model)
HEADS = ("labels", "logits")

KIND_TEXT = {"engine": "TensorRT .engine files", "onnx": ".onnx models", "checkpoint": ".pth checkpoints",
             "triton": "models on a Triton server (--server HOST:PORT)"}
# what else can be done with a file of each kind
KIND_CONVERSION = {"engine": "or run the .onnx it was built from", "onnx": "or build an engine from it with "
                   "bisenet-build-engine", "checkpoint": "or export it to ONNX with bisenet-export",
                   "triton": "or run the model file here with --model"}
# override key -> the command-line flag that sets it (used to name missing flags in errors)
OVERRIDE_FLAGS = collections.OrderedDict([
    ("input_size", "--input-size"),
    ("num_classes", "--num-classes"),
    ("head", "--head"),
    ("mean", "--mean"),
    ("std", "--std"),
    ("classes_csv", "--classes"),
])
# what a card-less ONNX cannot tell us and the flags must
CARDLESS_REQUIRED = ("input_size", "num_classes", "head")

OnnxFacts = collections.namedtuple("OnnxFacts", "metadata inputs outputs")
# metadata: {key: value}; inputs/outputs: [(name, shape)] with None for symbolic dimensions


def model_kind(model_path):
    # type: (str) -> str
    """'engine', 'onnx' or 'checkpoint', from the file name."""
    lower = model_path.lower()
    if lower.startswith(TRITON_SCHEME):
        return "triton"
    if lower.endswith(ENGINE_SUFFIX):
        return "engine"
    if lower.endswith(ONNX_SUFFIX):
        return "onnx"
    if lower.endswith(CHECKPOINT_SUFFIXES):
        return "checkpoint"
    raise InputError("{}: unknown model type; expected .onnx, .engine or a checkpoint ({})".format(
        model_path, ", ".join(CHECKPOINT_SUFFIXES)))


def sidecar_path(engine_path):
    # type: (str) -> str
    return engine_path + SIDECAR_SUFFIX


def load_model_card(model_path, overrides=None, checkpoint_card=None):
    # type: (str, dict, callable) -> dict
    """The card for `model_path`; non-None `overrides` (see OVERRIDE_FLAGS) win where they may.

    A checkpoint's card comes from `checkpoint_card(path, overrides)` (runtime.model_card passes the one
    that rebuilds the network), since reading a checkpoint needs export/ and torch, which core must not import."""
    overrides = _clean_overrides(overrides)
    kind = model_kind(model_path)
    if not os.path.isfile(model_path):
        raise InputError("model not found: {}".format(model_path))
    if kind == "onnx":
        card = card_from_onnx(model_path, overrides)
    elif kind == "engine":
        card = card_from_sidecar(model_path)
    elif checkpoint_card is not None:
        card = checkpoint_card(model_path, overrides)
    else:
        raise InputError("{}: a checkpoint's card needs the network rebuilt; run it with bisenet-run, -bench or "
                         "-eval, or export it with bisenet-export".format(model_path))
    return apply_overrides(card, overrides, model_path)


def _clean_overrides(overrides):
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(OVERRIDE_FLAGS))
    if unknown:
        raise ValueError("unknown model card overrides: {}".format(", ".join(unknown)))
    if "head" in overrides and overrides["head"] not in HEADS:
        raise InputError("--head must be one of {}, got {!r}".format(", ".join(HEADS), overrides["head"]))
    if "input_size" in overrides:
        overrides["input_size"] = tuple(int(v) for v in overrides["input_size"])
    return overrides


def read_onnx_facts(model_path):
    # type: (str) -> OnnxFacts
    """Metadata and input/output shapes, through onnxruntime (the device has it) or else onnx."""
    if is_installed("onnxruntime") or not is_installed("onnx"):
        return _facts_from_onnxruntime(model_path)
    return _facts_from_onnx(model_path)


def _static(shape):
    return [d if isinstance(d, int) and d > 0 else None for d in shape]


def _facts_from_onnxruntime(model_path):
    ort = lazy_import("onnxruntime", "reading an ONNX model")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # only reading, not running
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for every kind of unreadable file
        raise InputError("cannot read {} as an ONNX model: {}".format(model_path, _first_line(exc)))
    return OnnxFacts(dict(session.get_modelmeta().custom_metadata_map),
                     [(i.name, _static(i.shape)) for i in session.get_inputs()],
                     [(o.name, _static(o.shape)) for o in session.get_outputs()])


def _facts_from_onnx(model_path):
    onnx = lazy_import("onnx", "reading an ONNX model")
    try:
        model = onnx.load(model_path, load_external_data=False)
    except Exception as exc:  # protobuf DecodeError and friends: the file is not an ONNX model
        raise InputError("cannot read {} as an ONNX model: {}".format(model_path, _first_line(exc)))

    def shape_of(value):
        return _static([d.dim_value if d.HasField("dim_value") else None
                        for d in value.type.tensor_type.shape.dim])

    weights = {init.name for init in model.graph.initializer}
    return OnnxFacts({p.key: p.value for p in model.metadata_props},
                     [(v.name, shape_of(v)) for v in model.graph.input if v.name not in weights],
                     [(v.name, shape_of(v)) for v in model.graph.output])


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def card_from_onnx(model_path, overrides):
    # type: (str, dict) -> dict
    facts = read_onnx_facts(model_path)
    card = card_from_metadata(facts.metadata, model_path)
    return card if card is not None else card_from_flags(model_path, facts, overrides)


def card_from_flags(model_path, facts, overrides):
    # type: (str, OnnxFacts, dict) -> dict
    """A card for an ONNX exported by another tool, from the flags, checked against the graph."""
    missing = [OVERRIDE_FLAGS[k] for k in CARDLESS_REQUIRED if k not in overrides]
    if missing:
        raise InputError("{} has no bisenet-deploy model card (not exported by bisenet-export); pass {} "
                         "(and optionally --mean, --std, --classes)".format(model_path, " ".join(missing)))
    if len(facts.inputs) != 1 or not facts.outputs:
        raise InputError("{}: expected one image input and at least one output, found {} inputs and {} outputs".format(
            model_path, len(facts.inputs), len(facts.outputs)))
    (input_name, input_shape), (output_name, output_shape) = facts.inputs[0], facts.outputs[0]
    height, width = overrides["input_size"]
    if len(input_shape) != 4 or input_shape[1] not in (3, None) or input_shape[2] not in (height, None) \
            or input_shape[3] not in (width, None):
        raise InputError("{}: its input {} has shape {}, which does not take a 3-channel {}x{} image "
                         "(check --input-size)".format(model_path, input_name, _shape_text(input_shape), height, width))
    batch = input_shape[0] or 1
    config = {"arch": "unknown", "in_planes": None, "variant": None, "num_classes": overrides["num_classes"]}
    names, colors = load_classes(overrides["num_classes"])  # a --classes CSV replaces them in apply_overrides
    card = make_card(config, (height, width), batch, overrides["head"], None, None, names, colors, None, {},
                     __version__, None)
    card["input"]["name"] = input_name
    card["output"]["name"] = output_name
    if overrides["head"] == "logits" and None not in output_shape and len(output_shape) == 4:
        card["output"]["shape"] = list(output_shape)
    card["card_source"] = "command-line flags"
    return card


def _shape_text(shape):
    return "x".join("?" if d is None else str(d) for d in shape)


def card_from_sidecar(engine_path):
    # type: (str) -> dict
    """The card in MODEL.engine.json: under "model_card", or the whole file."""
    path = sidecar_path(engine_path)
    if not os.path.isfile(path):
        raise InputError("{} has no sidecar {} (bisenet-build-engine writes it next to the engine); "
                         "rebuild the engine with bisenet-build-engine".format(engine_path, os.path.basename(path)))
    with open(path) as handle:
        text = handle.read()
    try:
        sidecar = json.loads(text)
    except ValueError as exc:
        raise InputError("{}: not valid JSON ({})".format(path, exc))
    if isinstance(sidecar, dict) and isinstance(sidecar.get(SIDECAR_CARD_KEY), dict):
        text = json.dumps(sidecar[SIDECAR_CARD_KEY])
    return card_from_json(text, path)


def apply_overrides(card, overrides, model_path):
    # type: (dict, dict, str) -> dict
    """Normalization and classes may change; size, class count and head are fixed by the model file."""
    card = dict(card)
    fixed = {"input_size": tuple(card["input_size"]), "num_classes": card["num_classes"], "head": card["head"]}
    for key, value in fixed.items():
        if key in overrides and overrides[key] != value:
            raise InputError("{} {} contradicts {}, which was made with {} {}; re-export the model to change it".format(
                OVERRIDE_FLAGS[key], _value_text(overrides[key]), model_path, OVERRIDE_FLAGS[key], _value_text(value)))
    for key in ("mean", "std"):
        if key in overrides:
            values = [float(v) for v in overrides[key]]
            if len(values) != 3 or (key == "std" and min(values) <= 0):
                raise InputError("{} needs three {}numbers (R G B), got {}".format(
                    OVERRIDE_FLAGS[key], "positive " if key == "std" else "", overrides[key]))
            card[key] = values
    if "classes_csv" in overrides:
        card["classes"], card["colors"] = load_classes(card["num_classes"], overrides["classes_csv"])
    return card


def _value_text(value):
    return "x".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
