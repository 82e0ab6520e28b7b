"""A model's multiply-accumulates, read off its ONNX: what bisenet-bench divides by the network time to
get the GFLOP/s a column achieved. Conv, ConvTranspose, MatMul and Gemm are counted (everything else a
segmentation network does is a rounding error next to them); a QDQ model counts the same layers, its
Q/DQ pairs being no arithmetic of the network's own. Shapes come from ONNX shape inference; a graph
whose shapes it cannot fix (dynamic sizes) gives None rather than a guess.
"""

import logging
import os

from ..core.errors import InputError
from ..core.lazy import is_installed, lazy_import
from ..core.model_info import model_kind
from ..engines.sidecar import read_sidecar

log = logging.getLogger(__name__)


def _product(values):
    result = 1
    for value in values:
        result *= value
    return result


def _shapes(model):
    """{tensor name: static shape} for the inferred graph; a tensor with an unknown dimension is left out."""
    shapes = {}
    graph = model.graph
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        dims = info.type.tensor_type.shape.dim
        if info.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = [d.dim_value for d in dims]
    for tensor in graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    return shapes


def _attribute(node, name, default):
    for attribute in node.attribute:
        if attribute.name == name:
            return attribute.i
    return default


def node_macs(node, shapes):
    # type: (object, dict) -> int
    """The node's multiply-accumulates (0 for an op that is not counted), or None when a shape it needs
    is unknown."""
    if node.op_type not in ("Conv", "ConvTranspose", "MatMul", "Gemm"):
        return 0
    first, weight, output = shapes.get(node.input[0]), shapes.get(node.input[1]), shapes.get(node.output[0])
    if first is None or weight is None or output is None:
        return None
    if node.op_type == "Conv":  # every output value sums (C / group) * kernel products
        return _product(output) * _product(weight[1:])
    if node.op_type == "ConvTranspose":  # every input value scatters into (M / group) * kernel outputs
        return _product(first) * _product(weight[1:])
    if node.op_type == "Gemm":
        return _product(output) * first[0 if _attribute(node, "transA", 0) else -1]
    return _product(output) * first[-1]  # MatMul: each output sums over A's last axis


def count_macs(onnx_path):
    # type: (str) -> int
    """The ONNX model's MACs at its own input size, or None (logged) when onnx is missing or a shape of a
    counted layer is unknown."""
    if not is_installed("onnx"):
        log.debug("no MACs for %s: onnx is not installed", onnx_path)
        return None
    onnx = lazy_import("onnx", "counting a model's MACs")
    model = onnx.shape_inference.infer_shapes(onnx.load(onnx_path))
    shapes = _shapes(model)
    total = 0
    for node in model.graph.node:
        macs = node_macs(node, shapes)
        if macs is None:
            log.warning("no GFLOP/s for %s: the shapes of %s %r are not fixed", onnx_path, node.op_type, node.name)
            return None
        total += macs
    return total


def source_onnx(model_path, exported_onnx=None):
    # type: (str, str) -> str
    """The ONNX whose MACs a model file has: itself, an engine's source ONNX (from its sidecar, when it is
    still there), or for a checkpoint the ONNX the bench exported from it (None when none was)."""
    kind = model_kind(model_path)
    if kind == "onnx":
        return model_path
    if kind == "engine":
        try:
            path = (read_sidecar(model_path).get("onnx") or {}).get("path")
        except InputError:
            return None
        return path if path and os.path.isfile(path) else None
    return exported_onnx
