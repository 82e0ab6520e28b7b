"""bisenet-build-engine: an exported ONNX -> a TensorRT engine for this GPU, plus its sidecar JSON.

Build it on the device that will run it (engines do not carry across GPUs or TensorRT versions).
The precision actually used is always reported: FP16 is the default where the GPU runs it fast;
INT8 is refused on GPUs without fast INT8 (the Jetson TX2) unless --force-int8.
"""

import argparse
import logging
import os
import sys

from ..core.cli import ArgumentParser, add_common_flags, add_verify_flags, run_main
from ..core.errors import InputError, WorkFailed
from ..core.defaults import CALIBRATION_IMAGES
from ..core.lazy import is_installed, not_installed
from ..core.model_info import load_model_card
from ..core.outpaths import check_output, refuse_same_file

from .build import DEFAULT_WORKSPACE_MIB, BuildRequest, build, read_onnx

LOG = logging.getLogger("bisenet_deploy.engines")


EPILOG = """examples:
  bisenet-build-engine model.onnx                  FP16 where the GPU runs it fast, else FP32
  bisenet-build-engine model.onnx --fp16 --verify  and compare the engine with ONNX Runtime
  bisenet-build-engine model.qdq.onnx --int8       explicit INT8 from bisenet-calibrate (Xavier, Orin, desktop)
  bisenet-build-engine model.onnx --int8 --calib-images frames/ --calib-count 500
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-build-engine", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("onnx", metavar="MODEL.onnx", help="model from bisenet-export (or bisenet-calibrate)")
    parser.add_argument("-o", "--output", metavar="OUT.engine",
                        help="engine file (default: next to the ONNX, named by precision, TensorRT version and GPU)")
    precision = parser.add_mutually_exclusive_group()
    for name, text in (("fp16", "half precision (default where the GPU has fast FP16)"),
                       ("int8", "INT8: needs --calib-images/--calib-cache, or a QDQ model from bisenet-calibrate; "
                                "refused on GPUs without fast INT8 such as the TX2"),
                       ("fp32", "full precision")):
        precision.add_argument("--" + name, dest="precision", action="store_const", const=name, help=text)
    parser.add_argument("--workspace", type=int, metavar="MiB",
                        help="builder scratch memory (default: {} MiB, at most a quarter of GPU memory)".format(
                            DEFAULT_WORKSPACE_MIB))
    parser.add_argument("--timing-cache", metavar="FILE",
                        help="reuse and update TensorRT's tactic timing cache (8.0+): rebuilds take seconds")
    calib = parser.add_argument_group("implicit INT8 calibration (TensorRT 7.1-10)")
    calib.add_argument("--calib-images", metavar="DIR|GLOB|VIDEO", help="representative frames to calibrate on")
    calib.add_argument("--calib-cache", metavar="FILE",
                       help="calibration cache: read if it exists and matches this TensorRT, else written")
    calib.add_argument("--calib-count", type=int, default=CALIBRATION_IMAGES, metavar="N",
                       help="images to calibrate on (default: {})".format(CALIBRATION_IMAGES))
    parser.add_argument("--force-int8", action="store_true",
                        help="build INT8 even where the GPU has no fast INT8 (accuracy experiments only)")
    add_verify_flags(parser.add_argument_group("verification against ONNX Runtime FP32"),
                     "compare the engine with ONNX Runtime FP32 on pictures (--verify-images, else --calib-images, "
                     "else generated labelled scenes); exit 1 when the mIoU drops more than 1 point (with labels) "
                     "or too many pixels change")
    add_common_flags(parser)
    return parser


def validate(args):
    if args.workspace is not None and args.workspace <= 0:
        raise InputError("--workspace must be a positive number of MiB, got {}".format(args.workspace))
    if args.calib_count <= 0:
        raise InputError("--calib-count must be positive, got {}".format(args.calib_count))
    if args.output and not args.output.endswith(".engine"):
        raise InputError("--output must end in .engine: {}".format(args.output))
    if args.calib_cache and not args.calib_images and not os.path.isfile(args.calib_cache):
        raise InputError("--calib-cache {} does not exist; give --calib-images to calibrate and write it".format(
            args.calib_cache))
    if (args.calib_images or args.calib_cache) and args.precision != "int8":
        raise InputError("--calib-images/--calib-cache only apply to --int8")
    if args.force_int8 and args.precision != "int8":
        raise InputError("--force-int8 only applies to --int8")
    read_onnx(args.onnx)  # a missing or foreign file is reported before anything heavier
    if verify_requested(args):  # the pictures are listed now, not after minutes of building
        verification_pictures(args, load_model_card(args.onnx))
    check_build_outputs(args)
    for package in ("tensorrt", "pycuda"):
        if not is_installed(package):
            raise InputError(not_installed(package))


def check_build_outputs(args):
    """Every file the build will write, checked before TensorRT spends minutes on it."""
    if args.output:
        check_output(args.output, "--output")
        check_output(args.output + ".json", "--output (its sidecar)")
        refuse_same_file(args.output, "--output", {"MODEL.onnx": args.onnx})
    else:  # named after the precision and GPU once they are known, next to the ONNX
        check_output(os.path.dirname(os.path.abspath(args.onnx)), "the engine's folder (next to the ONNX)",
                     folder=True)
    for flag, path in (("--timing-cache", args.timing_cache), ("--calib-cache", args.calib_cache)):
        if path:
            check_output(path, flag)
            refuse_same_file(path, flag, {"MODEL.onnx": args.onnx, "--output": args.output})


def run(args):
    validate(args)
    from ..calib.trt_calibrator import calibrator_for_request
    from ..core.cuda_context import CudaContext
    from .device import query_device
    from .trt_api import TrtApi

    api = TrtApi(verbose=args.verbose)
    device = query_device()
    request = BuildRequest(args.onnx, args.output, args.precision, args.workspace, args.timing_cache,
                           args.calib_images, args.calib_cache, args.calib_count, args.force_int8)
    cuda = CudaContext()  # TensorRT builds, calibrates and verifies in this context
    try:
        with cuda.active():
            result = build(request, api, device, calibrator_factory=calibrator_for_request)
        if verify_requested(args):
            verify_built_engine(result.engine_path, args.onnx, result.sidecar, api, device, cuda, args)
    finally:
        cuda.close()
    return 0


def verify_requested(args):
    return bool(args.verify or args.verify_images or args.verify_labels)


def verification_pictures(args, card):
    """The precision_check.CheckSet --verify judges on: --verify-images, else --calib-images, else scenes."""
    from ..runtime.precision_check import VerifySpec, check_set_for, verify_spec_from_args

    spec = verify_spec_from_args(args)
    if not spec.images and args.calib_images:  # the user's own pictures, already named
        spec = VerifySpec(args.calib_images, spec.labels, spec.count)
    return check_set_for(card, spec)


def verify_built_engine(engine_path, onnx_path, sidecar, api, device, cuda, args):
    """The engine against ONNX Runtime FP32 on the verification pictures, judged by the precision gate."""
    from ..core.model_info import SIDECAR_CARD_KEY
    from ..runtime.backends.ort import OrtBackend
    from ..runtime.backends.trt_backend import TrtBackend
    from ..runtime.precision_check import compare_backends_on, format_comparison, judge_comparison

    card = sidecar[SIDECAR_CARD_KEY]
    precision = sidecar["precision"]
    check_set = verification_pictures(args, card)
    with TrtBackend(engine_path, card, api=api, cuda=cuda, device=device) as engine, \
            OrtBackend(onnx_path, card) as reference:
        result = compare_backends_on(engine, reference, card, check_set)
    verdict = judge_comparison(precision, result)
    LOG.info("verify: TensorRT %s vs ONNX Runtime (%s) on %s\n%s", precision.upper(), reference.describe(),
             check_set.description, format_comparison(result, "TRT " + precision.upper(), "ORT FP32"))
    if verdict.warning:
        LOG.warning("verify: %s", verdict.warning)
    if not verdict.passed:
        raise WorkFailed("the {} engine against ONNX Runtime on {}: {}; the engine is kept, but check it before "
                         "use".format(precision.upper(), check_set.description, verdict.text))
    LOG.info("PASSED | %s", verdict.text)


def main(argv=None):
    return run_main(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
