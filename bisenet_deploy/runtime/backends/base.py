"""The one backend shape: the base owns the lifecycle, the input check and the timing; each backend
fills in `_activate`, `_infer` and `_deactivate` (the Polygraphy runner pattern)."""

import time

import numpy as np

from ...core.errors import InputError, WorkFailed
from ...core.lazy import is_installed
from ...core.modelcard import batch_range


class Backend(object):
    """Runs one model file: `with backend: output = backend.infer(batch)`."""

    name = "base"  # registry key and --backend choice
    kinds = ()  # the model-file kinds it runs (core.model_info.model_kind): "onnx", "engine", "checkpoint"
    requires = ()  # top-level Python packages it imports on activation (keys of core.lazy.INSTALL_HINTS)
    precisions = ()  # the precisions it can run at below FP32 where the hardware has them (bench columns)
    precision = "fp32"
    # True when the backend takes whole BGR frames (segment_frame) instead of preprocessed batches
    segments_frames = False
    # True when submit_frame returns while the frame's network runs (frames.FramePipeline)
    pipelines_frames = False

    def __init__(self, model_path, card, threads=None):
        # type: (str, dict, int) -> None
        if threads is not None and threads < 1:
            raise InputError("--threads must be at least 1, got {}".format(threads))
        self.model_path = model_path
        self.card = card
        self.threads = threads
        self.last_infer_seconds = 0.0
        self.is_active = False
        self._input_shape = tuple(card["input"]["shape"])
        self._input_dtype = np.dtype(card["input"]["dtype"])
        self.batch_range = batch_range(card)  # (smallest, largest) batch; a fixed batch twice

    @classmethod
    def bench_columns(cls):
        # type: () -> list
        """[(device, create_backend options)]: what bisenet-bench measures with this backend here."""
        return [("cpu", {})]

    @classmethod
    def available(cls):
        # type: () -> bool
        """True when every package the backend needs is installed; imports nothing."""
        return all(is_installed(package) for package in cls.requires)

    def activate(self):
        if not self.is_active:
            self._activate()
            self.is_active = True
        return self

    def deactivate(self):
        if self.is_active:
            self.is_active = False
            self._deactivate()

    def __enter__(self):
        return self.activate()

    def __exit__(self, exc_type, exc_value, traceback):
        self.deactivate()

    def infer(self, batch):
        # type: (np.ndarray) -> np.ndarray
        """The card's output for a float NCHW batch; `last_infer_seconds` times the network call alone
        (a backend with its own clock, e.g. CUDA events, reports it through `_network_seconds`)."""
        if not self.is_active:
            raise RuntimeError("{} backend used before activate()".format(self.name))
        self.check_input(batch)
        start = time.perf_counter()
        output = self._infer(batch)
        elapsed = time.perf_counter() - start
        measured = self._network_seconds()
        self.last_infer_seconds = elapsed if measured is None else measured
        return output

    def _network_seconds(self):
        """The last network call's own duration when the backend measures it better than wall time."""
        return None

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        """(labels, blended overlay or None, {stage: seconds}) for a whole BGR frame (segments_frames only)."""
        raise NotImplementedError

    def submit_frame(self, frame_bgr, overlay_alpha=None):
        """A PendingFrame whose result() is segment_frame's (segments_frames only). A backend that
        pipelines frames starts the network and returns; here the frame is segmented now."""
        return PendingFrame.done(self.segment_frame(frame_bgr, overlay_alpha))

    def check_input(self, batch):
        shape, dtype = getattr(batch, "shape", None), getattr(batch, "dtype", None)
        smallest, largest = self.batch_range
        shape = tuple(shape or ())
        if len(shape) == len(self._input_shape) and shape[1:] == self._input_shape[1:] \
                and smallest <= shape[0] <= largest and dtype == self._input_dtype:
            return
        wanted = "{} {} input".format(_shape_text(self._input_shape), self._input_dtype)
        if smallest != largest:  # a dynamic batch axis: any batch in the card's range
            wanted = "Nx{} {} input with N from {} to {}".format(
                _shape_text(self._input_shape[1:]), self._input_dtype, smallest, largest)
        raise InputError("{} takes a {}, got {} {}".format(
            self.model_path, wanted, "nothing" if not shape else _shape_text(shape), dtype))

    def describe(self):
        # type: () -> str
        """One line for logs and bug reports: backend, device, threads, precision, model file."""
        return "{} backend on {}, threads={}, {}: {}".format(
            self.name, self._device_text(), self.threads or "default", self.precision, self.model_path)

    def _device_text(self):
        raise NotImplementedError

    def _activate(self):
        raise NotImplementedError

    def _infer(self, batch):
        raise NotImplementedError

    def _deactivate(self):
        raise NotImplementedError


class FrameDropped(WorkFailed):
    """A frame the backend could not segment while the run can go on (a remote server went away): the
    run loop counts it; a command that needs every frame (bisenet-eval) fails with it (exit 1)."""


class PendingFrame(object):
    """A submitted frame: `result()` waits for it once and then keeps returning what it gave."""

    def __init__(self, finish):
        self._finish = finish
        self._result = None

    @classmethod
    def done(cls, result):
        pending = cls(None)
        pending._result = result
        return pending

    def result(self):
        if self._result is None:
            self._result = self._finish()
            self._finish = None
        return self._result


def _shape_text(shape):
    return "x".join(str(d) for d in shape)
