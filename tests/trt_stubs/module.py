"""The `tensorrt` module the adapter gets: make_trt(generation) assembles the stub classes and puts the
module behind the generation's name filter."""

import numpy as np

from . import builder, engine
from .names import GENERATIONS, REMOVED_FROM_BUILDER_FLAG_IN_11, present, reference_names
from .pycuda import FakeMemory
from .recording import Calls, Enum, Restricted


class StubTrt(object):
    """Build with `make_trt(generation, memory, fast_fp16=, fast_int8=)`; state in attributes."""

    def __init__(self, generation, memory, fast_fp16, fast_int8, io_order, input_shape, output_shape,
                 parse_errors=(), build_fails=False):
        names_file, version, absent = GENERATIONS[generation]
        self._names, self._absent = reference_names(names_file), absent
        self.generation, self.memory = generation, memory
        self.fast_fp16, self.fast_int8 = fast_fp16, fast_int8
        self.parse_errors, self.build_fails = parse_errors, build_fails
        self.calls = Calls()
        self.built_configs = []
        self.io = {"input": (True, tuple(input_shape), np.float32), "labels": (False, tuple(output_shape), np.int32)}
        self.io_names = list(io_order)
        self.module = self.wrap(self._module(version))

    def allowed(self, name):
        return name not in self._absent and present(name, self._names)

    def wrap(self, obj, extra_absent=()):
        return Restricted(obj, lambda n: n not in extra_absent and self.allowed(n), self.calls)

    def _module(self, version):
        module = type("tensorrt", (object,), {})()
        module.__version__ = version
        module.Logger = builder.Logger(self)
        module.Builder = lambda logger: self.wrap(builder.Builder(self, logger))
        module.OnnxParser = lambda network, logger: self.wrap(builder.OnnxParser(self, network, logger))
        module.Runtime = lambda logger: self.wrap(engine.Runtime(self, logger))
        module.NetworkDefinitionCreationFlag = self.wrap(Enum(EXPLICIT_BATCH=0, STRONGLY_TYPED=5))
        flag_absent = REMOVED_FROM_BUILDER_FLAG_IN_11 if self.generation == "11" else ()
        module.BuilderFlag = self.wrap(Enum(FP16="FP16", INT8="INT8", GPU_FALLBACK="GPU_FALLBACK"), flag_absent)
        module.MemoryPoolType = self.wrap(Enum(WORKSPACE="WORKSPACE"))
        module.TensorIOMode = self.wrap(Enum(INPUT="INPUT", OUTPUT="OUTPUT"))
        module.IInt8EntropyCalibrator2 = builder.EntropyCalibratorBase
        module.nptype = np.dtype
        return module


def make_trt(generation, memory=None, fast_fp16=True, fast_int8=False, io_order=("input", "labels"),
             input_shape=(1, 3, 32, 48), output_shape=(1, 32, 48), **options):
    """A StubTrt; `.module` is what the adapter gets as `trt`."""
    return StubTrt(generation, memory or FakeMemory(), fast_fp16, fast_int8, io_order, input_shape, output_shape,
                   **options)
