"""The one module that calls TensorRT.

Every difference between TensorRT 7.1 (JetPack 4.4) and 11 is decided here by asking the bindings
what they have (hasattr), never by parsing a version string: JetPack ships point releases whose API
is not what their number suggests, and a feature test cannot be wrong about the library it runs on.
The names used here are listed in API_GROUPS; a test checks each group against the names read off
NVIDIA's real bindings for the generations that use it.
"""

import collections
import logging
import weakref

import numpy as np

from ..core.errors import InputError, WorkFailed
from ..core.lazy import lazy_import

# Which TensorRT names each feature needs, and the generations whose bindings have them
# (facts: docs/tensorrt-tx2.md section 3.1 and reference/tensorrt-api/).
API_GROUPS = collections.OrderedDict([
    ("core", ("Logger", "ILogger", "Severity", "INTERNAL_ERROR", "ERROR", "WARNING", "INFO", "VERBOSE", "log",
              "Builder", "create_network", "create_builder_config",
              "OnnxParser", "parse", "num_errors", "get_error", "desc", "node", "Runtime",
              "deserialize_cuda_engine", "create_execution_context", "__version__",
              "NetworkDefinitionCreationFlag", "ICudaEngine", "DataType", "FLOAT", "HALF", "INT32", "BOOL")),
    ("logger_severity", ("min_severity",)),                                          # all: one Logger per process
    ("newer_data_types", ("UINT8", "INT64")),                                        # 8.5 + / 10 +: looked up if there
    ("explicit_batch_flag", ("EXPLICIT_BATCH",)),                                    # 7.1 - 9.x (ignored in 10)
    ("workspace_attribute", ("max_workspace_size",)),                                # 7.1 - 8.x
    ("memory_pools", ("set_memory_pool_limit", "MemoryPoolType", "WORKSPACE")),      # 8.4 +
    ("build_engine", ("build_engine", "serialize")),                                 # 7.x only
    ("build_serialized_network", ("build_serialized_network",)),                     # 8.0 +
    ("timing_cache", ("create_timing_cache", "set_timing_cache", "get_timing_cache", "serialize")),  # 8.0 +
    ("precision_flags", ("BuilderFlag", "FP16", "INT8", "set_flag")),                # 7.1 - 10
    ("platform_queries", ("platform_has_fast_fp16", "platform_has_fast_int8")),      # 7.1 - 10
    ("calibrators", ("int8_calibrator", "IInt8EntropyCalibrator2")),                 # 7.1 - 10
    ("calibration_profile", ("set_calibration_profile",)),                           # 7.1 - 10
    ("optimization_profiles", ("create_optimization_profile", "set_shape", "add_optimization_profile")),  # all
    ("binding_api", ("num_bindings", "get_binding_name", "binding_is_input", "get_binding_shape",
                     "get_binding_dtype", "execute_async_v2", "set_binding_shape")),  # 7.1 - 8.6
    ("tensor_api", ("num_io_tensors", "get_tensor_name", "get_tensor_mode", "TensorIOMode", "INPUT",
                    "get_tensor_shape", "get_tensor_dtype", "set_tensor_address", "execute_async_v3",
                    "set_input_shape")),                                             # 8.5 +
    ("parser_node_names", ("node_name",)),                                           # 10 +
])

# DataType member -> numpy type, looked up by member name. Not trt.nptype: in TensorRT 8.0-8.5 it builds
# a dict holding np.bool, which numpy 1.24 removed, so every engine load raised AttributeError there
# (NVIDIA/TensorRT#2557, #2567). Members a TensorRT lacks (UINT8 before 8.5, INT64 before 10) are skipped.
NUMPY_BY_MEMBER = collections.OrderedDict([
    ("FLOAT", "float32"), ("HALF", "float16"), ("INT8", "int8"), ("INT32", "int32"), ("BOOL", "bool_"),
    ("UINT8", "uint8"), ("INT64", "int64"),
])

# One Logger per process: TensorRT 8+ warns when a second one is made; keyed by the module in use.
_LOGGERS = weakref.WeakKeyDictionary()

# TensorRT's messages go to this logger (core.cli shows WARNING and up, everything with --verbose or --debug)
TENSORRT_LOG = logging.getLogger("bisenet_deploy.tensorrt")

IoTensor = collections.namedtuple("IoTensor", "name is_input shape dtype")
# shape: tuple of ints, -1 for a dynamic batch axis; dtype: numpy dtype; listed in the engine's I/O (binding) order
ParseProblem = collections.namedtuple("ParseProblem", "node_index node_name message")


class TrtApi(object):
    """TensorRT through one set of calls that work from 7.1 to 11; create with `TrtApi()`."""

    def __init__(self, trt=None, verbose=False):
        self.trt = trt if trt is not None else lazy_import("tensorrt", "building or running TensorRT engines")
        self.logger = process_logger(self.trt, verbose)

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

    @property
    def has_binding_api(self):
        # type: () -> bool
        """The binding API (num_bindings...) exists: TensorRT 7.1 to 9.x; 10 removed it."""
        return hasattr(self.trt.ICudaEngine, "num_bindings")

    def create_network(self, builder):
        """An explicit-batch network. The flag is passed wherever it exists and still counts: 7.1 to 9.x
        (the ONNX parser of 9.0 still asserts explicit batch, although 9.x also has STRONGLY_TYPED).
        10 keeps the member but ignores it ("networks are always explicit batch"), 11 dropped it; both
        are recognised by the binding API being gone, which left in the same release."""
        flags = self.trt.NetworkDefinitionCreationFlag
        if hasattr(flags, "EXPLICIT_BATCH") and self.has_binding_api:
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
        if parser.num_errors == 0:  # a failure is a failure, even when the parser names no error
            return parser, [ParseProblem(-1, None, "the parser reported failure without an error message "
                                                   "(rerun with --verbose for TensorRT's log)")]
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

    @staticmethod
    def add_batch_profile(builder, config, input_name, image_shape, profile, calibrate=False):
        """The optimization profile of a dynamic batch axis: `input_name` takes profile.min..max images of
        `image_shape` (C, H, W), kernels timed at profile.opt; with `calibrate`, implicit INT8 calibrates
        at opt too (TensorRT needs a calibration profile for dynamic shapes)."""
        optimization = builder.create_optimization_profile()
        optimization.set_shape(input_name, *[(int(batch),) + tuple(image_shape) for batch in profile])
        if config.add_optimization_profile(optimization) < 0:
            raise WorkFailed("TensorRT refused the optimization profile: batches {}..{} of {} {}".format(
                profile.min, profile.max, input_name, "x".join(str(d) for d in image_shape)))
        if calibrate:
            config.set_calibration_profile(optimization)

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
                                        self.numpy_dtype(engine.get_tensor_dtype(name))))
        else:
            for index in range(engine.num_bindings):
                tensors.append(IoTensor(engine.get_binding_name(index), bool(engine.binding_is_input(index)),
                                        tuple(engine.get_binding_shape(index)),
                                        self.numpy_dtype(engine.get_binding_dtype(index))))
        dynamic = [t.name for t in tensors if any(d < 0 for d in t.shape[1:])]  # the batch axis may be dynamic
        if dynamic:
            raise InputError("the engine has dynamic dimensions on {}; export the ONNX with a fixed --input-size "
                             "and rebuild".format(", ".join(dynamic)))
        return tensors

    def numpy_dtype(self, trt_dtype):
        """The numpy dtype of a DataType member, matched by member name (see NUMPY_BY_MEMBER)."""
        data_types = self.trt.DataType
        for member, numpy_name in NUMPY_BY_MEMBER.items():
            if hasattr(data_types, member) and getattr(data_types, member) == trt_dtype:
                return np.dtype(getattr(np, numpy_name))
        raise InputError("the engine has an input or output of TensorRT type {}, which has no numpy type here; "
                         "export the ONNX with float32/int32 inputs and outputs and rebuild".format(trt_dtype))

    @staticmethod
    def create_context(engine):
        context = engine.create_execution_context()
        if context is None:
            raise WorkFailed("TensorRT could not create an execution context (out of GPU memory?)")
        return context

    @staticmethod
    def input_shape_setter(engine, context, tensors):
        """A function `set_input_shape(shape)` giving the context the input shape of the next inferences (a
        dynamic batch): set_input_shape by name from 8.5, set_binding_shape by binding index before; an
        InputError when TensorRT refuses it. TensorRT gives an engine's first context profile 0 itself, and
        the runner makes one context per engine, so no profile is selected here."""
        index, tensor = next((i, t) for i, t in enumerate(tensors) if t.is_input)
        if hasattr(engine, "num_io_tensors"):
            def set_input(shape):
                return context.set_input_shape(tensor.name, tuple(shape))
        else:
            def set_input(shape):
                return context.set_binding_shape(index, tuple(shape))

        def checked(shape):
            if not set_input(shape):  # False: outside the engine's optimization profile
                raise InputError("TensorRT refused input shape {} for {!r}: outside the engine's optimization "
                                 "profile; rebuild the engine from a model exported with a larger "
                                 "--dynamic-batch".format("x".join(str(d) for d in shape), tensor.name))
        return checked

    @staticmethod
    def bind(engine, context, tensors, addresses):
        """A function `run(stream_handle)` that enqueues one inference on buffers bound once, here.

        `addresses` are device pointers in the order of `tensors` (io_tensors order).
        """
        if hasattr(engine, "num_io_tensors"):
            for tensor, address in zip(tensors, addresses):
                if not context.set_tensor_address(tensor.name, int(address)):  # False: name or pointer refused
                    raise WorkFailed("TensorRT refused the buffer for tensor {!r}; rebuild the engine with this "
                                     "version of bisenet-build-engine".format(tensor.name))

            def run(stream_handle):
                if not context.execute_async_v3(stream_handle):
                    raise WorkFailed("TensorRT failed to enqueue the inference")
            return run

        bindings = [int(address) for address in addresses]

        def run_bindings(stream_handle):
            if not context.execute_async_v2(bindings, stream_handle):
                raise WorkFailed("TensorRT failed to enqueue the inference")
        return run_bindings


def process_logger(trt, verbose=False):
    """The one TensorRT logger of this process (TensorRT 8+ warns about a second one): made once by
    python_logger; where TensorRT's own stderr logger is used, its severity follows the latest caller."""
    logger = _LOGGERS.get(trt)
    if logger is None:
        logger = _LOGGERS[trt] = python_logger(trt, verbose)
    elif not hasattr(trt, "ILogger") and hasattr(logger, "min_severity"):
        logger.min_severity = trt.Logger.VERBOSE if verbose else trt.Logger.WARNING
    return logger


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
