"""GStreamer facts shared by the stream sources, the network sinks and bisenet-doctor: does this OpenCV
have GStreamer, which elements exist, the Python bindings (python3-gi) on first use, and one H.264
encoder chain chosen by what the machine has (the Jetson's hardware encoders first).

Nothing here imports gi at module level: a machine without python3-gi still runs every other output.
"""

import collections
import re
import shutil
import subprocess

import cv2

from ..core.errors import InputError

OPENCV_GSTREAMER_FIX = (
    "on a Jetson use JetPack's system OpenCV (python3 from /usr/bin, `pip uninstall opencv-python "
    "opencv-python-headless` so the wheel does not shadow it); on Debian/Ubuntu `sudo apt-get install python3-opencv` "
    "and a venv made with --system-site-packages (./scripts/setup.sh --robot); `bisenet-doctor` shows what this "
    "OpenCV has")
GI_FIX = "sudo apt-get install python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0"
# (element, the package that brings it), fastest first: the Jetson's hardware encoders, then software
H264_ENCODERS = (("nvv4l2h264enc", "JetPack (L4T multimedia)"), ("omxh264enc", "JetPack 4 (deprecated OMX)"),
                 ("x264enc", "sudo apt-get install gstreamer1.0-plugins-ugly"),
                 ("openh264enc", "sudo apt-get install gstreamer1.0-plugins-bad libopenh264-7"))
ENCODER_NAMES = tuple(name for name, _ in H264_ENCODERS)

EncoderChain = collections.namedtuple("EncoderChain", "name pipeline")
# name: the encoder element; pipeline: from BGR system-memory frames to an H.264 byte stream


def opencv_build_facts():
    # type: () -> dict
    """{'gstreamer': bool, 'ffmpeg': bool, 'gui': str or None} read from cv2.getBuildInformation()."""
    info = cv2.getBuildInformation()

    def field(name):
        match = re.search(r"^\s*{}:\s*(.+)$".format(re.escape(name)), info, re.MULTILINE)
        return match.group(1).strip() if match else None

    gui = field("GUI")
    return {"gstreamer": (field("GStreamer") or "").upper().startswith("YES"),
            "ffmpeg": (field("FFMPEG") or "").upper().startswith("YES"),
            "gui": None if gui in (None, "NONE") else gui}


def require_opencv_gstreamer(what):
    """InputError saying that `what` needs OpenCV with GStreamer, and how to get it, when this one has none."""
    if not opencv_build_facts()["gstreamer"]:
        raise InputError("{} needs OpenCV built with GStreamer, and this OpenCV {} ({}) has none: {}".format(
            what, cv2.__version__, cv2.__file__, OPENCV_GSTREAMER_FIX))


def gst_modules(needed_for, rtsp_server=False):
    """(Gst, GLib[, GstRtspServer]) through python3-gi, initialized; InputError with the apt line otherwise."""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        if rtsp_server:
            gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst
        modules = (Gst, GLib)
        if rtsp_server:
            from gi.repository import GstRtspServer
            modules += (GstRtspServer,)
    except (ImportError, ValueError) as exc:
        raise InputError("{} needs GStreamer's Python bindings{} ({}): {}".format(
            needed_for, " and gst-rtsp-server" if rtsp_server else "", exc, GI_FIX))
    Gst.init(None)
    return modules


def element_exists(name):
    # type: (str) -> bool
    """True when GStreamer has the element `name` (asked through gi if present, else gst-inspect-1.0)."""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        return Gst.ElementFactory.find(name) is not None
    except (ImportError, ValueError):
        pass
    return bool(_inspect_exists(name))


def _inspect_exists(name):
    """gst-inspect-1.0's answer whether the element `name` exists; None when it cannot be asked."""
    inspect = shutil.which("gst-inspect-1.0")
    if not inspect:
        return None
    try:
        return subprocess.call([inspect, "--exists", name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10) == 0
    except (OSError, subprocess.SubprocessError):
        return None


def pipeline_elements(pipeline):
    # type: (str) -> list
    """The element names a gst-launch description uses, in order: the first word of each part between
    `!`, bins' parentheses removed. Caps (video/x-raw,...), references (t.) and URIs are not elements."""
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', pipeline)  # a quoted value may hold '!'
    names = []
    for part in unquoted.split("!"):
        words = re.sub(r"^\s*(?:[\w-]*\.)?\(+", " ", part).replace(")", " ").split()
        if words and re.match(r"^[A-Za-z][\w-]*$", words[0]) and words[0] not in names:
            names.append(words[0])
    return names


def missing_elements(pipeline):
    # type: (str) -> list
    """The elements of `pipeline` GStreamer does not have, asked of gst-inspect-1.0 (about 15 ms each);
    empty when it has them all or gst-inspect-1.0 is not installed. OpenCV would wait forever for a
    pipeline that lacks one to start. Not through gi: GStreamer's Python bindings loaded before ONNX
    Runtime make a process that also runs torch abort on ONNX Runtime's first exception."""
    return [name for name in pipeline_elements(pipeline) if _inspect_exists(name) is False]


def inspected_encoders():
    # type: () -> list
    """available_encoders() asked of gst-inspect-1.0 rather than gi (see missing_elements); empty when
    gst-inspect-1.0 is not installed."""
    return [name for name in ENCODER_NAMES if _inspect_exists(name)]


def available_encoders():
    # type: () -> list
    """The H.264 encoder elements this machine has, in the order they are preferred."""
    return [name for name in ENCODER_NAMES if element_exists(name)]


def encoder_pipeline(name, bitrate_kbps, keyframe_interval):
    # type: (str, int, int) -> str
    """The encode part of a pipeline with the encoder element `name`: BGR frames in, H.264 out."""
    bps = int(bitrate_kbps) * 1000
    # The Jetson encoders take frames in NVMM memory: nvvidconv moves them there (it cannot read BGR).
    to_nvmm = "videoconvert ! video/x-raw,format=BGRx ! nvvidconv ! video/x-raw(memory:NVMM),format=NV12 ! "
    chains = {
        "nvv4l2h264enc": to_nvmm + "nvv4l2h264enc bitrate={} iframeinterval={} insert-sps-pps=true "
                                   "maxperf-enable=true ! h264parse".format(bps, keyframe_interval),
        "omxh264enc": to_nvmm.replace("NV12", "I420") + "omxh264enc bitrate={} iframeinterval={} control-rate=2 "
                                                        "insert-sps-pps=true ! h264parse".format(bps, keyframe_interval),
        "x264enc": "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast "
                   "bitrate={} key-int-max={} ! video/x-h264,profile=baseline".format(int(bitrate_kbps),
                                                                                    keyframe_interval),
        "openh264enc": "videoconvert ! video/x-raw,format=I420 ! openh264enc bitrate={} gop-size={} "
                       "complexity=low ! h264parse".format(bps, keyframe_interval),
    }
    return chains[name]


def h264_encoder_chain(bitrate_kbps, keyframe_interval, encoder="auto"):
    # type: (int, int, str) -> EncoderChain
    """The encode part of a pipeline for the first encoder this machine has (or the one asked for)."""
    if encoder != "auto":
        if encoder not in ENCODER_NAMES:
            raise InputError("--encoder must be auto or one of {}, got {!r}".format(", ".join(ENCODER_NAMES),
                                                                                    encoder))
        if not element_exists(encoder):
            raise InputError("GStreamer has no {} element here; installed H.264 encoders: {}".format(
                encoder, ", ".join(available_encoders()) or "none"))
        return EncoderChain(encoder, encoder_pipeline(encoder, bitrate_kbps, keyframe_interval))
    for name in ENCODER_NAMES:
        if element_exists(name):
            return EncoderChain(name, encoder_pipeline(name, bitrate_kbps, keyframe_interval))
    raise InputError("no H.264 encoder in GStreamer ({}); install one: {}".format(
        ", ".join(ENCODER_NAMES), "; ".join("{}: {}".format(n, how) for n, how in H264_ENCODERS[2:])))
