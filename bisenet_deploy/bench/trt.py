"""The TensorRT half of bisenet-bench: engines per precision built on the spot, and trtexec's own
measurement of the same engine as a cross-check.

An INT8 engine is built only where the GPU has fast INT8 (bisenet-build-engine's rule); elsewhere the
table says why the column is missing instead of showing a slow number under a fast name.
"""

import logging
import os
import re
import shutil
import subprocess

from ..core.errors import InputError

log = logging.getLogger(__name__)

TRT_PRECISIONS = ("fp32", "fp16", "int8")
JETPACK_TRTEXEC = "/usr/src/tensorrt/bin/trtexec"  # where JetPack installs it; not on PATH by default
# "GPU Compute Time: min = 3.17 ms, ..., median = 3.71 ms" (8.x+) or the 7.x block "GPU Compute / min: ... /
# median: 3.65 ms"; the median is taken within the GPU Compute section only
TRTEXEC_GPU_MEDIAN = re.compile(r"GPU Compute(?: Time)?\b(?:(?!Latency|Enqueue|Throughput).){0,400}?"
                                r"median\s*[=:]?\s*([0-9.]+)\s*ms", re.DOTALL)
TRTEXEC_TIMEOUT_SECONDS = 600


def build_engines(onnx_path, workdir, precisions, calib_images=None, say=log.debug):
    """[(precision, engine path)] for each requested precision this GPU builds honestly; the others are
    logged with the reason (e.g. no fast INT8 on a TX2) and left out."""
    from ..engines.device import query_device
    from ..engines.trt_api import TrtApi
    from ..core.cuda_context import CudaContext

    api, device, cuda = TrtApi(), query_device(), CudaContext()
    timing_cache = os.path.join(workdir, "timing.cache")  # later precisions reuse the tactics already timed
    engines = []
    try:
        for precision in precisions:
            engine = _build_one(api, device, cuda, onnx_path, workdir, precision, timing_cache, calib_images, say)
            if engine:
                engines.append((precision, engine))
    finally:
        cuda.close()
    return engines


def _build_one(api, device, cuda, onnx_path, workdir, precision, timing_cache, calib_images, say):
    """The engine path, or None (logged) when this GPU should not have a `precision` column."""
    from ..calib.trt_calibrator import calibrator_for_request
    from ..engines.build import BuildRequest, build
    from ..core.defaults import CALIBRATION_IMAGES

    stem = os.path.join(workdir, os.path.splitext(os.path.basename(onnx_path))[0])
    request = BuildRequest(onnx_path, "{}.{}.engine".format(stem, precision), precision, None, timing_cache,
                           calib_images, None, CALIBRATION_IMAGES, False)
    try:
        with cuda.active():
            result = build(request, api, device, calibrator_factory=calibrator_for_request, say=say)
    except InputError as exc:
        log.warning("skipping TRT %s: %s", precision.upper(), exc)
        return None
    if result.plan.used != precision:
        log.warning("skipping TRT %s: %s", precision.upper(), "; ".join(result.plan.notes))
        return None
    return result.engine_path


def find_trtexec():
    # type: () -> str
    found = shutil.which("trtexec")
    if found:
        return found
    if os.access(JETPACK_TRTEXEC, os.X_OK):
        return JETPACK_TRTEXEC
    raise InputError("--trtexec: trtexec is neither on PATH nor at {} (JetPack's tensorrt samples package "
                     "has it; on a desktop it ships in TensorRT's bin/ folder)".format(JETPACK_TRTEXEC))


def trtexec_command(trtexec, engine_path, iters, warmup_ms):
    return [trtexec, "--loadEngine={}".format(engine_path), "--iterations={}".format(iters),
            "--warmUp={}".format(warmup_ms), "--duration=0"]


def parse_trtexec_median(text):
    # type: (str) -> float
    """trtexec's median GPU compute time in ms, or None when its report has none."""
    match = TRTEXEC_GPU_MEDIAN.search(text or "")
    return float(match.group(1)) if match else None


def trtexec_latency_ms(engine_path, iters, warmup_ms=200, trtexec=None):
    # type: (str, int, int, str) -> float
    """Run trtexec on `engine_path` and return its median GPU compute time (ms); None when it failed."""
    command = trtexec_command(trtexec or find_trtexec(), engine_path, iters, warmup_ms)
    try:  # Python 3.6: no capture_output
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True, timeout=TRTEXEC_TIMEOUT_SECONDS)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("trtexec failed on %s: %s", engine_path, exc)
        return None
    median = parse_trtexec_median(completed.stdout)
    if completed.returncode != 0 or median is None:
        tail = (completed.stdout or "").strip().splitlines()[-1:] or ["no output"]
        log.warning("trtexec failed on %s (exit %s): %s", engine_path, completed.returncode, tail[0])
        return None
    return median
