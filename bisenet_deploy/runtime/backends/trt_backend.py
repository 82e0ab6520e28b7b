"""TensorRT backend: runs a .engine built by bisenet-build-engine, through the engines/ adapter.

On activation: the sidecar is checked against this TensorRT and GPU (before TensorRT can fail
obscurely), the engine is loaded, buffers are allocated once and bound once. Each inference is one
upload, one enqueue and one download on a pycuda stream; the network time is measured with CUDA
events. On a Jetson the copy and mapped (zero-copy) buffer schemes are both timed and the faster kept.

`segment_frame` is the whole frame on the GPU: the camera frame is uploaded once, one kernel writes
the engine's input, and after the engine one kernel makes the label map (and the blended overlay),
so only those come back.
"""

import logging

import numpy as np

from ...engines.device import query_device
from ...engines.sidecar import check_sidecar, read_sidecar
from ...engines.trt_api import TrtApi
from ...core.errors import InputError
from ...engines import buffers as trt_buffers
from ...core.cuda_context import CudaContext
from .base import Backend

LOG = logging.getLogger("bisenet_deploy.runtime")
MEMORY_CHOICES = ("auto",) + trt_buffers.MEMORY_MODES
PROBE_RUNS = 10  # inferences per scheme when picking copy vs mapped


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
        self.memory = None
        self.memory_probe = {}  # scheme -> median network seconds, when auto measured them
        self._api, self._cuda, self._device = api, cuda, device
        self._owns_cuda = cuda is None
        self._engine = self._runtime = self._context = self._run = None
        self._stream = self._events = None
        self._buffers = []
        self.last_network_seconds = 0.0
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
    def input_buffer(self):
        return next(b for b in self._buffers if b.spec.is_input)

    @property
    def output_buffer(self):
        return next(b for b in self._buffers if b.spec.name == self.card["output"]["name"])

    def _activate(self):
        try:
            self._load()
        except BaseException:
            self._deactivate()  # activate() never calls it for a failed activation: free what was made
            raise

    def _load(self):
        sidecar = read_sidecar(self.model_path)
        self._api = self._api or TrtApi()
        self._device = self._device or query_device()
        check_sidecar(self.model_path, sidecar, self._api.version, self._device)
        self.precision = sidecar.get("precision", "fp32")
        if self._cuda is None:
            self._cuda = CudaContext()
        with open(self.model_path, "rb") as handle:
            plan = handle.read()
        with self._cuda.active():
            self._runtime, self._engine = self._api.load_engine(plan)
            specs = trt_buffers.plan_buffers(self._api.io_tensors(self._engine))
            self._check_io(specs)
            self._context = self._api.create_context(self._engine)
            driver = self._cuda.driver
            self._stream = driver.Stream()
            self._events = (driver.Event(), driver.Event())
            self._frame_events = tuple(driver.Event() for _ in range(4))
            self._use_memory(self._pick_memory(specs), specs)
            self._prepare_gpu_ops()

    def _check_io(self, specs):
        inputs = [s for s in specs if s.is_input]
        wanted = self.card["input"]
        if len(inputs) != 1 or inputs[0].name != wanted["name"] or list(inputs[0].shape) != list(wanted["shape"]):
            raise InputError("{}: the engine takes {}, but its sidecar's model card says {} {}; rebuild the "
                             "engine".format(self.model_path, ", ".join("{} {}".format(s.name, list(s.shape))
                                                                        for s in inputs),
                                             wanted["name"], wanted["shape"]))
        if self.card["output"]["name"] not in [s.name for s in specs if not s.is_input]:
            raise InputError("{}: the engine has no output {!r}; rebuild the engine".format(
                self.model_path, self.card["output"]["name"]))
        self._input_dtype = inputs[0].dtype

    def _pick_memory(self, specs):
        if self.memory_requested != "auto":
            return self.memory_requested
        if not self._cuda.integrated:
            return "copy"  # a discrete GPU cannot read host memory quickly over PCIe
        for mode in trt_buffers.MEMORY_MODES:
            self._use_memory(mode, specs)
            self.memory_probe[mode] = self._probe()
        best = min(self.memory_probe, key=self.memory_probe.get)
        LOG.info("memory: %s (network %.2f ms with copies, %.2f ms mapped)", best,
                 1e3 * self.memory_probe["copy"], 1e3 * self.memory_probe["mapped"])
        return best

    def _use_memory(self, mode, specs):
        trt_buffers.release(self._buffers)
        self._buffers = []  # never freed twice, even when the allocation below fails
        self._buffers = trt_buffers.allocate(specs, self._cuda.driver, mode)
        self._run = self._api.bind(self._engine, self._context, [b.spec for b in self._buffers],
                                   [b.device_ptr for b in self._buffers])
        self.memory = mode

    def _probe(self):
        self.input_buffer.host.fill(0)
        timings = []
        for _ in range(PROBE_RUNS + 1):  # the first run pays for lazy initialisation
            self._enqueue()
            timings.append(self._finish())
        return float(np.median(timings[1:]))

    def _network_seconds(self):
        return self.last_network_seconds  # CUDA events around the enqueue: the network alone

    def _infer(self, batch):
        """The output in the engine's own page-locked buffer: valid until the next inference."""
        with self._cuda.active():
            np.copyto(self.input_buffer.host, batch)
            trt_buffers.upload_inputs(self._buffers, self._cuda.driver, self._stream, self.memory)
            self._enqueue()
            trt_buffers.download_outputs(self._buffers, self._cuda.driver, self._stream, self.memory)
            self.last_network_seconds = self._finish()
        return self.output_buffer.host

    def _enqueue(self):
        start, end = self._events
        start.record(self._stream)
        self._run(self._stream.handle)
        end.record(self._stream)

    def _finish(self):
        """Wait for the stream; the seconds between the enqueue's two events (the network alone)."""
        self._stream.synchronize()
        start, end = self._events
        return end.time_since(start) / 1e3

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        """(labels (H, W) uint8 at the frame's size, blended overlay or None, timings) for a BGR frame;
        `overlay_alpha` None: labels only. Labels and overlay live in page-locked buffers reused by the
        next call (no per-frame allocation): use or copy them before segmenting again."""
        if not self.segments_frames:
            raise RuntimeError("trt backend: segment_frame needs an active backend with GPU pre/postprocessing")
        with self._cuda.active():
            pre, post = self._frame_ops(overlay_alpha)
            stream, (start, preprocessed, inferred, done) = self._stream, self._frame_events
            start.record(stream)
            frame = pre.run(frame_bgr, self.input_buffer.device_ptr, stream)
            preprocessed.record(stream)
            self._run(stream.handle)
            inferred.record(stream)
            labels, blended = post.run(self.output_buffer.device_ptr, frame, stream, overlay=overlay_alpha is not None)
            done.record(stream)
            stream.synchronize()
            timings = {"preprocess": preprocessed.time_since(start) / 1e3,
                       "network": inferred.time_since(preprocessed) / 1e3,
                       "postprocess": done.time_since(inferred) / 1e3}
        self.last_infer_seconds = self.last_network_seconds = timings["network"]
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
            output = self.output_buffer.spec
            self._post[alpha] = self._gpu_ops.GpuPostprocessor(self.card, output.shape, output.dtype, alpha,
                                                               self._kernels, self.memory == "mapped")
        return self._pre, self._post[alpha]

    def _deactivate(self):
        if self._cuda is None:
            return
        with self._cuda.active():
            for ops in [self._pre] + list(self._post.values()):
                if ops is not None:
                    ops.close()
            self._kernels = self._pre = None
            self._post = {}
            trt_buffers.release(self._buffers)
            self._buffers = []
            self._run = self._context = self._engine = self._runtime = None
            self._stream = self._events = self._frame_events = None
        if self._owns_cuda:
            self._cuda.close()
            self._cuda = None

    def _device_text(self):
        if self._device is None:
            return "CUDA GPU"
        return "{} ({} buffers)".format(self._device.name, self.memory or self.memory_requested)


def _load_gpu_ops():
    from ..gpu import pycuda_ops  # imports pycuda's compiler only now
    return pycuda_ops
