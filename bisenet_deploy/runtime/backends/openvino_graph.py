"""The OpenVINO model that segments a whole camera frame: preprocessing and the label head in the graph.

In: frames.FrameInput's float32 RGB frame at the network's size, 1 x H x W x 3 (the reference
preprocessing's colour swap, to-float and resize, with core/preprocess.py's values exactly).
PrePostProcessor adds the rest of the reference preprocessing: (x / 255 - mean) / std as one
mean/scale pair, HWC -> CHW. Out, turned into the frame-sized label map by frames.FrameLabels:
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


def set_batch(model, card, smallest, largest):
    """Reshape `model`'s batch axis (a dynamic one: see the card's dynamic_batch) to take `smallest` to
    `largest` frames: bounded, OpenVINO plans its memory for the largest; one size makes it static."""
    ov = _ov()
    batch = ov.Dimension(smallest, largest) if smallest != largest else ov.Dimension(smallest)
    height, width = (int(v) for v in card["input_size"])
    model.reshape({card["input"]["name"]: ov.PartialShape([batch, ov.Dimension(3), ov.Dimension(height),
                                                           ov.Dimension(width)])})
    return model


def is_quantized(model):
    # type: (object) -> bool
    """True for an explicit INT8 model: OpenVINO reads ONNX Q/DQ pairs as FakeQuantize."""
    return any(op.get_type_name() in ("FakeQuantize", "QuantizeLinear") for op in model.get_ops())


def add_preprocessing(model, card):
    """`model` (float NCHW input) with a float32 RGB 1xHxWx3 input at the network's size and the rest of
    the reference preprocessing in its graph; returns the new ov.Model."""
    ov = _ov()
    from openvino.preprocess import PrePostProcessor

    ppp = PrePostProcessor(model)
    tensor = ppp.input().tensor()
    tensor.set_element_type(ov.Type.f32).set_layout(ov.Layout("NHWC"))
    tensor.set_shape([1] + [int(v) for v in card["input_size"]] + [3])
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    steps = ppp.input().preprocess()
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


def frame_model(core, model_path, card):
    """The whole-frame model: FrameInput's float frame in, NHWC scores or labels out (see the module doc)."""
    model = read_model(core, model_path)
    if card.get("dynamic_batch"):
        set_batch(model, card, 1, 1)  # frames go one at a time: a static batch of one is the fastest graph
    return add_label_head(add_preprocessing(model, card), card)


def preprocessing_model(card):
    """Only the in-graph preprocessing (an identity network behind it): what tests compare with the
    reference preprocessing."""
    ov = _ov()
    import openvino.opset1 as opset1

    shape = list(card["input"]["shape"])
    parameter = opset1.parameter(shape, np.dtype(card["input"]["dtype"]), name=card["input"]["name"])
    identity = ov.Model([opset1.result(opset1.convert(parameter, "f32"))], [parameter], "identity")
    return add_preprocessing(identity, card)
