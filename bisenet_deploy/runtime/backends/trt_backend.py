"""TensorRT backend: runs a .engine built by bisenet-build-engine, through engines/ (loader: sidecar
check and deserialisation; runner: context, buffers, stream, CUDA-event timing).

`segment_frame` is the whole frame on the GPU: the camera frame is uploaded once, one kernel writes
the engine's input, and after the engine one kernel makes the label map (and the blended overlay),
so only those come back.
"""

import logging

import cv2
import numpy as np

from ...core.comparison import SAMPLE_IMAGE
from ...core.cuda_context import CudaContext
from ...core.preprocess import preprocess
from ...core.errors import InputError
from ...engines import loader
from ...engines.device import query_device
from ...engines.runner import MEMORY_CHOICES, EngineRunner
from ...engines.trt_api import TrtApi
from .base import Backend

LOG = logging.getLogger("bisenet_deploy.runtime")


class TrtBackend(Backend):
    name = "trt"
    kinds = ("engine",)
    requires = ("tensorrt", "pycuda")
    precisions = ("fp32", "fp16", "int8")

    @classmethod
    def bench_columns(cls):
        """With copies; on a Jetson (CPU and GPU share memory) also with mapped zero-copy buffers."""
        modes = ("copy", "mapped") if query_device().integrated else ("copy",)
        return [("cuda", {"memory": mode}) for mode in modes]

    def __init__(self, model_path, card, threads=None, memory="auto", api=None, cuda=None, device=None,
                 gpu_ops=None):
        """`memory`: auto | copy | mapped. `api` (TrtApi), `cuda` (CudaContext), `device` (DeviceInfo) and
        `gpu_ops` (module with GpuPreprocessor, GpuPostprocessor, CudaKernels) are made on activation
        unless given."""
        super(TrtBackend, self).__init__(model_path, card, threads)
        if memory not in MEMORY_CHOICES:
            raise InputError("--memory must be one of {}, got {!r}".format(", ".join(MEMORY_CHOICES), memory))
        self.memory_requested = memory
        self._api, self._cuda, self._device = api, cuda, device
        self._owns_cuda = cuda is None
        self._runtime = self._runner = None
        self._gpu_ops = gpu_ops
        self._kernels = self._pre = None
        self._post = {}  # overlay alpha -> GpuPostprocessor
        self._frame_events = None

    @property
    def segments_frames(self):
        """True when the Segmenter should hand whole frames to `segment_frame` (GPU pre/postprocessing)."""
        return self._pre is not None

    @property
    def cuda(self):
        return self._cuda

    @property
    def memory(self):
        return self._runner.memory if self._runner is not None else None

    @property
    def memory_probe(self):
        return self._runner.memory_probe if self._runner is not None else {}

    @property
    def last_network_seconds(self):
        return self._runner.last_network_seconds if self._runner is not None else 0.0

    def _activate(self):
        try:
            self._load()
        except BaseException:
            self._deactivate()  # activate() never calls it for a failed activation: free what was made
            raise

    def _load(self):
        self._api = self._api or TrtApi()
        self._device = self._device or query_device()
        plan, self.precision = loader.read_checked_plan(self.model_path, self._api, self._device)
        if self._cuda is None:
            self._cuda = CudaContext()
        with self._cuda.active():
            self._runtime, engine, specs = loader.deserialize(self._api, plan, self.card, self.model_path)
            self._input_dtype = next(s for s in specs if s.is_input).dtype
            self._runner = EngineRunner(self._api, self._cuda, engine, specs, self.card["output"]["name"],
                                        dynamic_batch=bool(self.card.get("dynamic_batch")))
            self._frame_events = tuple(self._cuda.driver.Event() for _ in range(4))
            self._runner.start(self.memory_requested, self._round_trip_for_bound_memory)
            self._close_gpu_ops()  # made for the last scheme probed, which may not be the one kept
            self._prepare_gpu_ops()

    def _round_trip_for_bound_memory(self):
        """One whole inference on the packaged sample picture, as runs will do it under the scheme just
        bound: the GPU frame path when it is on (frame upload, kernels, engine, labels back), else the
        CPU preprocessing's batch through upload, engine and download; the CPU reads the result."""
        self._close_gpu_ops()
        self._prepare_gpu_ops()  # the frame path depends on the scheme (mapped or device buffers)
        frame = probe_frame(self.card)
        if self.segments_frames:
            return lambda: np.array(self.segment_frame(frame)[0], copy=True)
        batch = preprocess(frame, self.card["input_size"], self.card["mean"], self.card["std"], self._input_dtype)
        return lambda: np.array(self._infer(batch), copy=True)

    def _network_seconds(self):
        return self._runner.last_network_seconds  # CUDA events around the enqueue: the network alone

    def _infer(self, batch):
        """The output in the engine's own page-locked buffer: valid until the next inference."""
        with self._cuda.active():
            return self._runner.infer(batch)

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        """(labels (H, W) uint8 at the frame's size, blended overlay or None, timings) for a BGR frame;
        `overlay_alpha` None: labels only. Labels and overlay live in page-locked buffers reused by the
        next call (no per-frame allocation): use or copy them before segmenting again."""
        if not self.segments_frames:
            raise RuntimeError("trt backend: segment_frame needs an active backend with GPU pre/postprocessing")
        with self._cuda.active():
            pre, post = self._frame_ops(overlay_alpha)
            runner = self._runner
            runner.set_batch(1)  # one frame, also on an engine with a dynamic batch
            stream, (start, preprocessed, inferred, done) = runner.stream, self._frame_events
            start.record(stream)
            frame = pre.run(frame_bgr, runner.input_buffer.device_ptr, stream)
            preprocessed.record(stream)
            runner.run(stream.handle)
            inferred.record(stream)
            labels, blended = post.run(runner.output_buffer.device_ptr, frame, stream,
                                       overlay=overlay_alpha is not None)
            done.record(stream)
            stream.synchronize()
            timings = {"preprocess": preprocessed.time_since(start) / 1e3,
                       "network": inferred.time_since(preprocessed) / 1e3,
                       "postprocess": done.time_since(inferred) / 1e3}
        self.last_infer_seconds = runner.last_network_seconds = timings["network"]
        return labels, blended, timings

    def _prepare_gpu_ops(self):
        """Compile the kernels (pycuda caches the binary) and make the preprocessor; without nvcc or with
        more classes than the kernels return, frames are preprocessed on the CPU instead, with a warning."""
        try:
            ops = self._gpu_ops or _load_gpu_ops()
            self._kernels = ops.CudaKernels()
            self._pre = ops.GpuPreprocessor(self.card, self._input_dtype, self._kernels, self.memory == "mapped")
            self._gpu_ops = ops
            self._frame_ops(None)  # the postprocessor checks the output (class count, dtype) now, not mid-run
        except InputError as exc:
            LOG.warning("GPU pre/postprocessing is off, frames are preprocessed on the CPU: %s", exc)
            self._kernels = self._pre = None

    def _frame_ops(self, overlay_alpha):
        """The preprocessor, and the postprocessor for this overlay alpha (made on first use)."""
        alpha = 0.5 if overlay_alpha is None else float(overlay_alpha)
        if alpha not in self._post:
            output = self._runner.output_buffer.spec
            self._post[alpha] = self._gpu_ops.GpuPostprocessor(self.card, output.shape, output.dtype, alpha,
                                                               self._kernels, self.memory == "mapped")
        return self._pre, self._post[alpha]

    def _deactivate(self):
        if self._cuda is None:
            return
        with self._cuda.active():
            self._close_gpu_ops()
            if self._runner is not None:
                self._runner.close()
            self._runner = self._runtime = self._frame_events = None
        if self._owns_cuda:
            self._cuda.close()
            self._cuda = None

    def _close_gpu_ops(self):
        for ops in [self._pre] + list(self._post.values()):
            if ops is not None:
                ops.close()
        self._kernels = self._pre = None
        self._post = {}

    def _device_text(self):
        if self._device is None:
            return "CUDA GPU"
        return "{} ({} buffers)".format(self._device.name, self.memory or self.memory_requested)


def _load_gpu_ops():
    from ..gpu import pycuda_ops  # imports pycuda's compiler only now
    return pycuda_ops


def probe_frame(card):
    """The packaged sample picture at the model's input size: real input for the memory probe."""
    image = cv2.imread(SAMPLE_IMAGE, cv2.IMREAD_COLOR)
    height, width = card["input_size"]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
