"""Check an ONNX model against what one TensorRT version's ONNX parser (onnx/onnx-tensorrt) accepts.

The facts are data: `trt_support.json` beside this file holds, per target, the highest opset, the
operator list, the graph I/O dtypes and the per-op constraints, each with its sources. This module
only applies them, with one small check per op type, so that a model that will not parse (or will
parse into something different, like linear Resize on 7.1) is caught on the workstation, before it
reaches the Jetson.
"""

import collections
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper

TARGETS = ("7.1", "8.0", "8.2", "8.6", "10", "11")
DEFAULT_TARGET = "8.2"  # JetPack 4.6.1+, the TX2's last TensorRT

# node: node name (tensor name for graph I/O rules, "<model>" for the opset rule).
Violation = collections.namedtuple("Violation", "node op_type rule message fix")

_TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trt_support.json")
_DEFAULT_DOMAINS = ("", "ai.onnx")

_RESIZE_FIX = "re-export with --upsample matmul (exact on any TensorRT) or --upsample deconv"
_FOLD_FIX = "make it a constant: simplify the model (constant folding) before building"
_IO_FIXES = {
    "INT64": "Cast to int32 (bisenet-export --head labels does this)",
    "UINT8": "take float32 and convert uint8 frames in preprocessing, outside the network",
    "DOUBLE": "use float32",
}
_OP_FIXES = {
    "QuantizeLinear": "explicit (Q/DQ) INT8 needs TensorRT >= 8.0; use calibrated INT8 (bisenet-calibrate)",
    "DequantizeLinear": "explicit (Q/DQ) INT8 needs TensorRT >= 8.0; use calibrated INT8 (bisenet-calibrate)",
}

# What lint_model needs to know about the graph beyond its nodes.
#   opset: default-domain opset; constants: name -> TensorProto or ndarray for every initializer and
#   Constant output (what the parser calls "an initializer"); dtypes: name -> dtype name where known.
_Facts = collections.namedtuple("_Facts", "opset constants dtypes")


def load_support_table():
    # type: () -> dict
    """The support table shipped in the package (trt_support.json)."""
    with open(_TABLE_PATH, "r") as handle:
        return json.load(handle)


def _target_entry(target):
    # type: (str) -> dict
    key = str(target)
    if key not in TARGETS:
        raise ValueError("unknown TensorRT target {!r}; choose one of {}".format(target, ", ".join(TARGETS)))
    return load_support_table()["targets"][key]


def max_opset(target):
    # type: (str) -> int
    """Highest default-domain opset the target's ONNX parser reads."""
    return _target_entry(target)["max_opset"]


def lint_model(model, target=DEFAULT_TARGET):
    # type: (onnx.ModelProto, str) -> list
    """Every Violation of the target's parser support found in `model`; empty when it is clean."""
    entry = _target_entry(target)
    facts = _graph_facts(model)
    violations = list(_check_opset(facts, entry))
    violations.extend(_check_io(model, facts, entry))
    supported = frozenset(entry["ops"])
    for index, node in enumerate(model.graph.node):
        name = node.name or "{}_{}".format(node.op_type, index)
        if node.domain not in _DEFAULT_DOMAINS or node.op_type not in supported:
            violations.append(_unsupported_op(node, name, target))
            continue
        check = _NODE_CHECKS.get(node.op_type)
        if check is not None:
            rules = entry["constraints"][node.op_type]
            violations.extend(Violation(name, node.op_type, rule, message, fix)
                              for rule, message, fix in check(node, facts, rules))
    return violations


def format_violations(violations, target):
    # type: (list, str) -> str
    """A table (node, op, rule, problem, fix), one violation per line, then a PASSED/FAILED verdict."""
    if not violations:
        return "PASSED | the model fits the TensorRT {} ONNX parser".format(target)
    rows = [Violation("node", "op", "rule", "problem", "fix")] + list(violations)
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row[:4], widths)) + "  " + row.fix
             for row in rows]
    lines.append("FAILED | {} problem(s) for the TensorRT {} ONNX parser".format(len(violations), target))
    return "\n".join(lines)


# ---- graph facts ---------------------------------------------------------------------------------

def _graph_facts(model):
    # type: (onnx.ModelProto) -> _Facts
    opset = next((item.version for item in model.opset_import if item.domain in _DEFAULT_DOMAINS), 0)
    constants = {tensor.name: tensor for tensor in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in _DEFAULT_DOMAINS and node.attribute:
            constants[node.output[0]] = _constant_attribute_value(node.attribute[0])
    return _Facts(opset, constants, _tensor_dtypes(model))


def _constant_attribute_value(attribute):
    # type: (onnx.AttributeProto) -> object
    """A Constant's one attribute: a TensorProto (`value`) or, for value_float(s)/value_int(s), an array."""
    value = onnx.helper.get_attribute_value(attribute)
    return value if isinstance(value, onnx.TensorProto) else np.asarray(value)


def _constant_value(facts, name):
    # type: (_Facts, str) -> object
    """numpy value of an initializer or Constant output; None when it is computed at run time."""
    value = facts.constants.get(name)
    return numpy_helper.to_array(value) if isinstance(value, onnx.TensorProto) else value


def _tensor_dtypes(model):
    # type: (onnx.ModelProto) -> dict
    """name -> dtype name for every tensor whose type is declared or can be inferred."""
    dtypes = {}
    for graph in (_inferred_graph(model), model.graph):
        for value in list(graph.input) + list(graph.output) + list(graph.value_info):
            elem_type = value.type.tensor_type.elem_type
            if elem_type and value.name not in dtypes:
                dtypes[value.name] = onnx.TensorProto.DataType.Name(elem_type)
    return dtypes


def _inferred_graph(model):
    # type: (onnx.ModelProto) -> onnx.GraphProto
    """The graph with inferred value_info; the declared graph when inference fails (best effort)."""
    try:
        return onnx.shape_inference.infer_shapes(model).graph
    except (onnx.shape_inference.InferenceError, ValueError):
        return model.graph


def _attr(node, name, default):
    # type: (onnx.NodeProto, str, object) -> object
    for attribute in node.attribute:
        if attribute.name == name:
            value = onnx.helper.get_attribute_value(attribute)
            return value.decode("utf-8") if isinstance(value, bytes) else value
    return default


def _input(node, index):
    # type: (onnx.NodeProto, int) -> str
    """Name of input `index`, or "" when it is absent (ONNX marks skipped optional inputs with "")."""
    return node.input[index] if index < len(node.input) else ""


# ---- model-level rules ---------------------------------------------------------------------------

def _check_opset(facts, entry):
    if facts.opset > entry["max_opset"]:
        yield Violation(
            "<model>", "<opset>", "opset",
            "default-domain opset {} is above {}, the highest this parser reads".format(
                facts.opset, entry["max_opset"]),
            "re-export with --opset {} or lower (11 serves TensorRT 7.1 to 10)".format(entry["max_opset"]))


def _check_io(model, facts, entry):
    # Before IR 4, initializers were also listed as graph inputs; they are weights, not I/O.
    weights = set(tensor.name for tensor in model.graph.initializer)
    for kind, values in (("input", model.graph.input), ("output", model.graph.output)):
        for value in values:
            dtype = facts.dtypes.get(value.name)
            if value.name in weights or dtype is None or dtype in entry["io_dtypes"]:
                continue
            yield Violation(
                value.name, "<{}>".format(kind), "io_dtype",
                "graph {} is {}; this TensorRT takes {} I/O".format(kind, dtype, "/".join(entry["io_dtypes"])),
                _IO_FIXES.get(dtype, "use float32 (or int32 for indices)"))


def _unsupported_op(node, name, target):
    if node.domain not in _DEFAULT_DOMAINS:
        return Violation(name, node.op_type, "unsupported_op",
                         "{} is a custom-domain op ({}), not a standard ONNX op".format(node.op_type, node.domain),
                         "export without custom ops, or build with a TensorRT plugin for it")
    return Violation(name, node.op_type, "unsupported_op",
                     "{} is not in TensorRT {}'s ONNX operator list".format(node.op_type, target),
                     _OP_FIXES.get(node.op_type, "express it with supported ops, or target a newer TensorRT"))


# ---- per-op rules: each yields (rule, message, fix) and reads its allowed values from `rules` ----

def _check_resize(node, facts, rules):
    # Resize-10 has only `mode`; the parsers import it as asymmetric with floor rounding.
    legacy = facts.opset < 11
    mode = _attr(node, "mode", "nearest")
    if mode not in rules["modes"]:
        yield "resize_mode", _not_allowed("mode", mode, rules["modes"]), _RESIZE_FIX
    coordinates = _attr(node, "coordinate_transformation_mode", "asymmetric" if legacy else "half_pixel")
    if coordinates not in rules["coordinate_transformation_modes"]:
        yield ("resize_coordinate_transformation_mode",
               _not_allowed("coordinate_transformation_mode", coordinates,
                            rules["coordinate_transformation_modes"]),
               _RESIZE_FIX)
    nearest = _attr(node, "nearest_mode", "floor" if legacy else "round_prefer_floor")
    if mode == "nearest" and nearest not in rules["nearest_modes"]:
        yield "resize_nearest_mode", _not_allowed("nearest_mode", nearest, rules["nearest_modes"]), _RESIZE_FIX
    if _attr(node, "antialias", 0) and not rules["antialias_supported"]:
        yield "resize_antialias", "antialias=1 is not supported", "export the resize without antialiasing"
    policy = _attr(node, "keep_aspect_ratio_policy", "stretch")
    if policy not in rules["keep_aspect_ratio_policies"]:
        yield ("resize_keep_aspect_ratio_policy",
               _not_allowed("keep_aspect_ratio_policy", policy, rules["keep_aspect_ratio_policies"]),
               "give the resize explicit output sizes")
    # Inputs: Resize-10 (X, scales); Resize-11+ (X, roi, scales, sizes). Scales count only without sizes.
    scales = _input(node, 1 if legacy else 2)
    sizes = "" if legacy else _input(node, 3)
    if scales and not sizes and rules["scales_must_be_initializer"] and scales not in facts.constants:
        yield ("resize_scales", "scales {!r} is computed at run time ('Resize scales must be an initializer!')"
               .format(scales), _FOLD_FIX + ", or give the resize explicit output sizes")


def _check_upsample(node, facts, rules):
    mode = _attr(node, "mode", "nearest")
    if mode not in rules["modes"]:
        yield "upsample_mode", _not_allowed("mode", mode, rules["modes"]), _RESIZE_FIX
    # Upsample-7 carries scales as an attribute (always constant); Upsample-9 as input 1.
    scales = _input(node, 1)
    if scales and rules["scales_must_be_initializer"] and scales not in facts.constants:
        yield "upsample_scales", "scales {!r} is computed at run time".format(scales), _FOLD_FIX


def _check_pad(node, facts, rules):
    mode = _attr(node, "mode", "constant")
    if mode not in rules["modes"]:
        yield ("pad_mode", _not_allowed("mode", mode, rules["modes"]),
               "pad with constant zeros, or target TensorRT >= 8.2 (reflect/edge)")
    # Pad-2 carries pads/value as attributes; Pad-11+ as inputs 1 and 2, and Pad-18 adds axes (input 3).
    if facts.opset < 11:
        pads, value, axes = np.asarray(_attr(node, "pads", [])), np.asarray(_attr(node, "value", 0.0)), ""
    else:
        pads_name, value_name, axes = _input(node, 1), _input(node, 2), _input(node, 3)
        pads = _constant_value(facts, pads_name)
        value = _constant_value(facts, value_name) if value_name else np.zeros(())
        if pads is None and rules["pads_must_be_initializer"]:
            yield "pad_pads", "pads {!r} is computed at run time".format(pads_name), _FOLD_FIX
    if mode == "constant" and rules["constant_value_must_be_zero"] and (value is None or np.any(value != 0)):
        yield ("pad_value", "constant_value must be a constant 0 ('only supports constant 0 padding')",
               "pad with zeros, or target TensorRT >= 8.2")
    if axes and rules["axes_must_be_initializer"] and axes not in facts.constants:
        yield "pad_axes", "axes {!r} is computed at run time".format(axes), _FOLD_FIX
    trailing = rules["padded_trailing_dims"]
    if trailing and pads is not None and not axes and _pads_outside_trailing(pads, trailing):
        yield ("pad_dims", "pads a dimension other than the last {}".format(trailing),
               "pad only the last {} (spatial) dimensions".format(trailing))


def _pads_outside_trailing(pads, trailing):
    # type: (np.ndarray, int) -> bool
    """pads is [begin_0..begin_{r-1}, end_0..end_{r-1}]: is any dim before the last `trailing` padded?"""
    pads = np.asarray(pads).reshape(2, -1)
    return bool(np.any(pads[:, :max(pads.shape[1] - trailing, 0)] != 0))


def _check_cast(node, facts, rules):
    to = onnx.TensorProto.DataType.Name(_attr(node, "to", 0))
    if to not in rules["to_types"]:
        yield ("cast_to", _not_allowed("to", to, rules["to_types"]),
               "cast to float32 (or int32 for indices); keep uint8/double out of the network")


def _check_argmax(node, facts, rules):
    if _attr(node, "select_last_index", 0) and not rules["select_last_index_supported"]:
        yield ("argmax_select_last_index", "select_last_index=1 is ignored: ties pick the first index",
               "export with select_last_index=0 (torch.argmax does)")
    dtype = facts.dtypes.get(_input(node, 0))
    if dtype is not None and dtype not in rules["input_types"]:
        yield ("argmax_input_dtype", "input is {}; this parser's ArgMax takes {}".format(
            dtype, "/".join(rules["input_types"])), "Cast the ArgMax input to float32")


def _check_conv_transpose(node, facts, rules):
    for index, key, what in ((1, "weights_must_be_initializer", "weights"),
                             (2, "bias_must_be_initializer", "bias")):
        name = _input(node, index)
        if name and rules[key] and name not in facts.constants:
            yield ("convtranspose_" + what,
                   "{} {!r} is computed at run time; this parser needs an initializer".format(what, name),
                   _FOLD_FIX)


def _not_allowed(what, value, allowed):
    # type: (str, object, list) -> str
    return "{}={} is not supported (allowed: {})".format(what, value, ", ".join(allowed))


_NODE_CHECKS = {
    "ArgMax": _check_argmax,
    "Cast": _check_cast,
    "ConvTranspose": _check_conv_transpose,
    "Pad": _check_pad,
    "Resize": _check_resize,
    "Upsample": _check_upsample,
}
