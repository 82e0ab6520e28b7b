"""ONNX Runtime on whole camera frames: the end of the reference preprocessing in the graph, the
labels from its output.

The network's ONNX is wrapped once into a model whose input is frames.FrameInput's float32 RGB frame
at the network's size (OpenCV's colour swap, to-float and resize, exactly the reference's):
(x - 255 mean) / (255 std) -> NCHW -> the network -> for a logits head its 1/8 scores transposed to
NHWC (float32), for a labels head its labels cast to uint8. frames.FrameLabels turns that into the
frame-sized label map: the scores through LabelUpsampler (the reference's labels, interpolated only
where classes meet), the labels by the reference's nearest resize. Input and output are bound once
(IOBinding) to buffers reused every frame.

Needs the onnx package (the workstation); without it (a bare Jetson, where TensorRT runs frames) the
segmenter keeps the numpy path.
"""

import numpy as np

from ...core.lazy import is_installed
from ..postprocess import label_dtype
from .frames import scores_hw

FRAME_INPUT = "bisenet_frame_rgb_float"
LABELS_OUTPUT = "bisenet_labels"
SCORES_OUTPUT = "bisenet_scores_nhwc"
ONNX_TYPES = {np.float32: 1, np.uint8: 2, np.uint16: 4}  # TensorProto codes
PIXEL_MAX = 255.0


def can_wrap():
    return is_installed("onnx")


def _pre_nodes(helper, card, out_name):
    """Nodes and initializers from the float RGB frame at network size (frames.FrameInput) to the
    network input."""
    inits = [helper.make_tensor("pre_mean", 1, [3], (np.asarray(card["mean"], np.float32) * PIXEL_MAX).tolist()),
             helper.make_tensor("pre_std", 1, [3], (np.asarray(card["std"], np.float32) * PIXEL_MAX).tolist())]
    nodes = [helper.make_node("Sub", [FRAME_INPUT, "pre_mean"], ["pre_centred"]),
             helper.make_node("Div", ["pre_centred", "pre_std"], ["pre_scaled"]),
             helper.make_node("Transpose", ["pre_scaled"], [out_name], perm=[0, 3, 1, 2])]
    if card["input"]["dtype"] == "float16":
        nodes[-1].output[0] = "pre_nchw"
        nodes.append(helper.make_node("Cast", ["pre_nchw"], [out_name], to=10))
    return nodes, inits


def _post_nodes(helper, card, in_name):
    if card["head"] == "logits":
        return [helper.make_node("Cast", [in_name], ["post_float"], to=1),
                helper.make_node("Transpose", ["post_float"], [SCORES_OUTPUT], perm=[0, 2, 3, 1])]
    to = 2 if label_dtype(card["num_classes"]) == np.uint8 else 4  # uint8 / uint16
    return [helper.make_node("Squeeze", [in_name], ["post_labels"], axes=[0]),
            helper.make_node("Cast", ["post_labels"], [LABELS_OUTPUT], to=to)]


def output_spec(card):
    """(name, numpy dtype, shape) of the wrapped model's output."""
    if card["head"] == "logits":
        height, width = scores_hw(card)
        return SCORES_OUTPUT, np.float32, (1, height, width, int(card["num_classes"]))
    return LABELS_OUTPUT, label_dtype(card["num_classes"]), tuple(int(v) for v in card["input_size"])


def wrap_model(model_path, card):
    """Serialized ONNX: the float frame at network size in, NHWC scores or labels out (see the module
    doc). One model serves every frame size: FrameInput resizes before it, FrameLabels after."""
    import onnx
    from onnx import helper

    model = onnx.load(model_path)
    graph = model.graph
    network_input, network_output = card["input"]["name"], card["output"]["name"]
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    pre, pre_inits = _pre_nodes(helper, card, network_input)
    post, post_inits = _post_nodes(helper, card, network_output), []
    if opset >= 13:  # Squeeze takes its axes as an input from opset 13 on
        post_inits.append(helper.make_tensor("post_axes", 7, [1], [0]))
        for node in post:
            if node.op_type == "Squeeze":
                del node.attribute[:]
                node.input.append("post_axes")
    kept_inputs = [i for i in graph.input if i.name != network_input]
    del graph.input[:]
    height, width = (int(v) for v in card["input_size"])
    graph.input.extend([helper.make_tensor_value_info(FRAME_INPUT, 1, [1, height, width, 3])] + kept_inputs)
    nodes = pre + list(graph.node) + post
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(pre_inits + post_inits)
    del graph.output[:]
    name, dtype, shape = output_spec(card)
    graph.output.extend([helper.make_tensor_value_info(name, ONNX_TYPES[dtype], list(shape))])
    return model.SerializeToString()


class FrameRunner(object):
    """The wrapped session, its input and output bound once to reused buffers."""

    def __init__(self, session, card):
        self.session = session
        self.input = np.empty((1,) + tuple(int(v) for v in card["input_size"]) + (3,), np.float32)
        name, dtype, shape = output_spec(card)
        self.output = np.empty(shape, dtype)
        self.binding = session.io_binding()
        self.binding.bind_cpu_input(FRAME_INPUT, self.input)
        self.binding.bind_output(name, "cpu", 0, self.output.dtype, self.output.shape, self.output.ctypes.data)

    def run(self, frame_input):
        """The wrapped model's output (the reused output buffer) for FrameInput's array."""
        if frame_input is not self.input:  # FrameInput writes straight into it
            self.input[...] = frame_input
        self.session.run_with_iobinding(self.binding)
        return self.output
