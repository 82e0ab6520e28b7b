"""Stand-ins for TensorRT and pycuda, for tests only (no machine here has either).

The TensorRT stub offers, per API generation, only the names NVIDIA's real bindings have: names
read off the 8.6.1, 10.16.1 and 11.4.0 wheels (tests/data/tensorrt-api, copied from
shared/reference), minus what arrived later for 7.1 and 8.2 and what the 11.x migration guide says
was removed. Any other attribute raises AttributeError, as the real module would. Every call is
recorded so tests can check the sequence each generation gets.

The pycuda stub keeps "device memory" in numpy arrays keyed by fake addresses, so an engine stub can
read its input and write its output through the pointers it was bound to.
"""

import itertools
import os
import types

import numpy as np

from bisenet_deploy.engines.device import DeviceInfo
from bisenet_deploy.engines.precision import PrecisionPlan
from bisenet_deploy.engines.sidecar import file_sha256, make_sidecar, write_sidecar

NAMES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tensorrt-api")
PYTHON_LEVEL_NAMES = {"__version__", "nptype", "volume"}  # defined in tensorrt/__init__.py, not the binary

ARRIVED_8_0 = {"build_serialized_network", "create_timing_cache", "set_timing_cache", "get_timing_cache"}
ARRIVED_8_4 = {"set_memory_pool_limit", "MemoryPoolType"}
ARRIVED_8_5 = {"num_io_tensors", "get_tensor_name", "get_tensor_mode", "TensorIOMode", "get_tensor_shape",
               "get_tensor_dtype", "set_tensor_address", "execute_async_v3", "set_input_shape"}
# TensorRT 11 migration guide: BuilderFlag.FP16/INT8 removed (the names survive as tails of others)
REMOVED_FROM_BUILDER_FLAG_IN_11 = {"FP16", "INT8"}

GENERATIONS = {
    # generation: (names file, version string, names absent although the file has them)
    "7.1": ("8.6.1", "7.1.3.0", ARRIVED_8_0 | ARRIVED_8_4 | ARRIVED_8_5),
    "8.2": ("8.6.1", "8.2.1.8", ARRIVED_8_4 | ARRIVED_8_5),
    "8.6": ("8.6.1", "8.6.1", set()),
    "10": ("10.16.1", "10.16.1", set()),
    "11": ("11.4.0", "11.4.0", set()),
}


def reference_names(version):
    with open(os.path.join(NAMES_DIR, "trt-{}.names.txt".format(version))) as handle:
        return {line.strip() for line in handle if line.strip()}


def present(name, names):
    """As the reference README says: listed, or the tail of a listed string (the linker merges those)."""
    return name in PYTHON_LEVEL_NAMES or name in names or any(other.endswith(name) for other in names)


TX2 = DeviceInfo("NVIDIA Tegra X2", "6.2", 8 * 10 ** 9, True, "R32.7.1", "4.6.1", "NVIDIA Jetson TX2")


def write_engine_sidecar(engine, card, trt_version, onnx_path):
    """The sidecar bisenet-build-engine would write for an FP16 TX2 engine of `onnx_path`."""
    plan = PrecisionPlan("fp16", "fp16", ["FP16"], False, [])
    write_sidecar(engine, make_sidecar(card, onnx_path, file_sha256(onnx_path), trt_version, TX2, plan, 1 << 30, 1.0))


class Calls(list):
    def names(self):
        return [name for name, _ in self]


class Restricted(object):
    """Wraps a stub object; only names the generation has are reachable; calls are recorded."""

    def __init__(self, inner, allowed, calls):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_allowed", allowed)
        object.__setattr__(self, "_calls", calls)

    def __getattr__(self, name):
        if not self._allowed(name):
            raise AttributeError("stub TensorRT has no {!r} in this generation".format(name))
        value = getattr(self._inner, name)
        if isinstance(value, (types.FunctionType, types.MethodType)):  # classes pass through: calibrators derive
            def recorded(*args, **kwargs):
                self._calls.append((name, args))
                return value(*args, **kwargs)
            return recorded
        return value

    def __setattr__(self, name, value):
        if not self._allowed(name):
            raise AttributeError("stub TensorRT has no {!r} in this generation".format(name))
        self._calls.append((name + "=", (value,)))
        setattr(self._inner, name, value)


def unwrap(obj):
    return object.__getattribute__(obj, "_inner") if isinstance(obj, Restricted) else obj


class Enum(object):
    def __init__(self, **members):
        self.__dict__.update(members)


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


def fake_network(inputs):
    """What the stub engine computes: labels = 1 where the first channel is positive, else 0."""
    return (inputs[:, 0] > 0).astype(np.int32)


class StubTrt(object):
    """Build with `make_trt(generation, memory, fast_fp16=, fast_int8=)`; state in attributes."""

    def __init__(self, generation, memory, fast_fp16, fast_int8, io_order, input_shape, output_shape,
                 parse_errors=(), build_fails=False):
        names_file, version, absent = GENERATIONS[generation]
        names = reference_names(names_file)
        self.generation = generation
        self.calls = Calls()
        self.memory = memory
        self.built_configs = []
        stub = self

        def allowed(name):
            return name not in absent and present(name, names)

        def wrap(obj, extra_absent=()):
            return Restricted(obj, lambda n: n not in extra_absent and allowed(n), stub.calls)

        self.wrap = wrap
        io = {"input": (True, tuple(input_shape), np.float32), "labels": (False, tuple(output_shape), np.int32)}
        io_names = list(io_order)

        class Logger(object):
            WARNING, VERBOSE = 2, 4

            def __call__(self, severity):
                stub.calls.append(("Logger", (severity,)))
                return ("logger", severity)

        class TimingCache(object):
            def __init__(self, data):
                self.data = data

            def serialize(self):
                return self.data + b"+tactics"

        class Config(object):
            def __init__(self):
                self.flags, self.int8_calibrator, self.workspace, self.timing_cache = [], None, None, None

            def set_memory_pool_limit(self, pool, size):
                self.workspace = (pool, size)

            @property
            def max_workspace_size(self):
                return self.workspace

            @max_workspace_size.setter
            def max_workspace_size(self, size):
                self.workspace = ("attribute", size)

            def set_flag(self, flag):
                self.flags.append(flag)

            def create_timing_cache(self, data):
                return None if data == b"GARBAGE" else TimingCache(data)  # the real call can return None

            def set_timing_cache(self, cache, ignore_mismatch):
                """Like TensorRT: False for a cache made on another device (here: marked FOREIGN)."""
                if cache.data.startswith(b"FOREIGN"):
                    return False
                self.timing_cache = cache
                return True

            def get_timing_cache(self):
                return self.timing_cache

        class Network(object):
            def __init__(self, flags):
                self.flags = flags

        class Engine(object):
            def __init__(self, plan):
                self.plan = plan

            def serialize(self):
                return self.plan

            # binding API (7.1 - 8.6)
            @property
            def num_bindings(self):
                return len(io_names)

            def get_binding_name(self, index):
                return io_names[index]

            def binding_is_input(self, index):
                return io[io_names[index]][0]

            def get_binding_shape(self, index):
                return io[io_names[index]][1]

            def get_binding_dtype(self, index):
                return io[io_names[index]][2]

            # tensor API (8.5+)
            @property
            def num_io_tensors(self):
                return len(io_names)

            def get_tensor_name(self, index):
                return io_names[index]

            def get_tensor_mode(self, name):
                return "INPUT" if io[name][0] else "OUTPUT"

            def get_tensor_shape(self, name):
                return io[name][1]

            def get_tensor_dtype(self, name):
                return io[name][2]

            def create_execution_context(self):
                return wrap(Context())

        class Context(object):
            def __init__(self):
                self.addresses = {}

            def set_tensor_address(self, name, address):
                self.addresses[name] = address

            def _run(self):
                x = stub.memory.view(self.addresses["input"], io["input"][1], np.float32)
                out = stub.memory.view(self.addresses["labels"], io["labels"][1], np.int32)
                out[...] = fake_network(x)
                return True

            def execute_async_v3(self, stream_handle):
                return self._run()

            def execute_async_v2(self, bindings, stream_handle):
                self.addresses = dict(zip(io_names, bindings))
                return self._run()

        class ParserError(object):
            def __init__(self, node, message, name):
                self._node, self._message, self._name = node, message, name

            def desc(self):
                return self._message

            def node(self):
                return self._node

            def node_name(self):
                return self._name

        class OnnxParser(object):
            def __init__(self, network, logger):
                self.errors = [wrap(ParserError(*e)) for e in parse_errors]

            def parse(self, data):
                stub.parsed = data
                return not self.errors

            @property
            def num_errors(self):
                return len(self.errors)

            def get_error(self, index):
                return self.errors[index]

        class Builder(object):
            platform_has_fast_fp16 = fast_fp16
            platform_has_fast_int8 = fast_int8

            def __init__(self, logger):
                self.logger = logger

            def create_network(self, flags):
                return wrap(Network(flags))

            def create_builder_config(self):
                return wrap(Config())

            def _plan(self, config):
                config = unwrap(config)
                stub.built_configs.append(config)
                calibrator = config.int8_calibrator
                if calibrator is not None:  # what TensorRT does: pull batches until None, then write the cache
                    stub.calibration_batches = 0
                    if calibrator.read_calibration_cache() is None:
                        while calibrator.get_batch(["input"]):
                            stub.calibration_batches += 1
                        calibrator.write_calibration_cache(b"TRT-8201-EntropyCalibration2\ninput: 3c010a14\n")
                return None if build_fails else b"PLAN " + repr(sorted(config.flags)).encode()

            def build_serialized_network(self, network, config):
                return self._plan(config)

            def build_engine(self, network, config):
                plan = self._plan(config)
                return None if plan is None else wrap(Engine(plan))

        class Runtime(object):
            def __init__(self, logger):
                pass

            def deserialize_cuda_engine(self, plan):
                return wrap(Engine(plan)) if plan.startswith(b"PLAN") else None

        class EntropyCalibratorBase(object):
            def __init__(self):
                pass

        module = type("tensorrt", (object,), {})()
        module.__version__ = version
        module.Logger = Logger()
        module.Builder = lambda logger: wrap(Builder(logger))
        module.OnnxParser = lambda network, logger: wrap(OnnxParser(network, logger))
        module.Runtime = lambda logger: wrap(Runtime(logger))
        module.NetworkDefinitionCreationFlag = wrap(Enum(EXPLICIT_BATCH=0, STRONGLY_TYPED=5))
        flag_absent = REMOVED_FROM_BUILDER_FLAG_IN_11 if generation == "11" else ()
        module.BuilderFlag = wrap(Enum(FP16="FP16", INT8="INT8", GPU_FALLBACK="GPU_FALLBACK"), flag_absent)
        module.MemoryPoolType = wrap(Enum(WORKSPACE="WORKSPACE"))
        module.TensorIOMode = wrap(Enum(INPUT="INPUT", OUTPUT="OUTPUT"))
        module.IInt8EntropyCalibrator2 = EntropyCalibratorBase
        module.nptype = np.dtype
        self.module = wrap(module)


def make_trt(generation, memory=None, fast_fp16=True, fast_int8=False, io_order=("input", "labels"),
             input_shape=(1, 3, 32, 48), output_shape=(1, 32, 48), **options):
    """A StubTrt; `.module` is what the adapter gets as `trt`."""
    return StubTrt(generation, memory or FakeMemory(), fast_fp16, fast_int8, io_order, input_shape, output_shape,
                   **options)


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


class StubGpuOps(object):
    """Stands in for runtime.gpu.pycuda_ops on FakeMemory: the same calls, numpy reference arithmetic."""

    def __init__(self, memory):
        self.memory = memory
        self.calls = Calls()
        ops = self

        class CudaKernels(object):
            def __init__(self):
                ops.calls.append(("CudaKernels", ()))

        class GpuPreprocessor(object):
            def __init__(self, card, input_dtype, kernels, mapped):
                self.card, self.dtype, self.mapped = card, np.dtype(input_dtype), mapped
                ops.calls.append(("GpuPreprocessor", (mapped,)))

            def run(self, frame_bgr, input_pointer, stream):
                from bisenet_deploy.core.preprocess import preprocess
                batch = preprocess(frame_bgr, self.card["input_size"], self.card["mean"], self.card["std"], self.dtype)
                ops.memory.view(input_pointer, batch.shape, self.dtype)[...] = batch
                self.frame = frame_bgr
                return self

            def close(self):
                ops.calls.append(("close", ("pre",)))

        class GpuPostprocessor(object):
            def __init__(self, card, output_shape, output_dtype, alpha, kernels, mapped):
                self.card, self.shape, self.dtype, self.alpha = card, output_shape, np.dtype(output_dtype), alpha
                ops.calls.append(("GpuPostprocessor", (alpha,)))

            def run(self, output_pointer, frame, stream, overlay=True):
                from bisenet_deploy.runtime.overlay import blend, colorize
                from bisenet_deploy.runtime.postprocess import labels_from_output
                output = ops.memory.view(output_pointer, self.shape, self.dtype)
                labels = labels_from_output(output, self.card, frame.frame.shape[:2]).astype(np.uint8)
                blended = blend(frame.frame, colorize(labels, self.card["colors"]), self.alpha) if overlay else None
                return labels, blended

            def close(self):
                ops.calls.append(("close", ("post",)))

        self.CudaKernels, self.GpuPreprocessor, self.GpuPostprocessor = CudaKernels, GpuPreprocessor, GpuPostprocessor
