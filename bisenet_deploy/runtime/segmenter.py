"""The one API every command uses: BGR frame of any size in, label map at the frame's size out, timed.

Everything it needs (input size, mean/std, classes, colours, head) comes from the model card.
"""

import collections
import time

from ..core.errors import InputError
from .backends.base import PendingFrame
from .postprocess import labels_from_output
from ..core.preprocess import preprocess

STAGES = ("preprocess", "network", "postprocess", "overlay")
SegmentResult = collections.namedtuple("SegmentResult", "labels timings overlay")
# timings: {stage: seconds}; "network" is the backend's own measurement of the network call alone;
# overlay: the frame blended with the label colours when the backend made it (on the GPU), else None;
# on the GPU path labels and overlay are the backend's reused buffers, valid until the next segment()


class Segmenter(object):
    """`with Segmenter(backend, card) as seg: result = seg.segment(frame)` (the `with` activates the backend)."""

    def __init__(self, backend, card=None, overlay_alpha=None):
        """`overlay_alpha`: a backend that segments whole frames (TensorRT, on the GPU) also blends the
        overlay at this alpha, so the renderer only adds the legend."""
        self.backend = backend
        self.card = card if card is not None else backend.card
        self._dtype = self.card["input"]["dtype"]
        self.overlay_alpha = overlay_alpha

    @property
    def input_hw(self):
        return tuple(self.card["input_size"])

    @property
    def num_classes(self):
        return self.card["num_classes"]

    @property
    def names(self):
        return self.card["classes"]

    @property
    def colors(self):
        return self.card["colors"]

    def __enter__(self):
        self.backend.activate()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.backend.deactivate()

    def segment(self, frame_bgr):
        """The SegmentResult of one frame, now."""
        return self.submit(frame_bgr).result()

    def submit(self, frame_bgr):
        """A PendingFrame whose result() is the frame's SegmentResult. With a backend that pipelines
        frames (ort, openvino) the frame's network is running when this returns, so the caller can
        finish the previous frame meanwhile; its labels stay valid until the frame after the next one
        is submitted. Other backends segment the frame here."""
        if frame_bgr is not None and getattr(frame_bgr, "size", 0) == 0:
            raise InputError("cannot segment an empty frame (shape {})".format(frame_bgr.shape))
        if self.backend.segments_frames:
            pending = self.backend.submit_frame(frame_bgr, self.overlay_alpha)

            def finish():
                labels, overlay, timings = pending.result()
                return SegmentResult(labels, timings, overlay)

            return PendingFrame(finish)
        return PendingFrame.done(self._segment_batch(frame_bgr))

    def _segment_batch(self, frame_bgr):
        start = time.perf_counter()
        batch = preprocess(frame_bgr, self.input_hw, self.card["mean"], self.card["std"], self._dtype)
        preprocessed = time.perf_counter()
        output = self.backend.infer(batch)
        inferred = time.perf_counter()
        labels = labels_from_output(output, self.card, frame_bgr.shape[:2])
        timings = {"preprocess": preprocessed - start, "network": self.backend.last_infer_seconds,
                   "postprocess": time.perf_counter() - inferred}
        return SegmentResult(labels, timings, None)
