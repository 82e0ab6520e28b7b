"""Import heavy optional dependencies on first use, with an error that says how to get them.

INSTALL_HINTS is the one table of what a missing package is called and how a user gets it; the
backends name their packages by these keys, so every "not installed" message comes from here.
"""

import importlib
import importlib.util

from .errors import InputError

# package -> (what it is, how to get it); the device path never needs torch/onnx, the workstation path does.
INSTALL_HINTS = {
    "torch": ("PyTorch", "pip install 'bisenet-deploy[export]' (or: pip install torch)"),
    "onnx": ("onnx", "pip install 'bisenet-deploy[export]'"),
    "onnxsim": ("onnx-simplifier", "pip install 'bisenet-deploy[export]' (or pass --no-simplify)"),
    "onnxruntime": ("ONNX Runtime", "pip install onnxruntime (Jetson: the onnxruntime-gpu wheel for your JetPack)"),
    "tensorrt": ("TensorRT", "on a Jetson it comes with JetPack: sudo apt-get install python3-libnvinfer (in a "
                             "venv: --system-site-packages), or use the docker/tx2 image; on a desktop: pip install "
                             "tensorrt"),
    "pycuda": ("pycuda", "pip install 'pycuda==2022.1' with nvcc on PATH (or use the docker/tx2 image)"),
    "tqdm": ("tqdm", "pip install tqdm"),
    "onnxconverter_common": ("onnxconverter-common", "pip install onnxconverter-common"),
    "openvino": ("OpenVINO", "pip install 'bisenet-deploy[openvino]'"),
    "rospy": ("rospy", "it comes with ROS 1 (Debian: apt-get install python3-rospy; or ./scripts/setup.sh --robot)"),
    "rosbags": ("rosbags", "pip install 'bisenet-deploy[ros]'"),
}


def install_hint(package):
    # type: (str) -> str
    return INSTALL_HINTS.get(package, (package, "pip install {}".format(package)))[1]


def not_installed(package):
    # type: (str) -> str
    """'TensorRT is not installed (no Python module 'tensorrt'); <how to get it>'."""
    name, hint = INSTALL_HINTS.get(package, (package, "pip install {}".format(package)))
    return "{} is not installed (no Python module '{}'); {}".format(name, package, hint)


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
        raise InputError("{} needs the Python package '{}', which is not importable ({}); install it: {}".format(
            needed_for, top, exc, install_hint(top)))
