"""bisenet-export: a BiSeNet checkpoint (BiSeNet-wali, CoinCheung V1/V2, mmsegmentation V1/V2) -> a
verified, simplified, TensorRT-linted ONNX file whose card carries the dataset's classes and normalization."""

import argparse
import sys

from ..core.cli import ArgumentParser, add_common_flags, parse_size, run_main
from .api import DEFAULT_INPUT_SIZE, DEFAULT_OPSET, ExportSettings, export_onnx
from ..core.datasets import DATASETS
from .families import NAMES as FAMILIES
from .names import ARCHS, DEFAULT_LINT_TARGET, HEADS, LINT_TARGETS, UPSAMPLE_MODES, VARIANTS

EPILOG = """examples:
  bisenet-export runs/SUNRGBD/res18_inp32_deconv/checkpoint.pth.tar    -> checkpoint.onnx (labels head)
  bisenet-export model_final_v2_city.pth                               CoinCheung V2: Cityscapes classes and statistics
  bisenet-export ckpt.pth -o model.onnx --input-size 512x512 --head logits
  bisenet-export ckpt.pth --target-trt 7.1                             JetPack 4.4/4.5 (auto picks matmul)
  bisenet-export ckpt.pth --dynamic-batch 8                            batches 1..8 (TensorRT profile 1..8)
  bisenet-export bisenet_deploy/data/scenes_res18_inp16.pth --upsample deconv
                                    deconv stands in for align_corners=True: approximate, and measured
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-export", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help=".pth / .pth.tar: a training dict (the seed's, mmseg's), a state_dict or a "
                                           "DataParallel one")
    parser.add_argument("-o", "--output", help="output .onnx (default: next to the checkpoint, same stem)")
    model = parser.add_argument_group("model (read off the checkpoint's key names and shapes; flags override)")
    model.add_argument("--family", choices=FAMILIES, help="skip detection: the project the checkpoint comes from")
    model.add_argument("--arch", choices=ARCHS, help="BiSeNet-wali only: the context path")
    model.add_argument("--in-planes", type=int, help="BiSeNet-wali only: the context path's width")
    model.add_argument("--num-classes", type=int)
    model.add_argument("--variant", choices=VARIANTS, help="BiSeNet-wali only: the fusion")
    data = parser.add_argument_group("data (default: the dataset the class count names, with the normalization "
                                     "its source project trains with)")
    data.add_argument("--dataset", choices=tuple(DATASETS), help="its classes, colours and normalization")
    data.add_argument("--classes", help="CSV of name,r,g,b (default: the dataset's)")
    data.add_argument("--mean", type=float, nargs=3, metavar=("R", "G", "B"),
                      help="normalization mean on RGB in [0, 1] (default: the dataset's for this family)")
    data.add_argument("--std", type=float, nargs=3, metavar=("R", "G", "B"), help="normalization std, likewise")
    model.add_argument("--trust-checkpoint", action="store_true",
                       help="allow full unpickling (runs code from the file); only for files you trust")
    graph = parser.add_argument_group("graph")
    graph.add_argument("--input-size", type=parse_size, default=None, metavar="HxW",
                       help="network input, multiples of 16 (BiSeNet-wali) or 32 (V1/V2) (default: the size the "
                            "checkpoint records, else {}x{})".format(*DEFAULT_INPUT_SIZE))
    graph.add_argument("--batch", type=int, default=1, help="static batch size (default: 1)")
    graph.add_argument("--dynamic-batch", type=int, metavar="N",
                       help="a dynamic batch axis taking 1..N frames (TensorRT: an optimization profile 1..N)")
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


def settings_from_args(args):
    """The export settings the parsed flags ask for (export_onnx's keyword arguments)."""
    names = [name for name in ExportSettings._fields if name not in ("simplify", "lint")]
    settings = dict((name, getattr(args, name)) for name in names)
    settings.update(simplify=not args.no_simplify, lint=not args.no_lint)
    settings.update(mean=args.mean and tuple(args.mean), std=args.std and tuple(args.std))
    return settings


def export(args, log=print):
    """Run the whole export for parsed flags; returns the card of the written model."""
    return export_onnx(args.checkpoint, args.output, log=log, **settings_from_args(args))


def main(argv=None):
    return run_main(lambda args: export(args) and 0, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
