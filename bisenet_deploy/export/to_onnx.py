"""PyTorch graph -> checked, simplified ONNX model carrying the model card."""

import io
import warnings

from ..core.errors import WorkFailed
from ..core.lazy import lazy_import
from ..core.modelcard import MODEL_CARD_KEY, card_to_json

INPUT_NAME = "input"


def graph_to_onnx(graph, input_hw, batch, opset, output_name, dynamic_batch=False):
    """Trace `graph` with the legacy TorchScript exporter (it honours low opsets such as 11); with
    `dynamic_batch` the batch axis of the input and output is named instead of fixed."""
    torch = lazy_import("torch", "ONNX export")
    onnx = lazy_import("onnx", "ONNX export")
    dummy = torch.zeros(batch, 3, input_hw[0], input_hw[1])
    buffer = io.BytesIO()
    export_kwargs = {}
    if dynamic_batch:
        export_kwargs["dynamic_axes"] = {INPUT_NAME: {0: "batch"}, output_name: {0: "batch"}}
    if "dynamo" in torch.onnx.export.__code__.co_varnames:
        export_kwargs["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter, which emits opset 18
    with warnings.catch_warnings():
        # Sizes are deliberately frozen into the graph; the tracer's warnings about that are noise.
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(graph, dummy, buffer, opset_version=opset, input_names=[INPUT_NAME],
                              output_names=[output_name], do_constant_folding=True, **export_kwargs)
    return onnx.load_from_string(buffer.getvalue())


def simplify(model):
    """Fold constants and shape arithmetic with onnx-simplifier; its own check must pass."""
    onnxsim = lazy_import("onnxsim", "ONNX simplification")
    simplified, ok = onnxsim.simplify(model)
    if not ok:
        raise WorkFailed("onnx-simplifier could not validate the simplified graph; retry with --no-simplify")
    return simplified


def check(model):
    onnx = lazy_import("onnx", "ONNX export")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise WorkFailed("the exported ONNX fails onnx.checker: {}".format(str(exc).splitlines()[0]))


def attach_card(model, card):
    """Store the card JSON in metadata_props (replacing an older card) and name the producer."""
    del_props = [p for p in model.metadata_props if p.key == MODEL_CARD_KEY]
    for prop in del_props:
        model.metadata_props.remove(prop)
    entry = model.metadata_props.add()
    entry.key, entry.value = MODEL_CARD_KEY, card_to_json(card)
    model.producer_name, model.producer_version = "bisenet-deploy", card["tool_version"]
    return model


def op_histogram(model):
    """{op_type: count}, for the export summary."""
    counts = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts
