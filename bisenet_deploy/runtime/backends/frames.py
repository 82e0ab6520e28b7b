"""What the whole-frame backends (openvino, ort) share: the steps around their one whole-frame model,
FrameInput (frame -> the model's float input) and FrameLabels (the model's output -> labels), kept
per frame size, and FramePipeline, which runs and times them with one frame's network overlapping
the host work of the frames around it."""

import collections
import time

import cv2
import numpy as np

from ...core.preprocess import check_frame, resize_linear
from ..frame_input import NativeFrameInput
from ..label_upsample import LabelUpsampler
from ..postprocess import head_align_corners, label_dtype
from .base import PendingFrame

# A source whose frames change size (an image folder) keeps the buffers of this many sizes.
MAX_FRAME_SIZES = 4
PIXEL_MAX = np.float32(255.0)


class FrameInput(object):
    """`FrameInput(card, frame_hw, normalized=False)(frame)`: the whole-frame model's input from a uint8
    BGR frame, exactly the reference preprocessing's values (core/preprocess.py), into a buffer reused
    every frame:
    - normalized=False: 1 x H x W x 3 float32 RGB at the network's size, the colour swap, to-float and
      resize (OpenCV's float INTER_LINEAR, IPP off); the OpenVINO graph does the rest (mean/std,
      layout), where the runtime fuses it;
    - normalized=True: 1 x 3 x H x W float32, the whole reference preprocessing (ONNX Runtime).
    One compiled pass (frame_input.NativeFrameInput) where a C compiler is found, else OpenCV and numpy
    (the swap on uint8 first, which moves no value since the resize treats channels alike), with the
    same values. In-graph resizes were slower (OpenVINO's took 3 ms at 480x640 -> 512x512, OpenCV 1 ms)
    and only approximated OpenCV's arithmetic; in-graph normalization cost ONNX Runtime 50 % more
    network time (ort_frames.py)."""

    def __init__(self, card, frame_hw, normalized=False):
        self.input_hw = tuple(int(v) for v in card["input_size"])
        frame_hw = tuple(int(v) for v in frame_hw)
        self.normalized = normalized
        self.mean = np.asarray(card["mean"], np.float32)
        self.std = np.asarray(card["std"], np.float32)
        shape = (1, 3) + self.input_hw if normalized else (1,) + self.input_hw + (3,)
        self._out = np.empty(shape, np.float32)
        self._native = NativeFrameInput.create(frame_hw, self.input_hw)
        if self._native is None:
            self._rgb = np.empty(frame_hw + (3,), np.uint8)
            self._float = np.empty(frame_hw + (3,), np.float32)
            self._resized = np.empty((1,) + self.input_hw + (3,), np.float32) if normalized else self._out

    def __call__(self, frame_bgr):
        """The model input (our reused buffer)."""
        if self._native is not None:
            if self.normalized:
                return self._native.prepare(frame_bgr, self._out, self.mean, self.std)
            return self._native.prepare(frame_bgr, self._out)
        resized = self._resized
        cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        if frame_bgr.shape[:2] == self.input_hw:
            np.copyto(resized[0], self._rgb, casting="unsafe")
        else:
            np.copyto(self._float, self._rgb, casting="unsafe")
            resize_linear(self._float, self.input_hw, dst=resized[0])
        if self.normalized:  # the reference's three operations, in its order, on contiguous planes
            planes = self._out[0]
            np.copyto(planes, resized[0].transpose(2, 0, 1))
            np.divide(planes, PIXEL_MAX, out=planes)
            np.subtract(planes, self.mean[:, None, None], out=planes)
            np.divide(planes, self.std[:, None, None], out=planes)
        return self._out


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
    """(FrameInput, FrameLabels) per frame size, for the last MAX_FRAME_SIZES sizes seen; `normalized`
    is FrameInput's."""

    def __init__(self, card, normalized=False):
        self.card = card
        self.normalized = normalized
        self._steps = collections.OrderedDict()

    def get(self, frame_hw):
        steps = self._steps.pop(frame_hw, None) or (FrameInput(self.card, frame_hw, self.normalized),
                                                     FrameLabels(self.card, frame_hw))
        self._steps[frame_hw] = steps
        while len(self._steps) > MAX_FRAME_SIZES:
            self._steps.popitem(last=False)
        return steps


class FramePipeline(object):
    """Whole frames through a backend's whole-frame model with the next frame's network running while
    the caller finishes the last one. `submit(frame)` runs FrameInput, starts the network and returns
    a PendingFrame; its result() waits for the network and runs FrameLabels: (labels, None, timings).

    Each of the backend's `requests` (objects with start(input) and wait() -> (output, network
    seconds)) is a slot with its own FrameSteps, used in turn: with two, the network runs on frame N
    while the host prepares frame N + 1 and finishes frame N - 1 (its label step, the caller's drawing,
    encoding and publishing), so on a CPU backend that host work stops adding to every frame's time.
    A slot is reused only once its last frame is finished, so a frame's labels stay valid until the
    frame after the next one is submitted. A finished frame's network time becomes the backend's
    last_infer_seconds."""

    def __init__(self, backend, requests, normalized=False):
        self._backend = backend
        self._slots = [(FrameSteps(backend.card, normalized), request) for request in requests]
        self._pending = [None] * len(self._slots)
        self._next = 0

    def submit(self, frame_bgr):
        check_frame(frame_bgr)
        slot = self._next
        self._next = (slot + 1) % len(self._slots)
        if self._pending[slot] is not None:
            self._pending[slot].result()  # its buffers are about to be reused
        steps, request = self._slots[slot]
        to_input, to_labels = steps.get(tuple(frame_bgr.shape[:2]))
        start = time.perf_counter()
        request.start(to_input(frame_bgr))
        preprocess = time.perf_counter() - start

        def finish():
            output, network = request.wait()
            self._backend.last_infer_seconds = network
            started = time.perf_counter()
            labels = to_labels(output)
            return labels, None, {"preprocess": preprocess, "network": network,
                                  "postprocess": time.perf_counter() - started}

        pending = PendingFrame(finish)
        self._pending[slot] = pending
        return pending
