"""pycuda's driver for the tests: "device memory" in numpy arrays keyed by fake addresses, so an engine
stub reads its input and writes its output through the pointers it was bound to."""

import itertools

import numpy as np

from .recording import Calls, Enum


class FakeMemory(object):
    """Device memory for the stubs: fake address -> numpy uint8 array."""

    def __init__(self):
        self.blocks = {}
        self._next = itertools.count(0x10000, 0x10000)

    def register(self, array_bytes):
        address = next(self._next)
        self.blocks[address] = array_bytes
        return address

    def view(self, address, shape, dtype):
        return self.blocks[address].view(dtype)[: int(np.prod(shape))].reshape(shape)


class StubPycudaDriver(object):
    """Just enough of pycuda.driver for the TensorRT backend, on FakeMemory."""

    class Error(Exception):
        pass

    def __init__(self, memory, integrated=True, name="NVIDIA Tegra X2", capability=(6, 2)):
        self.memory = memory
        self.calls = Calls()
        self.ctx_flags = Enum(MAP_HOST=8)
        self.device_attribute = Enum(INTEGRATED="INTEGRATED")
        self.host_alloc_flags = Enum(DEVICEMAP=2)
        self.live_allocations = set()
        driver = self

        class Allocation(bytearray):
            def __init__(self, nbytes):
                super(Allocation, self).__init__(nbytes)
                self.address = driver.memory.register(np.frombuffer(self, np.uint8))
                driver.live_allocations.add(self.address)

            def get_device_pointer(self):
                return self.address

            def __int__(self):
                return self.address

            def free(self):
                if self.address not in driver.live_allocations:  # pycuda raises on a second free
                    raise driver.Error("cuMemFree failed: invalid argument (freed twice)")
                driver.live_allocations.discard(self.address)

        class Device(object):
            def __init__(self, ordinal):
                self.ordinal = ordinal

            def make_context(self, flags=0):
                driver.calls.append(("make_context", (flags,)))
                return Context()

            def get_attribute(self, attribute):
                return integrated

            def compute_capability(self):
                return capability

            def name(self):
                return name

            def total_memory(self):
                return 8 * 10 ** 9

        class Context(object):
            def push(self):
                driver.calls.append(("push", ()))

            def detach(self):
                driver.calls.append(("detach", ()))

            @staticmethod
            def pop():
                driver.calls.append(("pop", ()))

        class Stream(object):
            handle = 77

            def synchronize(self):
                driver.calls.append(("synchronize", ()))

        class Event(object):
            ticks = itertools.count()

            def record(self, stream):
                self.tick = next(Event.ticks)

            def time_since(self, other):
                return float(self.tick - other.tick)  # "milliseconds": deterministic for tests

        self.Allocation, self.Device, self.Context, self.Stream, self.Event = Allocation, Device, Context, Stream, Event

    def init(self):
        self.calls.append(("init", ()))

    def pagelocked_empty(self, shape, dtype, mem_flags=0):
        self.calls.append(("pagelocked_empty", (shape, mem_flags)))
        allocation = self.Allocation(int(np.prod(shape)) * np.dtype(dtype).itemsize)
        return np.ndarray(shape, dtype, buffer=allocation)

    def mem_alloc(self, nbytes):
        self.calls.append(("mem_alloc", (nbytes,)))
        return self.Allocation(nbytes)

    def memcpy_htod(self, address, host):
        self.calls.append(("memcpy_htod", ()))
        self.memory.blocks[int(address)][: host.nbytes] = np.frombuffer(host.tobytes(), np.uint8)

    def memcpy_htod_async(self, address, host, stream):
        self.calls.append(("memcpy_htod_async", ()))
        self.memory.blocks[int(address)][: host.nbytes] = np.frombuffer(host.tobytes(), np.uint8)

    def memcpy_dtoh_async(self, host, address, stream):
        self.calls.append(("memcpy_dtoh_async", ()))
        host.view(np.uint8).reshape(-1)[...] = self.memory.blocks[int(address)][: host.nbytes]
