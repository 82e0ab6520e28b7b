"""Import heavy optional dependencies on first use, with an error that says how to get them.

INSTALL_HINTS is the one table of what a missing package is called and how a user gets it; the
backends name their packages by these keys, so every "not installed" message comes from here.
"""

import importlib
import importlib.util

from .errors import InputError

# package -> (what it is, how to get it); the device path never needs torch/onnx, the workstation path does.
INSTALL_HINTS = {
    "torch": ("PyTorch", "pip install -e '.[export]' in the bisenet-deploy clone (or: pip install torch)"),
    "onnx": ("onnx", "pip install -e '.[export]' in the bisenet-deploy clone"),
    "onnxsim": ("onnx-simplifier", "pip install -e '.[export]' in the bisenet-deploy clone (or pass --no-simplify)"),
    "onnxruntime": ("ONNX Runtime", "pip install onnxruntime (Jetson: the onnxruntime-gpu wheel for your JetPack)"),
    "tensorrt": ("TensorRT", "on a Jetson it comes with JetPack: sudo apt-get install python3-libnvinfer (in a "
                             "venv: --system-site-packages), or use the docker/tx2 image; on a desktop: pip install "
                             "tensorrt"),
    "pycuda": ("pycuda", "pip install 'pycuda==2022.1' with nvcc on PATH (or use the docker/tx2 image)"),
    "tqdm": ("tqdm", "pip install tqdm"),
    "onnxconverter_common": ("onnxconverter-common", "pip install onnxconverter-common"),
    "openvino": ("OpenVINO", "pip install -e '.[openvino]' in the bisenet-deploy clone"),
    # ROS 1 comes from the OS, never from pip
    "rospy": ("rospy", "it comes with ROS 1: source /opt/ros/noetic/setup.bash (Noetic), apt-get install python3-rospy "
                       "(Debian 12; or ./scripts/setup.sh --robot), or on a TX2 ROS Melodic built for Python 3 or a "
                       "Noetic container (docs/robot.md)"),
    "sensor_msgs": ("sensor_msgs", "apt-get install python3-sensor-msgs (Debian) or ros-noetic-sensor-msgs, then "
                                   "source ROS's setup.bash"),
    "std_msgs": ("std_msgs", "apt-get install python3-std-msgs (Debian) or ros-noetic-std-msgs, then source ROS's "
                             "setup.bash"),
    "rosbag": ("ROS 1's rosbag", "apt-get install python3-rosbag (Debian) or ros-noetic-rosbag; on Python >= 3.10: "
                                 "pip install rosbags"),
    "genpy": ("genpy", "apt-get install python3-genpy (Debian) or ros-noetic-genpy"),
    "tritonclient": ("tritonclient", "pip install -e '.[serve]' in the bisenet-deploy clone (Python >= 3.8)"),
    "rosbags": ("rosbags", "pip install -e '.[ros]' in the bisenet-deploy clone (Python >= 3.10)"),
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
