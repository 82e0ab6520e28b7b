"""bisenet-build-engine: an exported ONNX -> a TensorRT engine for this GPU, plus its sidecar JSON.

Build it on the device that will run it (engines do not carry across GPUs or TensorRT versions).
The precision actually used is always reported: FP16 is the default where the GPU runs it fast;
INT8 is refused on GPUs without fast INT8 (the Jetson TX2) unless --force-int8.
"""

import argparse
import logging
import os
import sys

from ..core.cli import ArgumentParser, add_common_flags, run_main
from ..core.errors import InputError, WorkFailed
from ..core.defaults import CALIBRATION_IMAGES
from ..core.lazy import is_installed, not_installed

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
    parser.add_argument("--verify", action="store_true",
                        help="compare the engine with ONNX Runtime (max abs diff, argmax agreement); exit 1 if off")
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
    for package in ("tensorrt", "pycuda"):
        if not is_installed(package):
            raise InputError(not_installed(package))


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
        if args.verify:
            verify_built_engine(result.engine_path, args.onnx, result.sidecar, api, device, cuda)
    finally:
        cuda.close()
    return 0


def verify_built_engine(engine_path, onnx_path, sidecar, api, device, cuda):
    from ..core.comparison import format_table
    from ..runtime.backends.ort import OrtBackend
    from ..runtime.backends.trt_backend import TrtBackend
    from ..core.model_info import SIDECAR_CARD_KEY
    from .verify import MIN_AGREEMENT, compare_backends, default_inputs, failures

    card = sidecar[SIDECAR_CARD_KEY]
    precision = sidecar["precision"]
    with TrtBackend(engine_path, card, api=api, cuda=cuda, device=device) as engine, \
            OrtBackend(onnx_path, card) as reference:
        rows = compare_backends(engine, reference, card, default_inputs(card))
    LOG.info("verify: TensorRT %s vs ONNX Runtime (%s)\n%s", precision.upper(), reference.describe(),
             format_table(rows))
    bad = failures(rows, precision)
    if bad:
        raise WorkFailed("the {} engine agrees with ONNX Runtime on only {:.2%} of pixels for {} (expected at least "
                         "{:.0%}); the engine is kept, but check it before use".format(
                             precision.upper(), min(r.agreement for r in bad), ", ".join(r.name for r in bad),
                             MIN_AGREEMENT[precision]))
    LOG.info("PASSED | engine agrees with ONNX Runtime (argmax agreement >= %.0f%% on the picture; noise inputs "
             "are shown, not judged)", 100 * MIN_AGREEMENT[precision])


def main(argv=None):
    return run_main(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
