"""What the whole-frame backends (openvino, ort) share: the steps around their one whole-frame model,
FrameInput (frame -> the model's float input) and FrameLabels (the model's output -> labels), kept
per frame size, and segment_timed, which runs and times the three."""

import collections
import time

import cv2
import numpy as np

from ...core.preprocess import check_frame, resize_linear
from ..label_upsample import LabelUpsampler
from ..postprocess import head_align_corners, label_dtype

# A source whose frames change size (an image folder) keeps the buffers of this many sizes.
MAX_FRAME_SIZES = 4


class FrameInput(object):
    """`FrameInput(card, frame_hw)(frame)`: the whole-frame model's input, float32 1 x H x W x 3 RGB at the
    network's size: the reference preprocessing's colour swap, to-float and resize (core/preprocess.py:
    OpenCV's float INTER_LINEAR, IPP off; the swap is done first, on uint8, which moves no value since
    the resize treats channels alike), so these are its values exactly, into buffers reused every
    frame. The model's graph does the rest (mean/std, layout), where the runtime fuses it. In-graph
    resizes were slower (OpenVINO's took 3 ms at 480x640 -> 512x512, this 1 ms) and only approximated
    OpenCV's arithmetic; an in-graph channel swap cost ONNX Runtime several ms (a Gather on the last axis)."""

    def __init__(self, card, frame_hw):
        self.input_hw = tuple(int(v) for v in card["input_size"])
        frame_hw = tuple(int(v) for v in frame_hw)
        self._rgb = np.empty(frame_hw + (3,), np.uint8)
        self._float = np.empty(frame_hw + (3,), np.float32)
        self._resized = np.empty((1,) + self.input_hw + (3,), np.float32)

    def __call__(self, frame_bgr):
        """The 1 x H x W x 3 float32 RGB input (our reused buffer)."""
        out = self._resized
        cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        if frame_bgr.shape[:2] == self.input_hw:
            np.copyto(out[0], self._rgb, casting="unsafe")
        else:
            np.copyto(self._float, self._rgb, casting="unsafe")
            resize_linear(self._float, self.input_hw, dst=out[0])
        return out


def scores_hw(card):
    """The 1/8-resolution size of a logits head's scores."""
    return tuple(int(v) for v in card["output"]["shape"][2:4])


class FrameLabels(object):
    """`FrameLabels(card, frame_hw)(output)`: labels at the frame's size from a whole-frame model's
    output, into a buffer reused every frame. For a logits head the output is the scores, NHWC (1 x h x
    w x C, a view will do), upsampled and argmaxed by LabelUpsampler (exactly the reference's labels,
    interpolating only where classes meet); for a labels head the network's labels, cast to the label
    dtype and resized nearest, as the reference does."""

    def __init__(self, card, frame_hw):
        self.frame_hw = tuple(int(v) for v in frame_hw)
        self.dtype = label_dtype(card["num_classes"])
        self._upsampler = None
        if card["head"] == "logits":
            self._upsampler = LabelUpsampler(scores_hw(card), self.frame_hw, card["num_classes"],
                                             head_align_corners(card), self.dtype)
        self._cast = self._resized = None

    def __call__(self, output):
        if self._upsampler is not None:
            return self._upsampler(output[0])
        labels = output[0] if output.ndim == 3 else output
        if labels.dtype != self.dtype:  # ONNX Runtime gives the network's int32 labels
            self._cast = np.empty(labels.shape, self.dtype) if self._cast is None else self._cast
            np.copyto(self._cast, labels, casting="unsafe")
            labels = self._cast
        if labels.shape == self.frame_hw:
            return labels
        self._resized = cv2.resize(labels, (self.frame_hw[1], self.frame_hw[0]), dst=self._resized,
                                   interpolation=cv2.INTER_NEAREST)
        return self._resized


class FrameSteps(object):
    """(FrameInput, FrameLabels) per frame size, for the last MAX_FRAME_SIZES sizes seen."""

    def __init__(self, card):
        self.card = card
        self._steps = collections.OrderedDict()

    def get(self, frame_hw):
        steps = self._steps.pop(frame_hw, None) or (FrameInput(self.card, frame_hw), FrameLabels(self.card, frame_hw))
        self._steps[frame_hw] = steps
        while len(self._steps) > MAX_FRAME_SIZES:
            self._steps.popitem(last=False)
        return steps


def segment_timed(steps, frame_bgr, run, prepare=None):
    """(labels, None, timings) of one frame: FrameInput, then `prepare(input)` when given (the rest of
    the preprocessing, outside the model), `run(input)` (the model's call, returning its output),
    FrameLabels. The labels buffer is reused by the next frame of that size."""
    check_frame(frame_bgr)
    to_input, to_labels = steps.get(tuple(frame_bgr.shape[:2]))
    start = time.perf_counter()
    batch = to_input(frame_bgr)
    if prepare is not None:
        batch = prepare(batch)
    prepared = time.perf_counter()
    output = run(batch)
    inferred = time.perf_counter()
    labels = to_labels(output)
    return labels, None, {"preprocess": prepared - start, "network": inferred - prepared,
                          "postprocess": time.perf_counter() - inferred}
