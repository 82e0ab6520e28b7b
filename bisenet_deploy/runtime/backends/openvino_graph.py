"""The OpenVINO model that segments a whole camera frame: preprocessing and the label head in the graph.

In: the camera's uint8 BGR frame, 1 x H x W x 3 (HWC, as OpenCV delivers it). PrePostProcessor adds
the reference preprocessing (runtime/preprocess.py): to float, bilinear resize to the network input
(half-pixel centres, as cv2.INTER_LINEAR), BGR -> RGB, (x / 255 - mean) / std as one mean/scale pair,
HWC -> CHW. Out, turned into the frame-sized label map by frames.FrameLabels:
- logits head: the 1/8 scores transposed to NHWC, float32; LabelUpsampler interpolates them only
  where classes meet (an in-graph Interpolate to the frame size and TopK cost as much as the BF16
  network: 11 M scores at 480x640 for 37 classes);
- labels head: the network's own label map converted to uint8; the nearest resize to the frame size
  stays cv2.resize (exactly the reference's), into a buffer reused every frame.

OpenVINO is imported by the caller.
"""

import numpy as np

from ..postprocess import label_dtype

PIXEL_MAX = 255.0


def _ov():
    import openvino  # the caller checked it is installed (lazy_import)
    return openvino


def read_model(core, model_path):
    """The ov.Model of an ONNX file (the caller turns OpenVINO's errors into one line)."""
    return core.read_model(model_path)


def is_quantized(model):
    # type: (object) -> bool
    """True for an explicit INT8 model: OpenVINO reads ONNX Q/DQ pairs as FakeQuantize."""
    return any(op.get_type_name() in ("FakeQuantize", "QuantizeLinear") for op in model.get_ops())


def add_preprocessing(model, card, frame_hw):
    """`model` (float NCHW input) with a uint8 BGR 1xHxWx3 input at `frame_hw` and the reference
    preprocessing in its graph; returns the new ov.Model."""
    ov = _ov()
    from openvino.preprocess import ColorFormat, PrePostProcessor, ResizeAlgorithm

    ppp = PrePostProcessor(model)
    tensor = ppp.input().tensor()
    tensor.set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(ColorFormat.BGR)
    tensor.set_shape([1, int(frame_hw[0]), int(frame_hw[1]), 3])
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    steps = ppp.input().preprocess()
    steps.convert_element_type(ov.Type.f32)  # float before the resize, as the reference does
    if tuple(frame_hw) != tuple(card["input_size"]):
        steps.resize(ResizeAlgorithm.RESIZE_LINEAR)
    steps.convert_color(ColorFormat.RGB)
    # (x - 255 mean) / (255 std) == (x / 255 - mean) / std
    steps.mean([PIXEL_MAX * float(m) for m in card["mean"]]).scale([PIXEL_MAX * float(s) for s in card["std"]])
    if card["input"]["dtype"] != "float32":
        steps.convert_element_type()  # to the model's own input type
    return ppp.build()


def add_label_head(model, card):
    """`model` with its output replaced by the NHWC float32 scores (logits head) or the network's labels
    as uint8 (labels head); returns the same ov.Model."""
    import openvino.opset1 as opset1

    result = model.get_results()[0]
    output = result.input_value(0)
    if card["head"] == "logits":
        head = opset1.transpose(opset1.convert(output, "f32"), np.array([0, 2, 3, 1], np.int64))
    else:
        dtype = "u8" if label_dtype(card["num_classes"]) == np.uint8 else "u16"
        head = opset1.convert(opset1.squeeze(output, np.array([0], np.int64)), dtype)
    model.add_results([opset1.result(head)])
    model.remove_result(result)
    return model


def frame_model(core, model_path, card, frame_hw):
    """The whole-frame model: uint8 BGR frame in, labels out (see the module doc)."""
    model = add_preprocessing(read_model(core, model_path), card, frame_hw)
    return add_label_head(model, card)


def preprocessing_model(card, frame_hw):
    """Only the in-graph preprocessing (an identity network behind it): what tests compare with the
    reference preprocessing."""
    ov = _ov()
    import openvino.opset1 as opset1

    shape = list(card["input"]["shape"])
    parameter = opset1.parameter(shape, np.dtype(card["input"]["dtype"]), name=card["input"]["name"])
    identity = ov.Model([opset1.result(opset1.convert(parameter, "f32"))], [parameter], "identity")
    return add_preprocessing(identity, card, frame_hw)
