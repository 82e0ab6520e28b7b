"""ONNX Runtime backend: runs an exported .onnx, on CUDA when this onnxruntime build has it.

Whole frames (`submit_frame` / `segment_frame`) go through frames.FramePipeline: the session runs on
one worker thread of ours, FRAMES_IN_FLIGHT frames each with their own bound buffers
(ort_frames.FrameIO), so one frame's network runs while the caller's thread finishes the previous
frame. ONNX Runtime before 1.12 holds the GIL through run_with_iobinding (microsoft/onnxruntime#11246,
fixed by #11248), which would stall the caller's thread for the whole network: there (the TX2's
1.10) the frames run in the caller's thread, one at a time."""

import concurrent.futures
import os
import time

from ...core.errors import InputError
from ...core.lazy import lazy_import
from . import ort_frames
from .base import Backend
from .frames import FramePipeline

CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"
FRAMES_IN_FLIGHT = 2
GIL_FREE_IOBINDING = (1, 12)  # the first onnxruntime whose run_with_iobinding releases the GIL


def iobinding_releases_gil(version):
    # type: (str) -> bool
    """True for an onnxruntime version string ("1.10.0", "1.32.0.dev") at GIL_FREE_IOBINDING or later."""
    numbers = []
    for part in version.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers) >= GIL_FREE_IOBINDING


def default_providers():
    """CUDA first when this onnxruntime build offers it, the CPU always as the fallback."""
    ort = lazy_import("onnxruntime", "the ort backend")
    offered = ort.get_available_providers()
    return ([CUDA_PROVIDER] if CUDA_PROVIDER in offered else []) + [CPU_PROVIDER]


def session_from_onnx(model_path, threads=None, providers=None):
    """An InferenceSession with every graph optimization on; `threads` caps intra-op threads."""
    ort = lazy_import("onnxruntime", "the ort backend")
    if not os.path.isfile(model_path):
        raise InputError("model not found: {}".format(model_path))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(model_path, options, providers=providers or default_providers())
    except Exception as exc:  # onnxruntime has its own exception types for unreadable models
        text = str(exc).strip()
        raise InputError("onnxruntime cannot load {}: {}".format(
            model_path, text.splitlines()[0][:200] if text else type(exc).__name__))


class OrtBackend(Backend):
    name = "ort"
    kinds = ("onnx",)
    requires = ("onnxruntime",)

    @classmethod
    def bench_columns(cls):
        """The CPU always; CUDA too when this onnxruntime build offers it."""
        offered = lazy_import("onnxruntime", "the ort backend").get_available_providers()
        columns = [("cpu", {"providers": [CPU_PROVIDER]})]
        if CUDA_PROVIDER in offered:
            columns.append(("cuda", {"providers": [CUDA_PROVIDER, CPU_PROVIDER]}))
        return columns

    def __init__(self, model_path, card, threads=None, providers=None):
        """`providers` pins the execution providers (e.g. ["CPUExecutionProvider"]); default CUDA then CPU."""
        super(OrtBackend, self).__init__(model_path, card, threads)
        self.providers = list(providers) if providers else None
        self._session = None
        self._pipeline = None  # frames.FramePipeline, made on the first frame
        self._worker = None  # the thread the session runs whole frames on

    segments_frames = True

    @property
    def pipelines_frames(self):
        return iobinding_releases_gil(lazy_import("onnxruntime", "the ort backend").__version__)

    def submit_frame(self, frame_bgr, overlay_alpha=None):
        """A PendingFrame: FrameInput's normalized frame bound and its network started on the worker
        thread (run now where it would hold the GIL); its result() is (labels at the frame's size, None,
        timings), the labels valid until the frame after the next one is submitted."""
        if self._pipeline is None:
            if self.pipelines_frames:
                self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
            self._pipeline = FramePipeline(self, [
                _FrameRequest(ort_frames.FrameIO(self._session, self.card), self._worker)
                for _ in range(FRAMES_IN_FLIGHT)], normalized=True)
        return self._pipeline.submit(frame_bgr)

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        """submit_frame's result, now."""
        return self.submit_frame(frame_bgr).result()

    def _activate(self):
        session = session_from_onnx(self.model_path, self.threads, self.providers)
        for role, names in (("input", session.get_inputs()), ("output", session.get_outputs())):
            wanted = self.card[role]["name"]
            if wanted not in [n.name for n in names]:
                raise InputError("{}: the model card names the {} {!r}, but the model's {}s are {}".format(
                    self.model_path, role, wanted, role, ", ".join(n.name for n in names)))
        self._session = session

    def _infer(self, batch):
        return self._session.run([self.card["output"]["name"]], {self.card["input"]["name"]: batch})[0]

    def _deactivate(self):
        if self._worker is not None:
            self._worker.shutdown(wait=True)  # a frame still running finishes first
        self._session = self._pipeline = self._worker = None

    def _device_text(self):
        if self._session is not None:
            return "+".join(self._session.get_providers())
        return "+".join(self.providers) if self.providers else "default providers"


class _FrameRequest(object):
    """One FramePipeline slot: its FrameIO's bound run, on the backend's worker thread, or where there
    is none in the caller's thread when the result is asked for."""

    def __init__(self, frame_io, worker):
        self.frame_io = frame_io
        self.worker = worker
        self._future = self._batch = None

    def start(self, normalized):
        batch = self.frame_io.prepare(normalized)
        if self.worker is None:
            self._batch = batch
        else:
            self._future = self.worker.submit(self._timed_run, batch)

    def _timed_run(self, batch):
        start = time.perf_counter()
        output = self.frame_io.run(batch)
        return output, time.perf_counter() - start

    def wait(self):
        """(output, network seconds); the session's error, if it raised one."""
        if self.worker is None:
            return self._timed_run(self._batch)
        return self._future.result()
