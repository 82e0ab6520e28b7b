"""A column's achieved rate and its share of this CPU's limit: the figures that let a speed table from one
machine be read on another (a slow machine and a slow engine look different).

GFLOP/s = 2 x MACs / network-only median. Each column is judged against the MatMul limit of the engine
and precision it runs (limits.py): the OV columns against OpenVINO's (INT8 against the INT8 MatMul,
its float rest notwithstanding), ort CPU against ONNX Runtime's FP32, and torch CPU against ONNX
Runtime's FP32 too (PyTorch has no probe here; FP32 on the same cores is the nearest reference). GPU
columns have no limit measured here.
"""

from .limits import limit_source

# (backend, precision) of a CPU column -> the limit it is judged against
CPU_LIMITS = {("openvino", "fp32"): "openvino_fp32", ("openvino", "bf16"): "openvino_bf16",
              ("openvino", "int8"): "openvino_int8", ("ort", "fp32"): "onnxruntime_fp32",
              ("torch", "fp32"): "onnxruntime_fp32"}


def limit_key(backend, device, precision):
    # type: (str, str, str) -> str
    """The limit (limits.LIMITS key) a column is judged against, or None where none is measured."""
    return CPU_LIMITS.get((backend, precision)) if device == "cpu" else None


def achieved_gflops(macs, latency_ms):
    # type: (int, float) -> float
    """2 x MACs (a multiply and an add each) per network-only latency, in GFLOP/s; None without MACs."""
    if not macs or not latency_ms:
        return None
    return 2.0 * macs / (latency_ms / 1000.0) / 1e9


def limit_fields(macs, latency_ms, key, limits):
    # type: (int, float, str, dict) -> dict
    """The record's rate fields: macs, gflops, limit_gflops, limit_source and limit_share (a fraction);
    None where a figure is unknown. `limits`: {limit key: GFLOP/s or None}."""
    gflops = achieved_gflops(macs, latency_ms)
    limit = limits.get(key) if key else None
    return {
        "macs": macs,
        "gflops": round(gflops, 1) if gflops is not None else None,
        "limit_gflops": round(limit, 1) if limit else None,
        "limit_source": limit_source(key) if key else None,
        "limit_share": round(gflops / limit, 3) if gflops is not None and limit else None,
    }
