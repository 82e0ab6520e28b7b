"""pycuda_ops plumbing: buffers, copies and launches, against a recording stand-in for pycuda (tests say "stub").

The arithmetic of the launched kernels is checked by test_host_harness.py and test_kernels_cupy.py.
"""

import contextlib
import subprocess
import sys
import types

import numpy as np
import pytest

from bisenet_deploy.core.errors import InputError
from bisenet_deploy.core.lazy import is_installed
from bisenet_deploy.runtime.gpu import kernel_source as ks
from bisenet_deploy.runtime.gpu.pycuda_ops import CudaKernels, GpuPostprocessor, GpuPreprocessor
from bisenet_deploy.runtime.overlay import palette_bgr

DEVICEMAP = 2


class StubDeviceAllocation(object):
    def __init__(self, address, nbytes):
        self.address, self.nbytes, self.freed = address, nbytes, False

    def __int__(self):
        return self.address

    def free(self):
        self.freed = True


class StubHostAllocation(bytearray):
    """Page-locked memory stand-in: numpy arrays made from it have it as their .base, as pycuda's do."""

    def __init__(self, nbytes, flags, device_address):
        bytearray.__init__(self, nbytes)
        self.flags, self.device_address, self.freed = flags, device_address, False

    def get_device_pointer(self):
        assert self.flags & DEVICEMAP, "only mapped host memory has a device pointer"
        return self.device_address

    def free(self):
        self.freed = True


class StubPycuda(object):
    """Records what the code asks of pycuda.driver and pycuda.compiler."""

    def __init__(self):
        self.device, self.host, self.copies, self.launches, self.compiles = [], [], [], [], []
        self._next_address = 1 << 20
        self.driver = types.ModuleType("pycuda.driver")
        self.driver.host_alloc_flags = types.SimpleNamespace(DEVICEMAP=DEVICEMAP)
        self.driver.Error = type("Error", (Exception,), {})
        self.driver.mem_alloc = self._mem_alloc
        self.driver.pagelocked_empty = self._pagelocked_empty
        self.driver.memcpy_htod = lambda dest, src: self.copies.append(("htod", int(dest), bytes(src), None))
        self.driver.memcpy_htod_async = lambda dest, src, stream: self.copies.append(
            ("htod", int(dest), bytes(src), stream))
        self.driver.memcpy_dtoh_async = lambda dest, src, stream: self.copies.append(("dtoh", int(src), dest, stream))
        self.compiler = types.ModuleType("pycuda.compiler")
        self.compiler.SourceModule = self._source_module

    def _address(self, nbytes):
        address, self._next_address = self._next_address, self._next_address + nbytes + 4096
        return address

    def _mem_alloc(self, nbytes):
        self.device.append(StubDeviceAllocation(self._address(nbytes), nbytes))
        return self.device[-1]

    def _pagelocked_empty(self, shape, dtype, order="C", mem_flags=0):
        allocation = StubHostAllocation(int(np.prod(shape)) * np.dtype(dtype).itemsize, mem_flags, self._address(0))
        self.host.append(allocation)
        return np.ndarray(shape, dtype, buffer=allocation)

    def _source_module(self, source, **options):
        self.compiles.append((source, options))
        launches = self.launches

        class Function(object):
            def __init__(self, name):
                self.name, self.signature = name, None

            def prepare(self, signature):
                self.signature = signature

            def prepared_async_call(self, grid, block, stream, *args):
                assert len(args) == len(self.signature)
                launches.append((self.name, grid, block, stream, args))

        return types.SimpleNamespace(get_function=Function)

    def launched(self, name):
        return [launch for launch in self.launches if launch[0] == name]


@contextlib.contextmanager
def stub_pycuda():
    stub = StubPycuda()
    names = {"pycuda": types.ModuleType("pycuda"), "pycuda.driver": stub.driver, "pycuda.compiler": stub.compiler}
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(names)
    try:
        yield stub
    finally:
        for name, module in saved.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module


def card(head="logits", num_classes=5):
    colours = np.random.RandomState(num_classes).randint(0, 256, (num_classes, 3)).tolist()
    return {"head": head, "num_classes": num_classes, "colors": colours, "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225], "input_size": [64, 96], "head_upsample": {"align_corners": True}}


def frame(height, width, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)


def test_importing_the_gpu_modules_imports_no_pycuda():
    code = ("import sys, bisenet_deploy.runtime.gpu.pycuda_ops, bisenet_deploy.runtime.gpu.kernel_source; "
            "assert 'pycuda' not in sys.modules")
    assert subprocess.call([sys.executable, "-c", code]) == 0


@pytest.mark.skipif(is_installed("pycuda"), reason="pycuda is installed, so its absence cannot be shown")
def test_without_pycuda_the_processors_say_what_to_install():
    with pytest.raises(InputError, match="pycuda"):
        GpuPreprocessor(card())


def test_stub_preprocessor_allocates_once_per_frame_size_and_uploads_on_the_stream():
    with stub_pycuda() as stub:
        pre = GpuPreprocessor(card(), np.float16)
        assert len(stub.compiles) == 1 and stub.compiles[0][1]["no_extern_c"] is True
        assert "preprocess_float16" in stub.compiles[0][0]
        stream = object()
        for seed in range(3):
            image = frame(48, 64, seed)
            device_frame = pre.run(image, 9000, stream)
            name, dest, data, used_stream = stub.copies[-1]
            assert (name, data, used_stream) == ("htod", image.tobytes(), stream)
            assert device_frame == ks.DeviceFrame(dest, 48, 64, 64 * 3)
        assert len(stub.device) == 2 and len(stub.host) == 1  # frame + taps on the device, one staging buffer
        assert len(stub.launched("resize_taps")) == 2  # columns and rows, for the first frame only
        launches = stub.launched("preprocess_float16")
        assert len(launches) == 3
        _, grid, block, used_stream, args = launches[-1]
        assert (grid, block, used_stream) == (ks.grid_2d(64, 96), ks.BLOCK_2D, stream)
        assert args[0] == device_frame.pointer and args[4] == 9000 and args[5:7] == (64, 96)
        assert pre.input_nbytes == 3 * 64 * 96 * 2

        pre.run(frame(96, 128), 9000, stream)  # bigger: the frame buffers grow, the old ones are freed
        assert len(stub.device) == 3 and len(stub.host) == 2 and stub.device[0].freed and stub.host[0].freed
        pre.run(frame(10, 12), 9000, stream)  # smaller: fits, only the taps are recomputed
        assert len(stub.device) == 3 and len(stub.host) == 2
        assert len(stub.launched("resize_taps")) == 6
        assert stub.copies[-1][2] == frame(10, 12).tobytes()
        pre.close()
        assert all(a.freed for a in stub.device) and all(a.freed for a in stub.host)


def test_stub_mapped_preprocessor_reads_the_frame_in_place():
    with stub_pycuda() as stub:
        pre = GpuPreprocessor(card(), np.float32, mapped=True)
        device_frame = pre.run(frame(20, 30), 5000, "stream")
        assert not stub.copies and len(stub.host) == 1 and stub.host[0].flags == DEVICEMAP
        assert device_frame.pointer == stub.host[0].device_address
        assert stub.launched("preprocess_float32")[0][4][0] == device_frame.pointer


def test_stub_processors_share_one_compiled_module():
    with stub_pycuda() as stub:
        kernels = CudaKernels()
        GpuPreprocessor(card(), kernels=kernels)
        GpuPostprocessor(card(), (1, 5, 8, 12), np.float32, kernels=kernels)
        assert len(stub.compiles) == 1


def test_stub_postprocessor_copies_back_only_labels_and_overlay():
    with stub_pycuda() as stub:
        post = GpuPostprocessor(card("logits", 5), (1, 5, 8, 12), np.float32, alpha=0.25)
        palette_copy = stub.copies.pop()
        assert palette_copy[2] == palette_bgr(card("logits", 5)["colors"]).tobytes()
        stream = object()
        device_frame = ks.DeviceFrame(777, 48, 64, 192)
        labels, overlay = post.run(4242, device_frame, stream)
        assert labels.shape == (48, 64) and overlay.shape == (48, 64, 3)
        (_, labels_src, labels_dest, s1), (_, overlay_src, overlay_dest, s2) = stub.copies
        assert s1 is stream and s2 is stream
        assert np.shares_memory(labels, labels_dest) and np.shares_memory(overlay, overlay_dest)
        name, grid, _, used_stream, args = stub.launched("labels_from_logits_float32")[0]
        assert grid == ks.grid_2d(48, 64) and used_stream is stream
        assert args[0] == 4242 and args[6] == labels_src and args[9:11] == (777, 192)
        assert args[-3:] == (np.float32(0.25), np.float32(0.75), overlay_src)

        allocations = (len(stub.device), len(stub.host))
        post.run(4242, device_frame, stream)  # same size: nothing allocated, taps kept
        assert (len(stub.device), len(stub.host)) == allocations
        assert len(stub.launched("resize_taps")) == 2

        labels, overlay = post.run(4242, ks.DeviceFrame(0, 48, 64, 0), stream, overlay=False)
        assert overlay is None and len(stub.copies) == 5  # labels only this time
        assert stub.launched("labels_from_logits_float32")[-1][4][-1] == 0


def test_stub_mapped_postprocessor_writes_results_in_place():
    with stub_pycuda() as stub:
        post = GpuPostprocessor(card("labels", 5), (1, 64, 96), np.int32, mapped=True)
        stub.copies.clear()
        post.run(10, ks.DeviceFrame(20, 30, 40, 120), "stream")
        assert not stub.copies
        args = stub.launched("labels_from_label_map")[0][4]
        assert args[5] == stub.host[0].device_address and args[-1] == stub.host[1].device_address


def test_stub_postprocessor_refuses_an_output_that_does_not_fit_the_card():
    with stub_pycuda():
        with pytest.raises(InputError, match="5-class logits"):
            GpuPostprocessor(card("logits", 5), (1, 4, 8, 12), np.float32)


def test_nvcc_is_found_in_jetpacks_folder_when_not_on_path(tmp_path, monkeypatch):
    from bisenet_deploy.runtime.gpu import pycuda_ops

    nvcc = tmp_path / "nvcc"
    nvcc.write_text("#!/bin/sh\n")
    nvcc.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(pycuda_ops, "JETPACK_NVCC", str(nvcc))
    assert pycuda_ops.find_nvcc() == str(nvcc)
    monkeypatch.setattr(pycuda_ops, "JETPACK_NVCC", str(tmp_path / "absent"))
    assert pycuda_ops.find_nvcc() == "nvcc"  # pycuda then reports it missing, and the caller says where to look
