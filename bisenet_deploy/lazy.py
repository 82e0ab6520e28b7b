"""Import heavy optional dependencies on first use, with an error that says how to get them."""

import importlib
import importlib.util

from .errors import InputError

# package -> how a user gets it; the device path never needs torch/onnx, the workstation path does.
_INSTALL_HINTS = {
    "torch": "pip install 'bisenet-deploy[export]' (or: pip install torch)",
    "onnx": "pip install 'bisenet-deploy[export]'",
    "onnxsim": "pip install 'bisenet-deploy[export]' (or pass --no-simplify)",
    "onnxruntime": "pip install onnxruntime",
    "tensorrt": "on a Jetson: sudo apt-get install python3-libnvinfer (JetPack), or use docker/tx2",
    "pycuda": "pip install 'pycuda==2022.1' (needs nvcc on PATH)",
    "tqdm": "pip install tqdm",
    "onnxconverter_common": "pip install onnxconverter-common",
    "openvino": "pip install 'bisenet-deploy[openvino]'",
}


def is_installed(name):
    # type: (str) -> bool
    """True when the top-level package can be imported; imports nothing."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def lazy_import(name, needed_for):
    # type: (str, str) -> object
    """Import `name` or raise InputError naming what needs it and how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        hint = _INSTALL_HINTS.get(top, "pip install {}".format(top))
        raise InputError("{} needs the Python package '{}', which is not importable ({}); install it: {}".format(
            needed_for, top, exc, hint))
