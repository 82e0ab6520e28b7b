"""Backends by name, and the rules for which backend runs which model file."""

import importlib
import os

from ...errors import InputError
from ...lazy import is_installed
from ..model_info import model_kind
from .openvino_backend import OpenVinoBackend, cpu_facts
from .openvino_precision import is_qdq_file, prefers_openvino
from .ort import OrtBackend
from .torch_backend import TorchBackend
from .trt_backend import TrtBackend

BACKENDS = {"ort": OrtBackend, "torch": TorchBackend, "trt": TrtBackend, "openvino": OpenVinoBackend}
PREFERENCE = ("trt", "openvino", "ort", "torch")
BACKEND_CHOICES = ("auto",) + PREFERENCE

# which model file each backend runs, and what to say when a backend gets another kind
RUNS_KIND = {"trt": "engine", "ort": "onnx", "torch": "checkpoint", "openvino": "onnx"}
KIND_TEXT = {"engine": "TensorRT .engine files", "onnx": ".onnx models", "checkpoint": ".pth checkpoints"}
KIND_BACKEND_HINT = {
    "engine": "run it with --backend trt (or run its .onnx with --backend ort)",
    "onnx": "run it with --backend ort or openvino, or build an engine with bisenet-build-engine for --backend trt",
    "checkpoint": "run it with --backend torch, or export it with bisenet-export for --backend ort",
}
# package -> what to say when it is missing
NOT_INSTALLED = {
    "tensorrt": "TensorRT is not installed (no Python module 'tensorrt'); on a Jetson it comes with JetPack: "
                "sudo apt-get install python3-libnvinfer (in a venv: --system-site-packages), or use the "
                "docker/tx2 image; on a desktop: pip install tensorrt",
    "pycuda": "pycuda is not installed; pip install 'pycuda==2022.1' with nvcc on PATH (or use the docker/tx2 image)",
    "onnxruntime": "ONNX Runtime is not installed; pip install onnxruntime (Jetson: the onnxruntime-gpu wheel for your JetPack)",
    "torch": "PyTorch is not installed; pip install 'bisenet-deploy[export]'",
    "openvino": "OpenVINO is not installed; " + OpenVinoBackend.install_hint,
}


def available_backends():
    # type: () -> list
    """Names of the backends this build has and this machine can run, most preferred first."""
    return [name for name in PREFERENCE if _is_usable(name)]


def _is_usable(name):
    return BACKENDS[name].available()


def unusable_reason(name):
    # type: (str) -> str
    """Why backend `name` cannot run here: the missing packages and how to get each."""
    missing = [package for package in BACKENDS[name].requires if not is_installed(package)]
    return "; ".join(NOT_INSTALLED.get(package, "the Python package {!r} is not installed".format(package))
                     for package in missing)


def resolve_backend_name(name, model_path):
    # type: (str, str) -> str
    """The concrete backend for `name` (or "auto") and this model file, or an InputError saying why not."""
    kind = model_kind(model_path)
    if name == "auto":
        name = {"engine": "trt", "onnx": "ort", "checkpoint": "torch"}[kind]
        if kind == "onnx" and auto_picks_openvino(model_path):
            name = "openvino"
        if not _is_usable(name):
            raise InputError("{} needs the {} backend: {}{}".format(
                model_path, name, unusable_reason(name),
                "; or run the .onnx it was built from with --backend ort" if kind == "engine" else ""))
        return name
    if name not in BACKENDS:
        raise InputError("unknown backend {!r}; choose one of {}".format(name, ", ".join(BACKEND_CHOICES)))
    if RUNS_KIND[name] != kind:
        raise InputError("--backend {} runs {}, not {}; {}".format(
            name, KIND_TEXT[RUNS_KIND[name]], model_path, KIND_BACKEND_HINT[kind]))
    if not _is_usable(name):
        raise InputError("--backend {}: {}".format(name, unusable_reason(name)))
    return name


def auto_picks_openvino(model_path):
    # type: (str) -> bool
    """auto for an .onnx: OpenVINO where it is installed, ONNX Runtime has no GPU here, and the CPU runs
    it much faster than ONNX Runtime's FP32 (openvino_precision.prefers_openvino: native BF16, or a QDQ
    INT8 model)."""
    if not _is_usable("openvino") or not os.path.isfile(model_path):
        return False
    if is_installed("onnxruntime") and "CUDAExecutionProvider" in importlib.import_module(
            "onnxruntime").get_available_providers():
        return False
    return prefers_openvino(cpu_facts()[1], is_qdq_file(model_path))


def create_backend(name, model_path, card, threads=None, precision=None, verify=False, **options):
    """An inactive backend for `model_path`; `options` go to that backend (ort: providers, torch: device).
    `precision` and `verify` reach backends that choose a precision (openvino); the others run FP32 or
    the precision their engine was built in, so asking them for another one is refused."""
    cls = BACKENDS[resolve_backend_name(name, model_path)]
    if getattr(cls, "precisions", None):
        return cls(model_path, card, threads, precision=precision or "auto", verify=verify, **options)
    if precision not in (None, "auto", "fp32"):
        raise InputError("--precision {}: the {} backend runs {}; choose the precision with --backend openvino "
                         "(CPU) or bisenet-build-engine --fp16/--int8 (TensorRT)".format(
                             precision, cls.name, "the precision its engine was built in" if cls.name == "trt"
                             else "FP32"))
    return cls(model_path, card, threads, **options)
