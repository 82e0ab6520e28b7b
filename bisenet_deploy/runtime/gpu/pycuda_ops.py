"""pycuda wrappers around kernels.cu: frames into the engine's input, the engine's output into labels and overlay.

Nothing happens at import: pycuda is imported when a class is built, and the caller owns the CUDA
context (make it current in the thread that calls these). Buffers grow to the largest frame seen
and are reused, so a steady stream of frames allocates nothing; all copies and launches go on the
caller's stream. With mapped=True the kernels read the frame from, and write their results to,
page-locked host memory directly (zero-copy: on a Jetson, CPU and GPU share that memory); CUDA 10.2
needs the context made with pycuda.driver.ctx_flags.MAP_HOST for that.
"""

import os
import shutil

import numpy as np

from ...core.errors import InputError
from ...core.lazy import lazy_import
from ..overlay import palette_bgr
from .kernel_source import PREPROCESS_KERNELS, SIGNATURES, DeviceFrame, blend_weights, dtype_name, grown, kernel_source, normalization_args, output_spec, plan_postprocess, plan_preprocess, postprocess_call, postprocess_taps_calls, preprocess_call, preprocess_taps_calls

NEEDED_FOR = "GPU pre/postprocessing"
JETPACK_NVCC = "/usr/local/cuda/bin/nvcc"  # JetPack installs it here but does not put it on PATH


def find_nvcc():
    # type: () -> str
    """nvcc from PATH, else JetPack's; pycuda compiles the kernels with it at run time."""
    return shutil.which("nvcc") or (JETPACK_NVCC if os.access(JETPACK_NVCC, os.X_OK) else "nvcc")


def _driver():
    return lazy_import("pycuda.driver", NEEDED_FOR)


class CudaKernels(object):
    """kernels.cu compiled once by nvcc for the current context's GPU; share one between the processors."""

    def __init__(self, options=None, cache_dir=None):
        compiler = lazy_import("pycuda.compiler", NEEDED_FOR)
        driver = _driver()
        nvcc = find_nvcc()
        try:
            self._module = compiler.SourceModule(kernel_source(), nvcc=nvcc, no_extern_c=True, options=options,
                                                 cache_dir=cache_dir)
        except (OSError, driver.Error) as exc:  # nvcc missing, or driver.CompileError
            raise InputError("cannot compile the CUDA kernels with {} ({}); JetPack's nvcc is in /usr/local/cuda/bin, "
                             "add it to PATH".format(nvcc, str(exc).strip().splitlines()[0] if str(exc).strip()
                                                     else type(exc).__name__))
        self._functions = {}

    def launch(self, call, stream):
        """Queue a kernel_source.KernelCall on `stream`."""
        function = self._functions.get(call.name)
        if function is None:
            function = self._module.get_function(call.name)
            function.prepare(SIGNATURES[call.name])
            self._functions[call.name] = function
        function.prepared_async_call(call.grid, call.block, stream, *call.args)


class _DeviceBuffer(object):
    """Device memory that grows to the largest size asked for and is otherwise reused."""

    def __init__(self, cuda):
        self._cuda, self._allocation, self.capacity = cuda, None, 0

    def reserve(self, nbytes):
        # type: (int) -> int
        """A device pointer to at least `nbytes`."""
        capacity = grown(self.capacity, nbytes)
        if capacity != self.capacity:
            self.free()
            self._allocation, self.capacity = self._cuda.mem_alloc(capacity), capacity
        return int(self._allocation)

    def free(self):
        if self._allocation is not None:
            self._allocation.free()
        self._allocation, self.capacity = None, 0


class _HostBuffer(object):
    """Page-locked host memory (optionally mapped into the GPU's address space) that grows like _DeviceBuffer."""

    def __init__(self, cuda, mapped):
        self._cuda, self._mapped, self._array, self.capacity = cuda, mapped, None, 0

    def reserve(self, nbytes):
        # type: (int) -> np.ndarray
        """The first `nbytes` of the buffer as a uint8 array."""
        capacity = grown(self.capacity, nbytes)
        if capacity != self.capacity:
            self.free()
            flags = self._cuda.host_alloc_flags.DEVICEMAP if self._mapped else 0
            self._array = self._cuda.pagelocked_empty(capacity, np.uint8, mem_flags=flags)
            self.capacity = capacity
        return self._array[:nbytes]

    def device_pointer(self):
        # type: () -> int
        """Where the GPU sees this memory (mapped buffers only)."""
        return int(self._array.base.get_device_pointer())

    def free(self):
        if self._array is not None:
            self._array.base.free()
        self._array, self.capacity = None, 0


class GpuPreprocessor(object):
    """uint8 BGR frames of any size -> the engine's normalized NCHW input, resized on the GPU.

    Equal to runtime/preprocess.py to float rounding (tests/gpu checks the kernel arithmetic).
    """

    def __init__(self, card, input_dtype=np.float32, kernels=None, mapped=False):
        self._cuda = _driver()
        self.input_hw = (int(card["input_size"][0]), int(card["input_size"][1]))
        self.input_dtype = dtype_name(input_dtype, tuple(PREPROCESS_KERNELS), "network input")
        self.mapped = bool(mapped)
        self.device_frame = None  # DeviceFrame of the last frame, for GpuPostprocessor's overlay
        self._normalization = normalization_args(card["mean"], card["std"])
        self._kernels = kernels if kernels is not None else CudaKernels()
        self._staging = _HostBuffer(self._cuda, self.mapped)
        self._frame = _DeviceBuffer(self._cuda)
        self._taps = _DeviceBuffer(self._cuda)
        self._plan = None

    @property
    def input_nbytes(self):
        # type: () -> int
        """Bytes the engine's input buffer must have."""
        return 3 * self.input_hw[0] * self.input_hw[1] * np.dtype(self.input_dtype).itemsize

    def run(self, frame_bgr, input_pointer, stream):
        # type: (np.ndarray, int, object) -> DeviceFrame
        """Queue upload + preprocessing of `frame_bgr` into the input at `input_pointer` on `stream`.

        The frame is first copied into page-locked memory, so the caller may reuse its array at once;
        call run() again only after the stream has finished with this frame (the caller synchronizes
        to read the results anyway). Returns the frame's place on the device.
        """
        frame_bgr = np.asarray(frame_bgr)
        if frame_bgr.dtype != np.uint8:
            raise InputError("expected a uint8 BGR frame, got {}".format(frame_bgr.dtype))
        plan = plan_preprocess(frame_bgr.shape, self.input_hw, self.input_dtype)
        staging = self._staging.reserve(plan.frame_bytes)
        np.copyto(staging.reshape(frame_bgr.shape), frame_bgr)
        if self.mapped:
            frame_pointer = self._staging.device_pointer()
        else:
            frame_pointer = self._frame.reserve(plan.frame_bytes)
            self._cuda.memcpy_htod_async(frame_pointer, staging, stream)
        taps_pointer = self._taps.reserve(plan.taps_bytes)
        if plan != self._plan:
            for call in preprocess_taps_calls(plan, taps_pointer):
                self._kernels.launch(call, stream)
            self._plan = plan
        self._kernels.launch(preprocess_call(plan, frame_pointer, taps_pointer, input_pointer, self._normalization),
                             stream)
        self.device_frame = DeviceFrame(frame_pointer, plan.frame_height, plan.frame_width, plan.pitch)
        return self.device_frame

    def close(self):
        for buffer in (self._staging, self._frame, self._taps):
            buffer.free()
        self._plan = self.device_frame = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class GpuPostprocessor(object):
    """The engine's output -> uint8 labels at the frame's size and the blended overlay, on the GPU.

    Labels equal runtime/postprocess.labels_from_output; the overlay equals overlay.blend(frame,
    colorize(labels), alpha) (cv2.addWeighted's SIMD rounding; builds without FMA can differ by 1).
    """

    def __init__(self, card, output_shape, output_dtype, alpha=0.5, kernels=None, mapped=False):
        self._cuda = _driver()
        self.output = output_spec(card, output_shape, output_dtype)
        self.weights = blend_weights(alpha)
        self.mapped = bool(mapped)
        self._kernels = kernels if kernels is not None else CudaKernels()
        palette = np.ascontiguousarray(palette_bgr(card["colors"])[:self.output.classes])
        self._palette = _DeviceBuffer(self._cuda)
        self._palette_pointer = self._palette.reserve(palette.nbytes)
        self._cuda.memcpy_htod(self._palette_pointer, palette)
        self._labels = _HostBuffer(self._cuda, self.mapped)
        self._overlay = _HostBuffer(self._cuda, self.mapped)
        self._device_labels = _DeviceBuffer(self._cuda)
        self._device_overlay = _DeviceBuffer(self._cuda)
        self._taps = _DeviceBuffer(self._cuda)
        self._plan = None

    def run(self, output_pointer, frame, stream, overlay=True):
        # type: (int, DeviceFrame, object, bool) -> tuple
        """Queue labels (and, with `overlay`, the blend onto `frame`) for the output at `output_pointer`.

        Returns (labels (H, W) uint8, overlay (H, W, 3) uint8 BGR or None) at the frame's size: views of
        page-locked memory, filled once `stream` is synchronized and overwritten by the next run.
        Without `overlay` only the frame's size is read: DeviceFrame(0, H, W, 0) will do.
        """
        plan = plan_postprocess(self.output, (frame.height, frame.width))
        labels = self._labels.reserve(plan.labels_bytes)
        blended = self._overlay.reserve(plan.overlay_bytes) if overlay else None
        if self.mapped:
            labels_pointer = self._labels.device_pointer()
            overlay_pointer = self._overlay.device_pointer() if overlay else 0
        else:
            labels_pointer = self._device_labels.reserve(plan.labels_bytes)
            overlay_pointer = self._device_overlay.reserve(plan.overlay_bytes) if overlay else 0
        taps_pointer = self._taps.reserve(plan.taps_bytes)
        if plan != self._plan:
            for call in postprocess_taps_calls(plan, taps_pointer):
                self._kernels.launch(call, stream)
            self._plan = plan
        self._kernels.launch(postprocess_call(plan, output_pointer, taps_pointer, labels_pointer, frame,
                                              self._palette_pointer, self.weights, overlay_pointer), stream)
        if not self.mapped:
            self._cuda.memcpy_dtoh_async(labels, labels_pointer, stream)
            if overlay:
                self._cuda.memcpy_dtoh_async(blended, overlay_pointer, stream)
        return (labels.reshape(plan.height, plan.width),
                None if blended is None else blended.reshape(plan.height, plan.width, 3))

    def close(self):
        for buffer in (self._labels, self._overlay, self._device_labels, self._device_overlay, self._taps,
                       self._palette):
            buffer.free()
        self._plan = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
