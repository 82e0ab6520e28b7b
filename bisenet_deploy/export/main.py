"""bisenet-export: a BiSeNet-wali checkpoint -> a verified, simplified, TensorRT-linted ONNX file."""

import argparse
import os
import sys

from ..core.cli import ArgumentParser, add_common_flags, parse_size, run_main
from ..core.errors import InputError
from ..core.lazy import lazy_import
from .names import ARCHS, DEFAULT_LINT_TARGET, HEADS, LINT_TARGETS, UPSAMPLE_MODES, VARIANTS

DEFAULT_INPUT_SIZE = (480, 640)
DEFAULT_OPSET = 11  # the highest opset every TensorRT from 7.1 parses
MAX_SIDE = 4096

EPILOG = """examples:
  bisenet-export runs/SUNRGBD/res18_inp32_deconv/checkpoint.pth.tar          -> checkpoint.onnx (labels head, 480x640)
  bisenet-export ckpt.pth -o model.onnx --input-size 512x512 --head logits
  bisenet-export ckpt.pth --target-trt 7.1                                   JetPack 4.4/4.5 (auto picks matmul)
  bisenet-export ckpt.pth --upsample deconv --min-agreement 0.9              the seed's deconv upsampling
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-export", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="BiSeNet-wali .pth / .pth.tar (training dict, state_dict or DataParallel)")
    parser.add_argument("-o", "--output", help="output .onnx (default: next to the checkpoint, same stem)")
    model = parser.add_argument_group("model (inferred from the checkpoint; flags override)")
    model.add_argument("--arch", choices=ARCHS)
    model.add_argument("--in-planes", type=int)
    model.add_argument("--num-classes", type=int)
    model.add_argument("--variant", choices=VARIANTS)
    model.add_argument("--classes", help="CSV of name,r,g,b (default: SUN RGB-D 37 with the seed's colours)")
    model.add_argument("--trust-checkpoint", action="store_true",
                       help="allow full unpickling (runs code from the file); only for files you trust")
    graph = parser.add_argument_group("graph")
    graph.add_argument("--input-size", type=parse_size, default=DEFAULT_INPUT_SIZE, metavar="HxW",
                       help="network input, multiples of 16 (default: 480x640)")
    graph.add_argument("--batch", type=int, default=1, help="static batch size (default: 1)")
    graph.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default: 11)")
    graph.add_argument("--head", choices=HEADS, default="labels",
                       help="labels: x8 bilinear + ArgMax -> int32 label map (default); logits: 1/8 scores")
    graph.add_argument("--upsample", choices=("auto",) + UPSAMPLE_MODES, default="auto",
                       help="how bilinear upsampling is expressed: auto (default) = resize for --target-trt "
                            ">= 8.0, matmul for 7.1 (both exact); deconv = fixed depthwise ConvTranspose "
                            "(exact only for align_corners=False, so an approximation here)")
    graph.add_argument("--no-simplify", action="store_true", help="skip onnx-simplifier")
    checks = parser.add_argument_group("checks")
    checks.add_argument("--target-trt", choices=LINT_TARGETS, default=DEFAULT_LINT_TARGET,
                        help="TensorRT version to lint for (default: 8.2, JetPack 4.6.1+)")
    checks.add_argument("--no-lint", action="store_true", help="report TensorRT lint violations without failing")
    checks.add_argument("--min-agreement", type=float, default=None, metavar="P",
                        help="lowest argmax agreement (0-1) accepted for an approximate upsample (default: 0.9)")
    add_common_flags(parser)
    return parser


def validate_args(args):
    height, width = args.input_size
    if height % 16 or width % 16:
        raise InputError("--input-size {}x{}: both sides must be multiples of 16 (the deconv fusion and the "
                         "1/16 context path need it); e.g. {}x{}".format(
                             height, width, max(16, height // 16 * 16), max(16, width // 16 * 16)))
    if max(height, width) > MAX_SIDE:
        raise InputError("--input-size {}x{} is larger than {} pixels a side".format(height, width, MAX_SIDE))
    if args.batch < 1 or args.batch > 64:
        raise InputError("--batch must be between 1 and 64, got {}".format(args.batch))
    if not 7 <= args.opset <= 20:
        raise InputError("--opset must be between 7 and 20, got {}".format(args.opset))
    if args.upsample != "deconv" and args.opset < 11:
        raise InputError("--opset {} cannot express bilinear align_corners=True; use 11 or higher".format(args.opset))
    if args.min_agreement is not None and not 0.0 <= args.min_agreement <= 1.0:
        raise InputError("--min-agreement must be between 0 and 1, got {}".format(args.min_agreement))
    for name in ("in_planes", "num_classes"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError("--{} must be positive, got {}".format(name.replace("_", "-"), value))


def resolve_upsample(mode, target_trt):
    # type: (str, str) -> str
    """auto -> the cheapest exact form the target parses: Resize from 8.0 (7.1 maps its align_corners
    modes wrongly), constant interpolation matrices on 7.1."""
    if mode != "auto":
        return mode
    return "matmul" if target_trt == "7.1" else "resize"


def default_output(checkpoint):
    # type: (str) -> str
    stem = os.path.basename(checkpoint)
    for suffix in (".pth.tar", ".pth", ".pt", ".tar", ".ckpt"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(checkpoint)), stem + ".onnx")


def export(args, log=print):
    """Run the whole export; returns the card of the written model."""
    validate_args(args)
    # Fail with an install hint before any work, rather than deep inside a stage.
    for package in ("torch", "onnx", "onnxruntime") + (() if args.no_simplify else ("onnxsim",)):
        lazy_import(package, "bisenet-export")
    from . import pipeline

    args.upsample = resolve_upsample(args.upsample, args.target_trt)
    output = args.output or default_output(args.checkpoint)
    if not output.endswith(".onnx"):
        raise InputError("output must end in .onnx: {}".format(output))
    return pipeline.run(args, output, log)


def main(argv=None):
    return run_main(lambda args: export(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
