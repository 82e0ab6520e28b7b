"""Host and device buffers for one engine, planned from its I/O tensors and allocated once.

Two ways to hand data to the GPU: "copy" (page-locked host buffers plus device buffers, async copies
on the stream; the desktop way) and "mapped" (page-locked host memory the GPU addresses directly, no
copies; on a Jetson CPU and GPU share DRAM, so this can win). Which is faster on a given Jetson is
measured, not assumed.
"""

import collections

import numpy as np

MEMORY_MODES = ("copy", "mapped")

BufferSpec = collections.namedtuple("BufferSpec", "name is_input shape dtype nbytes")
Buffer = collections.namedtuple("Buffer", "spec host device_ptr device_allocation")
# host: numpy array (page-locked); device_ptr: int for TensorRT; device_allocation: pycuda's, or None
# when the device reads the host buffer itself (mapped)


def plan_buffers(tensors, max_batch=1):
    """[BufferSpec] in the engine's I/O order, the order TensorRT's binding list needs; a dynamic batch
    axis (-1) gets buffers for `max_batch`."""
    specs = []
    for tensor in tensors:
        shape = tuple(int(max_batch) if axis == 0 and d < 0 else int(d) for axis, d in enumerate(tensor.shape))
        dtype = np.dtype(tensor.dtype)
        specs.append(BufferSpec(tensor.name, tensor.is_input, shape, dtype, int(np.prod(shape)) * dtype.itemsize))
    return specs


def allocate(specs, driver, mode):
    """[Buffer] for `specs`: pinned host + device memory ("copy") or mapped pinned memory ("mapped")."""
    if mode not in MEMORY_MODES:
        raise ValueError("memory mode must be one of {}, got {!r}".format(MEMORY_MODES, mode))
    buffers = []
    for spec in specs:
        if mode == "mapped":
            host = driver.pagelocked_empty(spec.shape, spec.dtype, mem_flags=driver.host_alloc_flags.DEVICEMAP)
            buffers.append(Buffer(spec, host, int(host.base.get_device_pointer()), None))
        else:
            host = driver.pagelocked_empty(spec.shape, spec.dtype)
            device = driver.mem_alloc(max(spec.nbytes, 1))
            buffers.append(Buffer(spec, host, int(device), device))
    return buffers


def upload_inputs(buffers, driver, stream, mode, batch=None):
    """Copy the inputs' first `batch` images (default: all) to the device ("copy" mode only)."""
    if mode == "copy":
        for buffer in buffers:
            if buffer.spec.is_input:
                driver.memcpy_htod_async(buffer.device_ptr, first_rows(buffer.host, batch), stream)


def download_outputs(buffers, driver, stream, mode, batch=None):
    """Copy the outputs' first `batch` results (default: all) to the host ("copy" mode only)."""
    if mode == "copy":
        for buffer in buffers:
            if not buffer.spec.is_input:
                driver.memcpy_dtoh_async(first_rows(buffer.host, batch), buffer.device_ptr, stream)


def first_rows(host, batch):
    """The first `batch` images of a host buffer (a contiguous view of its page-locked memory); all for None."""
    return host if batch is None else host[:batch]


def release(buffers):
    """Free device and page-locked memory now, while the context is current, not at garbage collection."""
    for buffer in buffers:
        if buffer.device_allocation is not None:
            buffer.device_allocation.free()
        buffer.host.base.free()
