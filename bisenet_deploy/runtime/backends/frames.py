"""What the whole-frame backends (openvino, ort) share: how many frame sizes get a model of their own,
and the reference path for the sizes past that."""

import time

from ...core.preprocess import preprocess
from ..postprocess import labels_from_output

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
