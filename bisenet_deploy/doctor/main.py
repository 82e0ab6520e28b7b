"""bisenet-doctor: what this machine can do for bisenet-deploy, and the command that fixes each missing piece.

Exits 0 whatever it finds, unless --require names something missing (then 1), so scripts can gate on it.
With --model MODEL.onnx it also says which precisions this CPU runs natively and what each costs that
model against FP32 (mIoU drop on labelled pictures, else pixel agreement).
"""

import argparse
import sys

from .. import __version__
from ..core.cli import ArgumentParser, add_debug_flag, run_main
from ..core.errors import InputError
from . import hardware, software
from .report import format_json, format_text, unmet

REQUIRABLE = ("python", "numpy", "c-label-step", "opencv", "opencv-gstreamer", "gui", "ffmpeg", "gst-tools",
              "gst-python", "rtsp-server", "h264-encoder", "h264-decoder", "tensorrt", "pycuda", "nvcc", "gpu",
              "fast-fp16", "fast-int8", "onnxruntime", "openvino", "ros", "rosbags", "camera", "csi", "jetson",
              "nvpmodel", "jetson_clocks")
# The old name of opencv-gstreamer: it always meant OpenCV built with GStreamer, not GStreamer itself
# (gst-tools), which a machine can have while its OpenCV (a pip wheel) has none.
REQUIRE_ALIASES = {"gstreamer": "opencv-gstreamer"}
ALIAS_MEANINGS = {"gstreamer": "gstreamer (= opencv-gstreamer: OpenCV built with GStreamer, which --gst, --camera csi, "
                               "--rtsp and --output rtp:// need; GStreamer itself is --require gst-tools)"}


def build_parser():
    parser = ArgumentParser(prog="bisenet-doctor", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--require", action="append", default=[], choices=REQUIRABLE + tuple(REQUIRE_ALIASES),
                        metavar="WHAT", help="exit 1 unless WHAT is found; repeatable; one of: {} (opencv-gstreamer "
                                             "was called gstreamer, still accepted)".format(", ".join(REQUIRABLE)))
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    model = parser.add_argument_group("a model's precisions on this CPU (OpenVINO)")
    model.add_argument("--model", metavar="MODEL.onnx",
                       help="measure what each native precision costs this model (INT8 from MODEL.qdq.onnx)")
    model.add_argument("--images", metavar="DIR|GLOB|VIDEO",
                       help="your pictures to measure on (a bisenet-scenes folder brings its labels; default: "
                            "generated labelled scenes, for SUN RGB-D 37-class models)")
    model.add_argument("--labels", metavar="DIR", help="label PNGs named like --images: measure the mIoU drop")
    model.add_argument("--count", type=int, metavar="N", help="at most N pictures (default: 16 yours, 8 scenes)")
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
    if (args.images or args.labels or args.count) and not args.model:
        raise InputError("--images, --labels and --count measure a model's precisions: add --model MODEL.onnx")
    if args.count is not None and args.count < 1:
        raise InputError("--count must be at least 1, got {}".format(args.count))
    checks = all_checks()
    if args.model:
        from ..runtime.precision_check import VerifySpec
        from ..evaluate.checks import UnknownLabels
        from .model_cost import precision_checks

        # bisenet-eval's count of label values the model has no class for; doctor has no --strict-labels
        checks += precision_checks(args.model, VerifySpec(args.images, args.labels, args.count),
                                   label_check=lambda classes: UnknownLabels(classes, strict_flag=None))
    if args.json:
        out.write(format_json(checks) + "\n")
    else:
        out.write("bisenet-doctor {}: what this machine can do\n{}\n".format(__version__, format_text(checks)))
    missing = unmet_requirements(checks, args.require)
    if missing:
        sys.stderr.write("bisenet-doctor: required but not found: {}\n".format(", ".join(missing)))
        return 1
    return 0


def unmet_requirements(checks, required):
    # type: (list, list) -> list
    """The --require names not found, an old name with what it means."""
    keys = [REQUIRE_ALIASES.get(name, name) for name in required]
    missing = set(unmet(checks, keys))
    return [ALIAS_MEANINGS.get(name, name) for name, key in zip(required, keys) if key in missing]


def main(argv=None):
    return run_main(doctor, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
