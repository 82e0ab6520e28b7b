"""Stand-ins for TensorRT and pycuda, for tests only (no machine here has either).

The TensorRT stub offers, per API generation, only the names NVIDIA's real bindings have: names
read off the 8.6.1, 10.16.1 and 11.4.0 wheels (tests/data/tensorrt-api, copied from
shared/reference), minus what arrived later for 7.1 and 8.2 and what the 11.x migration guide says
was removed. Any other attribute raises AttributeError, as the real module would. Every call is
recorded so tests can check the sequence each generation gets.

The pycuda stub keeps "device memory" in numpy arrays keyed by fake addresses, so an engine stub can
read its input and write its output through the pointers it was bound to.
"""

from bisenet_deploy.engines.device import DeviceInfo
from bisenet_deploy.engines.precision import PrecisionPlan
from bisenet_deploy.engines.sidecar import file_sha256, make_sidecar, write_sidecar

from .gpu_ops import StubGpuOps, fake_network
from .module import StubTrt, make_trt
from .names import (ARRIVED_8_0, ARRIVED_8_4, ARRIVED_8_5, GENERATIONS, NAMES_DIR, PYTHON_LEVEL_NAMES,
                    REMOVED_FROM_BUILDER_FLAG_IN_11, present, reference_names)
from .pycuda import FakeMemory, StubPycudaDriver
from .recording import Calls, Enum, Restricted, unwrap

__all__ = ["ARRIVED_8_0", "ARRIVED_8_4", "ARRIVED_8_5", "GENERATIONS", "NAMES_DIR", "PYTHON_LEVEL_NAMES",
           "REMOVED_FROM_BUILDER_FLAG_IN_11", "TX2", "Calls", "Enum", "FakeMemory", "Restricted", "StubGpuOps",
           "StubPycudaDriver", "StubTrt", "fake_network", "make_trt", "present", "reference_names", "unwrap",
           "write_engine_sidecar"]

TX2 = DeviceInfo("NVIDIA Tegra X2", "6.2", 8 * 10 ** 9, True, "R32.7.1", "4.6.1", "NVIDIA Jetson TX2")


def write_engine_sidecar(engine, card, trt_version, onnx_path):
    """The sidecar bisenet-build-engine would write for an FP16 TX2 engine of `onnx_path`."""
    plan = PrecisionPlan("fp16", "fp16", ["FP16"], False, [])
    write_sidecar(engine, make_sidecar(card, onnx_path, file_sha256(onnx_path), trt_version, TX2, plan, 1 << 30, 1.0))
