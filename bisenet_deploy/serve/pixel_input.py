"""An ONNX model with the normalization inside the graph, so what it takes is plain pixels:
- "uint8-nhwc": RGB bytes, N x H x W x 3 (Triton --raw-input: a robot sends a quarter of the bytes of
  float NCHW, and no client needs the card's mean/std);
- "float-nchw": float pixel values 0..255, N x 3 x H x W (DeepStream's nvinfer, whose
  `net-scale-factor` is one number and cannot express a per-channel std: with net-scale-factor=1 and
  no offsets, the graph does the exact normalization).
The added steps are the reference's (core/preprocess.py), in its order: / 255, - mean, / std."""

import copy

import numpy as np

from ..core.lazy import lazy_import

PIXEL_INPUTS = ("uint8-nhwc", "float-nchw")
RAW_INPUT_NAME = "frame"


def pixel_input_model(model, card, form):
    """(ONNX ModelProto, card) for `model` (the card's float-normalized NCHW input) taking `form` pixels."""
    onnx = lazy_import("onnx", "putting the normalization into the graph")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    model = copy.deepcopy(model)
    graph = model.graph
    original_name = card["input"]["name"]
    (original,) = [i for i in graph.input if i.name == original_name]
    dims = list(original.type.tensor_type.shape.dim)  # N, 3, H, W (N may be symbolic)
    batch = dims[0].dim_param or dims[0].dim_value
    height, width = dims[2].dim_value, dims[3].dim_value
    new_name = RAW_INPUT_NAME if form == "uint8-nhwc" else original_name
    shape = [batch, height, width, 3] if form == "uint8-nhwc" else [batch, 3, height, width]
    elem = onnx.TensorProto.UINT8 if form == "uint8-nhwc" else onnx.TensorProto.FLOAT
    prefix = "bisenet_pixels_"
    constants = [
        numpy_helper.from_array(np.array(255.0, np.float32), prefix + "scale"),
        numpy_helper.from_array(np.array(card["mean"], np.float32).reshape(1, 3, 1, 1), prefix + "mean"),
        numpy_helper.from_array(np.array(card["std"], np.float32).reshape(1, 3, 1, 1), prefix + "std"),
    ]
    nodes, source, normalized = [], new_name, original_name
    if form == "uint8-nhwc":
        nodes += [helper.make_node("Cast", [source], [prefix + "float"], to=onnx.TensorProto.FLOAT),
                  helper.make_node("Transpose", [prefix + "float"], [prefix + "nchw"], perm=[0, 3, 1, 2])]
        source = prefix + "nchw"
    else:  # the input keeps its name (nvinfer's input blob); the network reads the normalized tensor
        normalized = prefix + "normalized"
        for node in graph.node:
            node.input[:] = [normalized if n == original_name else n for n in node.input]
    nodes += [helper.make_node("Div", [source, prefix + "scale"], [prefix + "unit"]),
              helper.make_node("Sub", [prefix + "unit", prefix + "mean"], [prefix + "centred"]),
              helper.make_node("Div", [prefix + "centred", prefix + "std"], [normalized])]
    graph.input.remove(original)
    graph.input.insert(0, helper.make_tensor_value_info(new_name, elem, shape))
    graph.initializer.extend(constants)
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + existing)
    onnx.checker.check_model(model)
    return model, pixel_card(card, form)


def pixel_card(card, form):
    """The card of the pixel-input model: its input, and that the graph normalizes."""
    card = copy.deepcopy(card)
    height, width = card["input_size"]
    batch = card["input"]["shape"][0]
    if form == "uint8-nhwc":
        card["input"] = {"name": RAW_INPUT_NAME, "dtype": "uint8", "shape": [batch, height, width, 3], "layout": "NHWC"}
    card["normalized_in_graph"] = True  # the input is pixels; mean/std stay as a record of what the graph does
    return card
