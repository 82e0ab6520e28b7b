"""Findings about the Python side: Python, numpy, the compiled label step, OpenCV (GStreamer, GUI),
GStreamer and its Python bindings, ONNX Runtime, OpenVINO, ROS."""

import os
import platform
import shutil
import subprocess
import sys

from ..core.lazy import install_hint, is_installed
from ..core.machine import TEGRA_RELEASE
from ..runtime.gst_support import (GI_FIX, H264_ENCODERS, OPENCV_GSTREAMER_FIX, available_encoders, element_exists,
                                 opencv_build_facts)
from .report import check

ON_JETSON = os.path.isfile(TEGRA_RELEASE)
BROKEN_JETSON_NUMPY = "1.19.5"  # crashes with 'Illegal instruction' on the Jetson's ARM cores


def _version(module):
    try:
        return str(getattr(__import__(module), "__version__", "unknown"))
    except Exception as exc:  # a broken install (a missing shared library) is a finding, not a crash
        return "not importable ({})".format(str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__)


def python_checks(on_jetson=ON_JETSON):
    found = [check("python", "python", "Python", True, "{} ({})".format(platform.python_version(), sys.executable))]
    if on_jetson and not sys.executable.startswith("/usr/bin/"):
        found.append(check("system-python", "python", "system Python", None,
                           "not the system Python: TensorRT's bindings exist only for JetPack's /usr/bin/python3",
                           "use /usr/bin/python3, or a venv made with --system-site-packages"))
    numpy_version = _version("numpy")
    broken = on_jetson and numpy_version == BROKEN_JETSON_NUMPY
    found.append(check("numpy", "python", "numpy", not broken and not numpy_version.startswith("not"),
                       numpy_version + (" (crashes on Jetson)" if broken else ""), "pip install 'numpy==1.19.4'"))
    return found


def label_step_check():
    """Whether the CPU path's compiled routines (a logits head's label step, runtime/label_upsample.py,
    and the frame's preprocessing, runtime/frame_input.py) run compiled or through numpy and OpenCV."""
    from ..runtime import frame_input, label_upsample, native

    label = "C label step and preprocessing"
    if os.environ.get(native.DISABLE_VARIABLE):
        return check("c-label-step", "python", label, None, "turned off by {}: numpy, several times slower".format(
            native.DISABLE_VARIABLE), "unset {}".format(native.DISABLE_VARIABLE))
    missing = [name for name in (label_upsample.NATIVE_NAME, frame_input.NATIVE_NAME) if native.load(name) is None]
    if not missing:
        return check("c-label-step", "python", label, True, "compiled, in {}".format(native.cache_dir()))
    return check("c-label-step", "python", label, None,
                 "{} through numpy, several times slower: no C compiler found, or the build failed (see --debug)"
                 .format(" and ".join(missing)),
                 "install a C compiler (Debian, Ubuntu, JetPack: sudo apt-get install gcc), or set CC")


def opencv_checks():
    import cv2

    facts = opencv_build_facts()
    wheel = "site-packages" in cv2.__file__
    where = "pip wheel" if wheel else "system build"
    found = [check("opencv", "opencv", "OpenCV", True, "{} ({}, {})".format(cv2.__version__, where, cv2.__file__)),
             check("opencv-gstreamer", "opencv", "OpenCV GStreamer", facts["gstreamer"],
                   "yes: --gst, --camera csi, --rtsp, --output rtp://" if facts["gstreamer"] else
                   "no: this OpenCV was built without it (GStreamer itself is listed below)",
                   OPENCV_GSTREAMER_FIX),
             check("gui", "opencv", "OpenCV GUI (window)", bool(facts["gui"]), facts["gui"] or "none (headless build)",
                   "run with --headless or --output http://:8080/; for a window use the system OpenCV or "
                   "pip install opencv-python"),
             check("ffmpeg", "opencv", "OpenCV FFmpeg", facts["ffmpeg"], "yes" if facts["ffmpeg"] else "no",
                   "video files decode through GStreamer instead; pip's opencv-python has FFmpeg")]
    return found


def _gst_version():
    launcher = shutil.which("gst-launch-1.0")
    if not launcher:
        return None
    try:
        output = subprocess.check_output([launcher, "--version"], stderr=subprocess.STDOUT, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = output.decode("utf-8", "replace").splitlines()
    return lines[1].strip() if len(lines) > 1 else lines[0].strip() if lines else None


def _gi_has(namespace):
    try:
        import gi
        gi.require_version(namespace, "1.0")
        __import__("gi.repository." + namespace)
        return True
    except (ImportError, ValueError):
        return False


def gstreamer_checks():
    version = _gst_version()
    encoders = available_encoders()
    decoders = [name for name in ("nvv4l2decoder", "omxh264dec", "avdec_h264") if element_exists(name)]
    return [
        check("gst-tools", "gstreamer", "GStreamer", bool(version), version or "gst-launch-1.0 not found",
              "sudo apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good"),
        check("gst-python", "gstreamer", "Python bindings (gi)", _gi_has("Gst"),
              "yes" if _gi_has("Gst") else "no (needed by --output rtsp://)", GI_FIX),
        check("rtsp-server", "gstreamer", "gst-rtsp-server", _gi_has("GstRtspServer"),
              "yes: --output rtsp://" if _gi_has("GstRtspServer") else "no", GI_FIX),
        check("h264-encoder", "gstreamer", "H.264 encoder", bool(encoders),
              ", ".join(encoders) if encoders else "none (rtp:// and rtsp:// outputs need one)",
              "; ".join("{}: {}".format(name, how) for name, how in H264_ENCODERS[2:])),
        check("h264-decoder", "gstreamer", "H.264 decoder", bool(decoders),
              ", ".join(decoders) if decoders else "none (--rtsp needs one)", "sudo apt-get install gstreamer1.0-libav"),
    ]


def onnxruntime_check():
    if not is_installed("onnxruntime"):
        return check("onnxruntime", "backends", "ONNX Runtime", False, "not installed", install_hint("onnxruntime"))
    version = _version("onnxruntime")
    try:
        import onnxruntime
        providers = [name.replace("ExecutionProvider", "") for name in onnxruntime.get_available_providers()]
    except Exception:  # reported through the version text
        providers = []
    precisions = "FP32, INT8 (QDQ models from bisenet-calibrate)"
    if any(name in ("CUDA", "Tensorrt") for name in providers):
        precisions += ", FP16 on the GPU"
    return check("onnxruntime", "backends", "ONNX Runtime", bool(providers),
                 "{}: providers {}; precisions {}".format(version, ", ".join(providers) or "none", precisions),
                 install_hint("onnxruntime"))


def openvino_check():
    if not is_installed("openvino"):
        return check("openvino", "backends", "OpenVINO", False, "not installed (optional: the fastest x86 CPU path)",
                     "pip install -e '.[openvino]' in the bisenet-deploy clone")
    try:
        import openvino
        core = openvino.Core()
        devices = ["{} ({})".format(device, ", ".join(p for p in core.get_property(device, "OPTIMIZATION_CAPABILITIES")
                                                       if p in ("FP32", "FP16", "BF16", "INT8")))
                   for device in core.available_devices]
    except Exception as exc:  # an install without a usable plugin is a finding
        return check("openvino", "backends", "OpenVINO", False, "not usable: {}".format(exc),
                     "pip install --force-reinstall openvino")
    return check("openvino", "backends", "OpenVINO", bool(devices), "{}: {}".format(
        openvino.__version__ if hasattr(openvino, "__version__") else "installed", "; ".join(devices) or "no device"),
        "pip install -e '.[openvino]' in the bisenet-deploy clone")


def ros_checks(on_jetson=ON_JETSON):
    rospy = is_installed("rospy")
    distro = os.environ.get("ROS_DISTRO")
    fix = ("ROS Melodic on JetPack 4 (Ubuntu 18.04): add packages.ros.org, then sudo apt-get install ros-melodic-ros-base"
           if on_jetson else "Debian: sudo apt-get install ros-core python3-rospy python3-sensor-msgs")
    detail = "rospy {}{}".format("yes" if rospy else "no", ", ROS_DISTRO " + distro if distro else "")
    if shutil.which("roscore"):
        detail += ", roscore on PATH"
    return [check("ros", "ros", "ROS 1 (rospy)", rospy, detail, fix),
            check("rosbags", "ros", "bag reading (rosbags)", is_installed("rosbags"),
                  "yes" if is_installed("rosbags") else "no",
                  "pip install -e '.[ros]' in the bisenet-deploy clone (Python >= 3.8)")]
