"""Is BF16 faster than FP32 on this CPU? Measured, not assumed from the instruction set.

A CPU that lists BF16 (AVX-512 BF16 or AMX) is not always faster in it: an AMD EPYC (AVX-512 BF16, no
AMX) ran the demo model 2.5x faster in BF16 than in FP32, while an Intel Xeon with AVX-512 BF16 but no
AMX ran it 1.7x slower (bisenet-bench, docs/cpu.md "Speed on three CPU kinds"). So auto asks OpenVINO itself: one
square MatMul compiled in each precision, timed, the answer cached per CPU, OpenVINO version and thread
count under ~/.cache/bisenet-deploy/ (about half a second, once).
"""

import json
import logging
import os
import time

import numpy as np

from ...core.atomic import write_bytes_atomic
from ...core.cache import cache_root
from ...core.lazy import lazy_import

LOG = logging.getLogger("bisenet_deploy.runtime")
PROBE_SIZE = 1024  # 2 GFLOP a run: long enough to time, short enough to do at start-up
PROBE_RUNS = 7  # timed runs of each precision, after one untimed run that packs the weights
CACHE_NAME = "openvino-bf16-speed.json"
BF16_MARGIN = 1.2  # measured: 2.5x on an AMD EPYC, 0.54x on an Intel Xeon without AMX; nothing in between


def cache_path():
    return os.path.join(cache_root(), CACHE_NAME)


def _matmul_model(ov, size):
    opset = lazy_import("openvino.opset13", "the BF16 speed probe")
    weights = np.random.RandomState(0).randn(size, size).astype(np.float32)
    data = opset.parameter([size, size], np.float32, name="a")
    product = opset.matmul(data, opset.constant(weights), False, False)
    return ov.Model([product], [data], "bf16_probe")


def _request(core, hint, threads, size):
    ov = lazy_import("openvino", "the BF16 speed probe")
    config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    request = core.compile_model(_matmul_model(ov, size), "CPU", config).create_infer_request()
    request.set_input_tensor(ov.Tensor(np.random.RandomState(1).randn(size, size).astype(np.float32)))
    request.infer()  # packs the weights
    return request


def matmul_gflops(core, threads, size=None):
    # type: (object, int, int) -> dict
    """{"fp32": GFLOP/s, "bf16": GFLOP/s} of a size x size MatMul, the two precisions' runs alternating so
    that their ratio holds on a host whose speed drifts (medians)."""
    size = size or PROBE_SIZE
    requests = {"fp32": _request(core, "f32", threads, size), "bf16": _request(core, "bf16", threads, size)}
    seconds = {"fp32": [], "bf16": []}
    for _ in range(PROBE_RUNS):
        for precision, request in requests.items():
            start = time.perf_counter()
            request.infer()
            seconds[precision].append(time.perf_counter() - start)
    return dict((precision, round(2.0 * size ** 3 / float(np.median(times)) / 1e9, 1))
                for precision, times in seconds.items())


def _key(cpu_name, threads):
    ov = lazy_import("openvino", "the BF16 speed probe")
    return "{} | openvino {} | {} threads".format(cpu_name, getattr(ov, "__version__", "?"), threads or "default")


def _read_cache(path):
    try:
        with open(path) as handle:
            cached = json.load(handle)
        return cached if isinstance(cached, dict) else {}
    except (OSError, ValueError):
        return {}


def bf16_speed(core, cpu_name, threads=None, path=None):
    # type: (object, str, int, str) -> dict
    """{"fp32": GFLOP/s, "bf16": GFLOP/s} of this CPU's MatMul in OpenVINO, from the cache or measured now
    (and cached; a cache that cannot be written is only logged)."""
    path = path or cache_path()
    cached = _read_cache(path)
    key = _key(cpu_name, threads)
    entry = cached.get(key)
    if isinstance(entry, dict) and all(isinstance(entry.get(p), (int, float)) for p in ("fp32", "bf16")):
        return entry
    entry = matmul_gflops(core, threads)
    cached[key] = entry
    try:
        write_bytes_atomic(path, (json.dumps(cached, indent=1, sort_keys=True) + "\n").encode())
    except OSError as exc:
        LOG.debug("openvino: BF16 speed not cached at %s: %s", path, exc)
    return entry


def bf16_pays(speed):
    # type: (dict) -> bool
    """True when BF16 runs at least BF16_MARGIN times FP32's rate: below that it is not worth its rounding."""
    return speed["bf16"] >= BF16_MARGIN * speed["fp32"]
