"""What a speed number depends on besides the model: CPU, threads, library versions and, on a Jetson,
the module, L4T release, power mode and clocks. Recorded next to every bisenet-bench measurement."""

import datetime
import os
import platform

from .. import __version__
from ..core.lazy import is_installed
from ..core.machine import TEGRA_RELEASE, cpu_model, jetson_facts, usable_cores

# Python module -> the name the environment record uses for its version
VERSIONED_MODULES = (("numpy", "numpy"), ("cv2", "opencv"), ("onnxruntime", "onnxruntime"), ("torch", "torch"),
                     ("tensorrt", "tensorrt"))


def capture_environment(threads):
    # type: (int) -> dict
    """The environment record for a run that used `threads` threads per backend."""
    record = {
        "timestamp_utc": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "bisenet_deploy": __version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "threads": threads,
        "python": platform.python_version(),
    }
    record.update(library_versions())
    record["jetson"] = jetson_facts() if os.path.isfile(TEGRA_RELEASE) else None
    return record


def environment_items(environment):
    # type: (dict) -> list
    """(key, text) pairs of an environment record, Jetson facts flattened, unknowns left out."""
    items = []
    for key, value in sorted((environment or {}).items()):
        if isinstance(value, dict):
            items += [("{}_{}".format(key, k), v) for k, v in environment_items(value)]
        elif value is not None:
            items.append((key, "+".join(value) if isinstance(value, list) else str(value)))
    return items


def library_versions():
    # type: () -> dict
    """{name: version or None} for the libraries a measurement goes through (imports only what is installed)."""
    versions = {}
    for module_name, label in VERSIONED_MODULES:
        versions[label] = None
        if is_installed(module_name):
            try:
                versions[label] = str(getattr(__import__(module_name), "__version__", "unknown"))
            except Exception:  # a broken install (missing shared library) must not stop a benchmark
                versions[label] = "not importable"
    versions["onnxruntime_providers"] = _onnxruntime_providers() if versions["onnxruntime"] else None
    versions["cuda_device"] = _torch_cuda_device() if versions["torch"] not in (None, "not importable") else None
    return versions


def _onnxruntime_providers():
    import onnxruntime  # installed: library_versions checked
    return list(onnxruntime.get_available_providers())


def _torch_cuda_device():
    import torch  # installed and importable: library_versions checked
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
