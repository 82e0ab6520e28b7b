"""This CPU's MatMul limits: how fast each engine multiplies large square matrices in each precision it
runs here, measured by bisenet-bench in the same rounds as the models, so that a column's share of its
limit compares like with like on a host whose speed drifts.

OpenVINO FP32 and BF16 compile one FP32 MatMul ONNX with INFERENCE_PRECISION_HINT f32 / bf16; INT8 a
QDQ MatMul (a uint8 input behind DequantizeLinear, constant weights behind a Q/DQ pair, as in
bisenet-calibrate's models), which OpenVINO runs as an int8 FullyConnected on uint8 x int8, the form
VNNI multiplies natively. The precision the MatMul kernel ran in is read back from the compiled model's
runtime graph, and a limit OpenVINO did not run in its precision is left out, not reported under its
name. ONNX Runtime's FP32 limit runs the FP32
ONNX with the same thread count. A limit whose engine (or onnx, which writes the models) is missing is
left out with the reason; the bench never fails for it.
"""

import collections
import logging
import os
import time

import numpy as np

from ..core.lazy import is_installed, lazy_import, not_installed
from ..runtime.backends.ort import CPU_PROVIDER, session_from_onnx

log = logging.getLogger(__name__)

MATMUL_SIZE = 2048  # square: enough work per run to keep every core busy (a 2048 FP32 MatMul is 17 GFLOP)
LIMIT_WARMUP = 2  # runs before the rounds (the first one packs the weights)
LIMIT_RUNS = 1  # timed runs per round, after one untimed: the first run after other jobs ran its cores ran
# up to 1.6x slower (OpenVINO FP32: 190 against 310 GFLOP/s), the caches refilled, and that is not the limit
QDQ_SCALE = 0.05  # any scale does: the speed of an int8 MatMul does not depend on the values
UINT8_ZERO = 128  # the input's zero point, as an asymmetric uint8 activation has one
# limit key -> (engine package, precision); the keys are the JSON's, the order the table's
LIMITS = collections.OrderedDict([("openvino_fp32", ("openvino", "fp32")), ("openvino_bf16", ("openvino", "bf16")),
                                  ("openvino_int8", ("openvino", "int8")), ("onnxruntime_fp32", ("onnxruntime", "fp32"))])
OV_HINT = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}  # int8: nothing runs outside INT8 but the output
RUNTIME_PRECISION = {"fp32": ("f32", "fp32"), "bf16": ("bf16",), "int8": ("i8", "u8")}  # names across versions


def limit_source(key):
    # type: (str) -> str
    """'openvino matmul bf16': what a limit was measured with, as the records name it."""
    engine, precision = LIMITS[key]
    return "{} matmul {}".format(engine, precision)


class MatMulProbe(object):
    """One limit as a job of the bench's rounds: `run` multiplies once; warm() runs LIMIT_WARMUP times
    and every round's measure() runs once untimed and then times LIMIT_RUNS runs, whatever block the
    model columns run."""

    def __init__(self, key, run, size=MATMUL_SIZE):
        self.key = key
        self.label = limit_source(key)
        self.flops = 2.0 * size ** 3
        self.seconds = []
        self._run = run

    def warm(self, count):
        for _ in range(LIMIT_WARMUP):
            self._run()

    @staticmethod
    def runs(count, warm):
        """MatMuls per call, whatever `count` is."""
        return LIMIT_WARMUP if warm else LIMIT_RUNS + 1

    def measure(self, count):
        self._run()
        for _ in range(LIMIT_RUNS):
            start = time.perf_counter()
            self._run()
            self.seconds.append(time.perf_counter() - start)

    def gflops(self):
        # type: () -> float
        """The median run's rate, the statistic the columns report too."""
        return self.flops / float(np.median(self.seconds)) / 1e9


def write_matmul_onnx(path, size, quantized):
    # type: (str, int, bool) -> str
    """y = a @ w, `a` a (size, size) input and `w` a constant. `quantized`: `a` arrives as uint8 and is
    dequantized (zero point UINT8_ZERO), `w` sits behind a Q/DQ pair: OpenVINO then runs the MatMul on
    the int8 values directly, u8 x s8 as VNNI multiplies, with no quantize step in the time."""
    onnx = lazy_import("onnx", "the bench's MatMul limits")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    weights = np.random.RandomState(0).randn(size, size).astype(np.float32)
    initializers = [numpy_helper.from_array(weights, "w")]
    nodes = [helper.make_node("MatMul", ["a", "w"], ["y"], name="matmul")]
    if quantized:
        initializers += [numpy_helper.from_array(np.array(QDQ_SCALE, np.float32), "scale"),
                         numpy_helper.from_array(np.array(UINT8_ZERO, np.uint8), "a_zero"),
                         numpy_helper.from_array(np.array(0, np.int8), "w_zero")]
        nodes = [helper.make_node("DequantizeLinear", ["a", "scale", "a_zero"], ["a_dq"]),
                 helper.make_node("QuantizeLinear", ["w", "scale", "w_zero"], ["w_q"]),
                 helper.make_node("DequantizeLinear", ["w_q", "scale", "w_zero"], ["w_dq"]),
                 helper.make_node("MatMul", ["a_dq", "w_dq"], ["y"], name="matmul")]
    element = onnx.TensorProto.UINT8 if quantized else onnx.TensorProto.FLOAT
    graph = helper.make_graph(nodes, "matmul_limit", [helper.make_tensor_value_info("a", element, [size, size])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [size, size])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7  # readable by older onnxruntime and OpenVINO as well
    onnx.save(model, path)
    return path


def matmul_input(size, quantized):
    # type: (int, bool) -> np.ndarray
    """The fixed input `a` of write_matmul_onnx's model."""
    random = np.random.RandomState(1)
    if quantized:
        return random.randint(0, 256, (size, size)).astype(np.uint8)
    return random.randn(size, size).astype(np.float32)


def matmul_kernel(compiled):
    # type: (object) -> tuple
    """(runtime precision, primitive) of the MatMul in OpenVINO's compiled CPU graph (a FullyConnected
    there), lower-case precision; (None, None) when the graph has no such layer."""
    def text(value):  # an OVAny in the releases that wrap rt_info values, else the value itself
        return value.astype(str) if hasattr(value, "astype") else str(value)

    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if text(info["layerType"]).startswith("FullyConnected") or text(info["layerType"]) == "MatMul":
            return text(info["runtimePrecision"]).lower(), text(info["primitiveType"])
    return None, None


def _openvino_run(path, precision, threads, size):
    ov = lazy_import("openvino", "the bench's MatMul limits")
    config = {"INFERENCE_PRECISION_HINT": OV_HINT[precision], "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
              "INFERENCE_NUM_THREADS": str(threads)}  # as OpenVinoBackend.config sets them
    compiled = ov.Core().compile_model(path, "CPU", config)
    ran, primitive = matmul_kernel(compiled)
    if ran not in RUNTIME_PRECISION[precision]:
        raise RuntimeError("OpenVINO ran the {} MatMul as {} ({})".format(precision.upper(), primitive, ran))
    request = compiled.create_infer_request()
    request.set_input_tensor(ov.Tensor(matmul_input(size, precision == "int8")))
    return request.infer


def _onnxruntime_run(path, threads, size):
    session = session_from_onnx(path, threads, [CPU_PROVIDER])
    inputs = {"a": matmul_input(size, False)}
    return lambda: session.run(None, inputs)


def open_probes(keys, threads, workdir, size=MATMUL_SIZE):
    # type: (list, int, str, int) -> tuple
    """([MatMulProbe] ready to run, {key: why it is not measured}) for the limit keys asked for."""
    probes, missing = [], collections.OrderedDict()
    for key in [k for k in LIMITS if k in keys]:
        engine, precision = LIMITS[key]
        lacking = [name for name in ("onnx", engine) if not is_installed(name)]
        if lacking:
            missing[key] = not_installed(lacking[0])
            continue
        path = os.path.join(workdir, "matmul{}.{}.onnx".format("_qdq" if precision == "int8" else "", size))
        try:
            if not os.path.isfile(path):
                write_matmul_onnx(path, size, precision == "int8")
            run = _openvino_run(path, precision, threads, size) if engine == "openvino" \
                else _onnxruntime_run(path, threads, size)
        except Exception as exc:  # a limit is a reference point: the bench goes on without it
            missing[key] = _first_line(exc)
            continue
        probes.append(MatMulProbe(key, run, size))
    for key, reason in missing.items():
        log.warning("no %s limit: %s", limit_source(key), reason)
    return probes, missing


def environment_fields(limits, missing):
    # type: (dict, dict) -> dict
    """The environment's record of the limits: {key: GFLOP/s} of those measured, {key: reason} of the
    others, and the matrix size."""
    return {"matmul_limit_size": MATMUL_SIZE,
            "matmul_limits_gflops": dict((key, None if value is None else round(value, 1))
                                         for key, value in limits.items()),
            "matmul_limits_missing": dict(missing)}


def _first_line(exc):
    lines = [line for line in str(exc).strip().splitlines() if line.strip() and not line.startswith("Exception from")]
    return (lines[0] if lines else type(exc).__name__)[:200]
