"""bisenet-doctor: what this machine can do for bisenet-deploy, and the command that fixes each missing piece.

Exits 0 whatever it finds, unless --require names something missing (then 1), so scripts can gate on it.
"""

import argparse
import sys

from .. import __version__
from ..core.cli import ArgumentParser, add_debug_flag, run_main
from . import hardware, software
from .report import format_json, format_text, unmet

REQUIRABLE = ("python", "numpy", "c-label-step", "opencv", "gstreamer", "gui", "ffmpeg", "gst-tools", "gst-python",
              "rtsp-server", "h264-encoder", "h264-decoder", "tensorrt", "pycuda", "nvcc", "gpu", "fast-fp16", "fast-int8",
              "onnxruntime", "openvino", "ros", "rosbags", "camera", "csi", "jetson", "nvpmodel", "jetson_clocks")


def build_parser():
    parser = ArgumentParser(prog="bisenet-doctor", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--require", action="append", default=[], choices=REQUIRABLE, metavar="WHAT",
                        help="exit 1 unless WHAT is found; repeatable; one of: " + ", ".join(REQUIRABLE))
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_debug_flag(parser)
    return parser


def all_checks():
    # type: () -> list
    return (software.python_checks() + [software.label_step_check()] + software.opencv_checks()
            + software.gstreamer_checks()
            + hardware.tensorrt_checks() + hardware.gpu_checks()
            + [software.onnxruntime_check(), software.openvino_check()] + software.ros_checks()
            + hardware.camera_checks() + hardware.jetson_checks())


def doctor(args, out=None):
    out = out or sys.stdout
    checks = all_checks()
    if args.json:
        out.write(format_json(checks) + "\n")
    else:
        out.write("bisenet-doctor {}: what this machine can do\n{}\n".format(__version__, format_text(checks)))
    missing = unmet(checks, args.require)
    if missing:
        sys.stderr.write("bisenet-doctor: required but not found: {}\n".format(", ".join(missing)))
        return 1
    return 0


def main(argv=None):
    return run_main(doctor, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
