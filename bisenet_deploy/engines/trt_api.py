"""The one module that calls TensorRT.

Every difference between TensorRT 7.1 (JetPack 4.4) and 11 is decided here by asking the bindings
what they have (hasattr), never by parsing a version string: JetPack ships point releases whose API
is not what their number suggests, and a feature test cannot be wrong about the library it runs on.
The names used here are listed in API_GROUPS; a test checks each group against the names read off
NVIDIA's real bindings for the generations that use it.
"""

import collections
import logging

import numpy as np

from ..core.errors import InputError, WorkFailed
from ..core.lazy import lazy_import

# Which TensorRT names each feature needs, and the generations whose bindings have them
# (facts: docs/tensorrt-tx2.md section 3.1 and reference/tensorrt-api/).
API_GROUPS = collections.OrderedDict([
    ("core", ("Logger", "ILogger", "Severity", "INTERNAL_ERROR", "ERROR", "WARNING", "INFO", "VERBOSE", "log",
              "Builder", "create_network", "create_builder_config",
              "OnnxParser", "parse", "num_errors", "get_error", "desc", "node", "Runtime",
              "deserialize_cuda_engine", "create_execution_context", "__version__", "nptype",
              "NetworkDefinitionCreationFlag")),
    ("explicit_batch_flag", ("EXPLICIT_BATCH",)),                                    # 7.1 - 8.x (ignored in 10)
    ("strongly_typed_flag", ("STRONGLY_TYPED",)),                                    # 10 +: only detected
    ("workspace_attribute", ("max_workspace_size",)),                                # 7.1 - 8.x
    ("memory_pools", ("set_memory_pool_limit", "MemoryPoolType", "WORKSPACE")),      # 8.4 +
    ("build_engine", ("build_engine", "serialize")),                                 # 7.x only
    ("build_serialized_network", ("build_serialized_network",)),                     # 8.0 +
    ("timing_cache", ("create_timing_cache", "set_timing_cache", "get_timing_cache", "serialize")),  # 8.0 +
    ("precision_flags", ("BuilderFlag", "FP16", "INT8", "set_flag")),                # 7.1 - 10
    ("platform_queries", ("platform_has_fast_fp16", "platform_has_fast_int8")),      # 7.1 - 10
    ("calibrators", ("int8_calibrator", "IInt8EntropyCalibrator2")),                 # 7.1 - 10
    ("binding_api", ("num_bindings", "get_binding_name", "binding_is_input", "get_binding_shape",
                     "get_binding_dtype", "execute_async_v2")),                      # 7.1 - 8.6
    ("tensor_api", ("num_io_tensors", "get_tensor_name", "get_tensor_mode", "TensorIOMode", "INPUT",
                    "get_tensor_shape", "get_tensor_dtype", "set_tensor_address", "execute_async_v3")),  # 8.5 +
    ("parser_node_names", ("node_name",)),                                           # 10 +
])

# TensorRT's messages go to this logger (core.cli shows WARNING and up, everything with --verbose or --debug)
TENSORRT_LOG = logging.getLogger("bisenet_deploy.tensorrt")

IoTensor = collections.namedtuple("IoTensor", "name is_input shape dtype")
# shape: tuple of ints; dtype: numpy dtype; listed in the engine's I/O (binding) order
ParseProblem = collections.namedtuple("ParseProblem", "node_index node_name message")


class TrtApi(object):
    """TensorRT through one set of calls that work from 7.1 to 11; create with `TrtApi()`."""

    def __init__(self, trt=None, verbose=False):
        self.trt = trt if trt is not None else lazy_import("tensorrt", "building or running TensorRT engines")
        self.logger = python_logger(self.trt, verbose)

    @property
    def version(self):
        # type: () -> str
        return str(self.trt.__version__)

    # --- what this TensorRT can do -------------------------------------------------------------
    @property
    def has_precision_flags(self):
        # type: () -> bool
        """BuilderFlag.FP16/INT8 exist (TensorRT <= 10); 11 takes precision from the ONNX itself."""
        return hasattr(self.trt, "BuilderFlag") and hasattr(self.trt.BuilderFlag, "FP16")

    @property
    def has_calibrators(self):
        # type: () -> bool
        """Implicit INT8 calibration exists (TensorRT <= 10); 11 needs a QDQ ONNX instead."""
        return hasattr(self.trt, "IInt8EntropyCalibrator2")

    def calibrator_base(self):
        """The class an entropy calibrator derives from (IInt8EntropyCalibrator2)."""
        if not self.has_calibrators:
            raise InputError("TensorRT {} has no INT8 calibrators; make an explicit INT8 (QDQ) model with "
                             "bisenet-calibrate and build that".format(self.version))
        return self.trt.IInt8EntropyCalibrator2

    @staticmethod
    def platform_fast_precisions(builder):
        """(fast_fp16, fast_int8) as TensorRT reports them, or (None, None) where it no longer says (11)."""
        if not hasattr(builder, "platform_has_fast_int8"):
            return None, None
        return bool(builder.platform_has_fast_fp16), bool(builder.platform_has_fast_int8)

    # --- building ------------------------------------------------------------------------------
    def create_builder(self):
        return self.trt.Builder(self.logger)

    def create_network(self, builder):
        """An explicit-batch network: the flag on 7.1-8.x (the ONNX parser needs it); from 10 (the
        generation that has STRONGLY_TYPED) every network is explicit-batch and the flag is deprecated."""
        flags = self.trt.NetworkDefinitionCreationFlag
        if hasattr(flags, "EXPLICIT_BATCH") and not hasattr(flags, "STRONGLY_TYPED"):
            return builder.create_network(1 << int(flags.EXPLICIT_BATCH))
        return builder.create_network(0)

    @staticmethod
    def supports_qdq(builder):
        # type: () -> bool
        """Explicit quantization (Q/DQ layers) arrived in 8.0, with build_serialized_network."""
        return hasattr(builder, "build_serialized_network")

    def parse_onnx(self, network, onnx_bytes):
        """(parser, problems): the parser must outlive the network; problems name the failing nodes."""
        parser = self.trt.OnnxParser(network, self.logger)
        if parser.parse(onnx_bytes):
            return parser, []
        problems = []
        for index in range(parser.num_errors):
            error = parser.get_error(index)
            name = error.node_name() if hasattr(error, "node_name") else None
            problems.append(ParseProblem(int(error.node()), name or None, str(error.desc())))
        return parser, problems

    def create_config(self, builder, workspace_bytes):
        """A builder config with the workspace set: TensorRT 8.2 defaults it to 0 (no scratch memory)."""
        config = builder.create_builder_config()
        if hasattr(config, "set_memory_pool_limit"):
            config.set_memory_pool_limit(self.trt.MemoryPoolType.WORKSPACE, int(workspace_bytes))
        else:
            config.max_workspace_size = int(workspace_bytes)
        return config

    def enable_precision(self, config, flag_names, calibrator=None):
        """Set BuilderFlag members by name ("FP16", "INT8"); attach an implicit-INT8 calibrator."""
        for name in flag_names:
            config.set_flag(getattr(self.trt.BuilderFlag, name))
        if calibrator is not None:
            config.int8_calibrator = calibrator

    @staticmethod
    def has_timing_cache(config):
        # type: () -> bool
        return hasattr(config, "create_timing_cache")

    @staticmethod
    def use_timing_cache(config, data):
        # type: () -> bool
        """Start the build from a serialized timing cache, strictly checked against this device and
        TensorRT; False when TensorRT rejected it and the build starts from an empty cache instead."""
        cache = config.create_timing_cache(bytes(data)) if data else None
        if cache is not None and config.set_timing_cache(cache, False):
            return True
        config.set_timing_cache(config.create_timing_cache(b""), False)
        return not data

    @staticmethod
    def timing_cache_bytes(config):
        """The timing cache after the build, or None when TensorRT has none."""
        cache = config.get_timing_cache()
        return None if cache is None else bytes(cache.serialize())

    @staticmethod
    def build_plan(builder, network, config):
        # type: () -> bytes
        """The serialized engine: build_serialized_network from 8.0, build_engine + serialize on 7.x."""
        if hasattr(builder, "build_serialized_network"):
            plan = builder.build_serialized_network(network, config)
            if plan is None:
                raise WorkFailed("TensorRT could not build the engine (see its messages above; rerun with --verbose)")
            return bytes(plan)
        engine = builder.build_engine(network, config)
        if engine is None:
            raise WorkFailed("TensorRT could not build the engine (see its messages above; rerun with --verbose)")
        return bytes(engine.serialize())

    # --- running -------------------------------------------------------------------------------
    def load_engine(self, plan):
        """(runtime, engine); the runtime must stay alive as long as the engine."""
        runtime = self.trt.Runtime(self.logger)
        engine = runtime.deserialize_cuda_engine(bytes(plan))
        if engine is None:
            raise InputError("TensorRT {} could not load the engine (built by another TensorRT version or for "
                             "another GPU?); rebuild it with bisenet-build-engine on this device".format(self.version))
        return runtime, engine

    def io_tensors(self, engine):
        """[IoTensor] in binding order: name-based tensor API from 8.5, binding API before."""
        tensors = []
        if hasattr(engine, "num_io_tensors"):
            for index in range(engine.num_io_tensors):
                name = engine.get_tensor_name(index)
                tensors.append(IoTensor(name, engine.get_tensor_mode(name) == self.trt.TensorIOMode.INPUT,
                                        tuple(engine.get_tensor_shape(name)),
                                        np.dtype(self.trt.nptype(engine.get_tensor_dtype(name)))))
        else:
            for index in range(engine.num_bindings):
                tensors.append(IoTensor(engine.get_binding_name(index), bool(engine.binding_is_input(index)),
                                        tuple(engine.get_binding_shape(index)),
                                        np.dtype(self.trt.nptype(engine.get_binding_dtype(index)))))
        dynamic = [t.name for t in tensors if any(d < 0 for d in t.shape)]
        if dynamic:
            raise InputError("the engine has dynamic dimensions on {}; export the ONNX with a fixed --input-size "
                             "and rebuild".format(", ".join(dynamic)))
        return tensors

    @staticmethod
    def create_context(engine):
        context = engine.create_execution_context()
        if context is None:
            raise WorkFailed("TensorRT could not create an execution context (out of GPU memory?)")
        return context

    @staticmethod
    def bind(engine, context, tensors, addresses):
        """A function `run(stream_handle)` that enqueues one inference on buffers bound once, here.

        `addresses` are device pointers in the order of `tensors` (io_tensors order).
        """
        if hasattr(engine, "num_io_tensors"):
            for tensor, address in zip(tensors, addresses):
                context.set_tensor_address(tensor.name, int(address))

            def run(stream_handle):
                if not context.execute_async_v3(stream_handle):
                    raise WorkFailed("TensorRT failed to enqueue the inference")
            return run

        bindings = [int(address) for address in addresses]

        def run_bindings(stream_handle):
            if not context.execute_async_v2(bindings, stream_handle):
                raise WorkFailed("TensorRT failed to enqueue the inference")
        return run_bindings


def python_logger(trt, verbose=False):
    """A TensorRT logger that hands every message to Python logging (TENSORRT_LOG), so --verbose, --debug
    and log capture work as for our own messages; bindings without ILogger keep TensorRT's stderr logger."""
    if not hasattr(trt, "ILogger"):
        return trt.Logger(trt.Logger.VERBOSE if verbose else trt.Logger.WARNING)
    severity = trt.ILogger.Severity
    levels = {severity.INTERNAL_ERROR: logging.CRITICAL, severity.ERROR: logging.ERROR,
              severity.WARNING: logging.WARNING, severity.INFO: logging.INFO, severity.VERBOSE: logging.DEBUG}

    class PythonLogger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, message_severity, message):
            TENSORRT_LOG.log(levels.get(message_severity, logging.INFO), "TensorRT: %s", message)

    return PythonLogger()
