"""The `tensorrt` module the adapter gets: make_trt(generation) assembles the stub classes and puts the
module behind the generation's name filter."""

import numpy as np

from . import builder, engine
from .names import (EXTRA_NAMES, GENERATIONS, NPTYPE_BUILDS_NP_BOOL, REMOVED_FROM_BUILDER_FLAG_IN_11, present,
                    reference_names)
from .pycuda import FakeMemory
from .recording import Calls, Enum, Restricted


class StubTrt(object):
    """Build with `make_trt(generation, memory, fast_fp16=, fast_int8=)`; state in attributes."""

    def __init__(self, generation, memory, fast_fp16, fast_int8, io_order, input_shape, output_shape,
                 parse_errors=(), build_fails=False, parse_fails_silently=False, refuse_addresses_of=(),
                 max_batch=None):
        names_file, version, absent = GENERATIONS[generation]
        self._names, self._absent = reference_names(names_file), absent
        self.generation, self.memory = generation, memory
        self.fast_fp16, self.fast_int8 = fast_fp16, fast_int8
        self.parse_errors, self.build_fails = parse_errors, build_fails
        self.parse_fails_silently, self.refuse_addresses_of = parse_fails_silently, tuple(refuse_addresses_of)
        self.max_batch = max_batch  # a dynamic engine's profile: input shapes with a larger batch are refused
        self._extra = EXTRA_NAMES.get(generation, set())
        self.data_type = Enum(FLOAT="DataType.FLOAT", HALF="DataType.HALF", INT8="DataType.INT8",
                              INT32="DataType.INT32", BOOL="DataType.BOOL", UINT8="DataType.UINT8",
                              INT64="DataType.INT64", BF16="DataType.BF16")
        self.calls = Calls()
        self.built_configs = []
        self.io = {"input": (True, tuple(input_shape), self.data_type.FLOAT),
                   "labels": (False, tuple(output_shape), self.data_type.INT32)}
        self.io_names = list(io_order)
        self.module = self.wrap(self._module(version))

    def allowed(self, name):
        return name in self._extra or (name not in self._absent and present(name, self._names))

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
        module.ICudaEngine = self.wrap(engine.Engine)
        module.DataType = self.wrap(self.data_type)
        module.nptype = self._nptype
        return module

    def _nptype(self, trt_type):
        """trt.nptype as each generation's bindings have it (see NPTYPE_BUILDS_NP_BOOL)."""
        if self.generation in NPTYPE_BUILDS_NP_BOOL:
            raise AttributeError("module 'numpy' has no attribute 'bool'")
        members = (("FLOAT", np.float32), ("HALF", np.float16), ("INT8", np.int8), ("INT32", np.int32),
                   ("BOOL", np.bool_), ("UINT8", np.uint8))
        return dict((getattr(self.data_type, n), t) for n, t in members)[trt_type]


def make_trt(generation, memory=None, fast_fp16=True, fast_int8=False, io_order=("input", "labels"),
             input_shape=(1, 3, 32, 48), output_shape=(1, 32, 48), **options):
    """A StubTrt; `.module` is what the adapter gets as `trt`. A -1 leading a shape is a dynamic batch axis."""
    return StubTrt(generation, memory or FakeMemory(), fast_fp16, fast_int8, io_order, input_shape, output_shape,
                   **options)
