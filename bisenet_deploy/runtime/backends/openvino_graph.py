"""The OpenVINO model that segments a whole camera frame: preprocessing and the label head in the graph.

In: the camera's uint8 BGR frame, 1 x H x W x 3 (HWC, as OpenCV delivers it). PrePostProcessor adds
the reference preprocessing (runtime/preprocess.py): to float, bilinear resize to the network input
(half-pixel centres, as cv2.INTER_LINEAR), BGR -> RGB, (x / 255 - mean) / std as one mean/scale pair,
HWC -> CHW. Out: the label map at the frame's size, uint8 (uint16 past 255 classes):
- logits head: bilinear upsample of the scores straight to the frame size (linear_onnx, with the
  card's align_corners), then the argmax (TopK k=1, stable: the lowest class wins a tie, as numpy's
  argmax), as runtime/postprocess.py does in numpy;
- labels head: the network's own label map converted to uint8; the nearest resize to the frame size
  stays cv2.resize (exactly the reference's), into a buffer reused every frame.

So a frame costs one compiled-model call and no numpy pass. OpenVINO is imported by the caller.
"""

import numpy as np

from ..postprocess import head_align_corners, label_dtype

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


def add_label_head(model, card, frame_hw):
    """`model` with its output replaced by the frame-sized label map (logits head) or the network's
    labels as uint8 (labels head, resized outside); returns the same ov.Model."""
    import openvino.opset1 as opset1
    import openvino.opset11 as opset11

    result = model.get_results()[0]
    output = result.input_value(0)
    dtype = "u8" if label_dtype(card["num_classes"]) == np.uint8 else "u16"
    if card["head"] == "logits":
        mode = "align_corners" if head_align_corners(card) else "half_pixel"
        scores = opset11.interpolate(output, np.array(frame_hw, np.int64), "linear_onnx", "sizes",
                                     coordinate_transformation_mode=mode, axes=np.array([2, 3], np.int64))
        best = opset11.topk(scores, np.array(1, np.int64), 1, "max", "value", "i32", stable=True).output(1)
        labels = opset1.squeeze(best, np.array([0, 1], np.int64))
    else:
        labels = opset1.squeeze(output, np.array([0], np.int64))
    labels = opset1.convert(labels, dtype)
    model.add_results([opset1.result(labels)])
    model.remove_result(result)
    return model


def frame_model(core, model_path, card, frame_hw):
    """The whole-frame model: uint8 BGR frame in, labels out (see the module doc)."""
    model = add_preprocessing(read_model(core, model_path), card, frame_hw)
    return add_label_head(model, card, frame_hw)


def preprocessing_model(card, frame_hw):
    """Only the in-graph preprocessing (an identity network behind it): what tests compare with the
    reference preprocessing."""
    ov = _ov()
    import openvino.opset1 as opset1

    shape = list(card["input"]["shape"])
    parameter = opset1.parameter(shape, np.dtype(card["input"]["dtype"]), name=card["input"]["name"])
    identity = ov.Model([opset1.result(opset1.convert(parameter, "f32"))], [parameter], "identity")
    return add_preprocessing(identity, card, frame_hw)
