"""The names each TensorRT generation has: read off NVIDIA's real 8.6.1, 10.16.1 and 11.4.0 bindings
(tests/data/tensorrt-api), minus what arrived later for 7.1 and 8.2 and what 11 removed."""

import os

NAMES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "tensorrt-api")
PYTHON_LEVEL_NAMES = {"__version__", "nptype", "volume"}  # defined in tensorrt/__init__.py, not the binary

ARRIVED_8_0 = {"build_serialized_network", "create_timing_cache", "set_timing_cache", "get_timing_cache"}
ARRIVED_8_4 = {"set_memory_pool_limit", "MemoryPoolType"}
ARRIVED_8_5 = {"num_io_tensors", "get_tensor_name", "get_tensor_mode", "TensorIOMode", "get_tensor_shape",
               "get_tensor_dtype", "set_tensor_address", "execute_async_v3", "set_input_shape"}
# TensorRT 11 migration guide: BuilderFlag.FP16/INT8 removed (the names survive as tails of others)
REMOVED_FROM_BUILDER_FLAG_IN_11 = {"FP16", "INT8"}

GENERATIONS = {
    # generation: (names file, version string, names absent although the file has them)
    "7.1": ("8.6.1", "7.1.3.0", ARRIVED_8_0 | ARRIVED_8_4 | ARRIVED_8_5),
    "8.2": ("8.6.1", "8.2.1.8", ARRIVED_8_4 | ARRIVED_8_5),
    "8.6": ("8.6.1", "8.6.1", set()),
    "10": ("10.16.1", "10.16.1", set()),
    "11": ("11.4.0", "11.4.0", set()),
}


def reference_names(version):
    with open(os.path.join(NAMES_DIR, "trt-{}.names.txt".format(version))) as handle:
        return {line.strip() for line in handle if line.strip()}


def present(name, names):
    """As the reference README says: listed, or the tail of a listed string (the linker merges those)."""
    return name in PYTHON_LEVEL_NAMES or name in names or any(other.endswith(name) for other in names)
