"""What the whole-frame backends (openvino, ort) share: how many frame sizes get a model of their own,
the reference path for the sizes past that, and the step from a whole-frame model's output to labels."""

import time

import cv2

from ...core.preprocess import preprocess
from ..label_upsample import LabelUpsampler
from ..postprocess import head_align_corners, label_dtype, labels_from_output

# A source whose frames change size (an image folder) would compile a model per size; past this many
# sizes the rest go through the network-only model with the reference pre/postprocessing instead.
MAX_FRAME_MODELS = 4


def reference_segment(backend, frame_bgr):
    """segment_frame's result through `backend.infer` and the reference numpy pre/postprocessing, for frame
    sizes beyond MAX_FRAME_MODELS (no compile per size)."""
    card = backend.card
    start = time.perf_counter()
    batch = preprocess(frame_bgr, card["input_size"], card["mean"], card["std"], card["input"]["dtype"])
    preprocessed = time.perf_counter()
    output = backend.infer(batch)
    inferred = time.perf_counter()
    labels = labels_from_output(output, card, frame_bgr.shape[:2])
    return labels, None, {"preprocess": preprocessed - start, "network": backend.last_infer_seconds,
                          "postprocess": time.perf_counter() - inferred}


def scores_hw(card):
    """The 1/8-resolution size of a logits head's scores."""
    return tuple(int(v) for v in card["output"]["shape"][2:4])


class FrameLabels(object):
    """`FrameLabels(card, frame_hw)(output)`: labels at the frame's size from a whole-frame model's
    output, into a buffer reused every frame. A logits head's model outputs its scores NHWC (1 x h x w x
    C), upsampled and argmaxed by LabelUpsampler (exactly the reference's labels, interpolating only
    where classes meet); a labels head's outputs the network's labels, resized nearest as the
    reference does."""

    def __init__(self, card, frame_hw):
        self.frame_hw = tuple(int(v) for v in frame_hw)
        self.dtype = label_dtype(card["num_classes"])
        self._upsampler = None
        if card["head"] == "logits":
            self._upsampler = LabelUpsampler(scores_hw(card), self.frame_hw, card["num_classes"],
                                             head_align_corners(card), self.dtype)
        self._resized = None

    def __call__(self, output):
        if self._upsampler is not None:
            return self._upsampler(output[0])
        labels = output[0] if output.ndim == 3 else output
        if labels.shape == self.frame_hw:
            return labels
        self._resized = cv2.resize(labels, (self.frame_hw[1], self.frame_hw[0]), dst=self._resized,
                                   interpolation=cv2.INTER_NEAREST)
        return self._resized
