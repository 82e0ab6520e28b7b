"""Implicit INT8 for TensorRT 7.1-10: an entropy calibrator (IInt8EntropyCalibrator2) that feeds the
calibration stream's batches to TensorRT through one device buffer, and keeps TensorRT's cache.

The base class comes from the running TensorRT (through the adapter), so the subclass is made at
run time. TensorRT calls these methods from inside the build on the building thread, whose CUDA
context is current, so the device buffer is allocated there too.
"""

import logging
import os

import numpy as np

from ..core.lazy import lazy_import
from ..engines.batch_profile import batch_profile
from .cache import CALIBRATOR_ALGORITHMS, load_compatible_cache, write_cache
from .images import CalibrationStream

log = logging.getLogger(__name__)
CALIBRATOR = "IInt8EntropyCalibrator2"
ALGORITHM = CALIBRATOR_ALGORITHMS[CALIBRATOR]


def default_cache_path(onnx_path, trt_version):
    # type: (str, str) -> str
    """model.int8.trt8.2.1.calib next to the ONNX: caches are per TensorRT version."""
    return "{}.int8.trt{}.calib".format(os.path.splitext(onnx_path)[0], trt_version)


def calibration_batch(card):
    # type: (dict) -> int
    """Images per calibration batch: the fixed batch, or for a dynamic batch axis the optimization
    profile's opt batch, where TensorRT calibrates (engines.build sets it as the calibration profile)."""
    profile = batch_profile(card)
    return int(card["input"]["shape"][0]) if profile is None else profile.opt


def calibrator_for_request(api, card, request):
    """The calibrator factory bisenet-build-engine and bisenet-bench give engines.build.build."""
    return make_calibrator(api, card, request.onnx_path, request.calib_images, request.calib_cache,
                           request.calib_count)


def make_calibrator(api, card, onnx_path, images, cache_path, count, driver=None, progress=True):
    """(calibrator, summary) for BuilderConfig.int8_calibrator.

    `cache_path` given and compatible: TensorRT reuses it and `images` are not read (an incompatible
    one is refused now, before the build). Otherwise the calibrator reads `count` images from
    `images` and writes the cache to `cache_path` (default: next to the ONNX).
    """
    cached = load_compatible_cache(cache_path, api.version, ALGORITHM) if cache_path else None
    summary = {"calibrator": CALIBRATOR, "tensorrt_version": api.version, "cache": cache_path}
    stream = None
    if cached is not None:
        log.info("INT8: reusing the calibration cache %s", cache_path)
        summary["source"] = "cache"
    else:
        stream = CalibrationStream(images, card, batch_size=calibration_batch(card), count=count, seed=0,
                                   progress=progress)
        log.info("INT8: calibrating on %s", stream.describe())
        cache_path = cache_path or default_cache_path(onnx_path, api.version)
        summary.update(source=str(images), cache=cache_path, images_selected=len(stream.selected), seed=0)
    driver = driver if driver is not None else lazy_import("pycuda.driver", "INT8 calibration")
    calibrator_class = _entropy_calibrator_class(api.calibrator_base())
    return calibrator_class(stream, cached, cache_path, driver, summary), summary


def _entropy_calibrator_class(base):
    class EntropyCalibrator(base):
        """Batches from a CalibrationStream, copied into one device buffer for TensorRT."""

        def __init__(self, stream, cached, cache_path, driver, summary):
            base.__init__(self)  # TensorRT's bindings need the base initialised explicitly
            self._stream, self._cached, self._cache_path = stream, cached, cache_path
            self._driver, self._summary = driver, summary
            self._batches = None
            self._device = None
            self.error = None  # raised by the builder after TensorRT returns (see engines.build)

        def get_batch_size(self):
            return self._stream.batch_shape[0] if self._stream is not None else 1

        def get_batch(self, names, *unused):
            """[device pointer] for the next batch, None when the images are exhausted or reading failed.

            An exception must not escape into TensorRT's C++ (7.x/8.x end the process): it is kept."""
            try:
                return self._next_batch()
            except BaseException as exc:  # KeyboardInterrupt too: the build stops, then it is raised
                self.error = exc
                return None

        def _next_batch(self):
            if self._stream is None:
                return None
            if self._batches is None:
                self._batches = self._stream.batches()
                nbytes = int(np.prod(self._stream.batch_shape)) * self._stream.dtype.itemsize
                self._device = self._driver.mem_alloc(nbytes)
            batch = next(self._batches, None)
            if batch is None:
                self._summary.update(images_used=self._stream.used, images_skipped=self._stream.skipped)
                return None
            self._driver.memcpy_htod(self._device, np.ascontiguousarray(batch))
            return [int(self._device)]

        def read_calibration_cache(self):
            return self._cached

        def write_calibration_cache(self, cache):
            try:
                write_cache(self._cache_path, bytes(cache))
                log.info("INT8: wrote the calibration cache %s", self._cache_path)
            except BaseException as exc:
                self.error = exc

    return EntropyCalibrator
