"""bisenet-package: artefacts for NVIDIA's scale-out engines from one exported model.
  --triton REPO      a Triton model repository entry (config.pbtxt checked with Triton's schema)
  --deepstream DIR   a DeepStream nvinfer config for semantic segmentation (DeepStream 6.0.1 on a TX2,
                     6.x on Orin), with labels and a deepstream-app config for N cameras batched
                     on one Jetson"""

import argparse
import os
import re
import shutil
import sys

from ..core.cli import ArgumentParser, add_common_flags, run_main
from ..core.errors import InputError
from ..core.model_info import load_model_card, model_kind
from .deepstream import write_deepstream
from .triton_repo import PLATFORM_CHOICES, PYTHON_RUNTIMES, choose_platform, write_triton_model

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
EPILOG = """examples:
  bisenet-package model.onnx --triton repo                         python platform here (CPU server), onnxruntime
                                                                   where NVIDIA's tritonserver is on PATH
  bisenet-package model.onnx --triton repo --raw-input             robots send uint8 RGB, normalized in the graph
  bisenet-package model.onnx --triton repo --platform onnxruntime --trt-accelerator fp16
  bisenet-package model.fp16.engine --triton repo --name bisenet   a TensorRT plan for the GPU it was built on
  bisenet-package model_logits.onnx --deepstream ds --sources 4    nvinfer + deepstream-app configs, 4 cameras
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-package", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL", help=".onnx or .engine (with its sidecar) from this toolchain")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--triton", metavar="REPO", help="write REPO/NAME/config.pbtxt and REPO/NAME/1/<model>")
    target.add_argument("--deepstream", metavar="DIR", help="write DIR/config_infer_bisenet.txt and its companions")
    triton = parser.add_argument_group("triton")
    triton.add_argument("--name", help="model name on the server (default: the model file's stem)")
    triton.add_argument("--platform", choices=PLATFORM_CHOICES, default="auto",
                        help="auto (default): tensorrt for an .engine; for an .onnx onnxruntime where NVIDIA's "
                             "tritonserver is on PATH, else python (ONNX Runtime or OpenVINO in the python backend, "
                             "for CPU servers such as bisenet-serve's own)")
    triton.add_argument("--max-batch", type=int, default=8, help="largest batch the server gathers (default: 8)")
    triton.add_argument("--instances", type=int, default=1, help="model instances per device (default: 1)")
    triton.add_argument("--instance-kind", choices=("auto", "cpu", "gpu"), default="auto",
                        help="auto (default): gpu for onnxruntime and tensorrt, cpu for python and openvino")
    triton.add_argument("--raw-input", action="store_true",
                        help="take uint8 RGB frames (N x H x W x 3) and normalize inside the graph: 4x fewer bytes")
    triton.add_argument("--python-runtime", choices=PYTHON_RUNTIMES, default="onnxruntime",
                        help="what the python platform runs the model with (default: onnxruntime)")
    triton.add_argument("--threads", type=int, default=0, help="python platform: threads per instance (default: "
                                                                "the runtime's choice)")
    triton.add_argument("--trt-accelerator", choices=("fp16", "int8"),
                        help="onnxruntime platform on a GPU server: TensorRT execution provider at this precision")
    parser.add_argument("--int8-calib-file", metavar="CACHE",
                        help="the TensorRT calibration cache bisenet-build-engine --int8 --calib-cache writes, "
                             "for INT8 (--trt-accelerator int8, or DeepStream's network-mode=1)")
    deepstream = parser.add_argument_group("deepstream")
    deepstream.add_argument("--sources", type=int, default=4,
                            help="cameras in the deepstream-app config, batched together (default: 4)")
    deepstream.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp16",
                            help="nvinfer network-mode (default: fp16; int8 needs --int8-calib-file, and no TX2 "
                                 "runs INT8 fast)")
    add_common_flags(parser)
    return parser


def _check_counts(args):
    for flag, value in (("--max-batch", args.max_batch), ("--instances", args.instances),
                        ("--sources", args.sources)):
        if not 1 <= value <= 64:
            raise InputError("{} must be between 1 and 64, got {}".format(flag, value))
    if args.threads < 0:
        raise InputError("--threads must be 0 (the runtime's choice) or more, got {}".format(args.threads))
    if args.int8_calib_file and not os.path.isfile(args.int8_calib_file):
        raise InputError("--int8-calib-file not found: {}".format(args.int8_calib_file))


def package(args, log=print):
    _check_counts(args)
    kind = model_kind(args.model)
    if kind not in ("onnx", "engine"):
        raise InputError("{}: bisenet-package takes an .onnx or an .engine; export the checkpoint first with "
                         "bisenet-export".format(args.model))
    card = load_model_card(args.model)
    if args.deepstream:
        written = write_deepstream(args.model, kind, card, args.deepstream, args.sources, args.precision,
                                   args.int8_calib_file)
        log("wrote {}: {}".format(args.deepstream, ", ".join(written)))
        return 0
    name = args.name or os.path.basename(args.model).split(".")[0]
    if not NAME_PATTERN.match(name):
        raise InputError("--name {!r}: use letters, digits, '_', '-' and '.'".format(name))
    platform = choose_platform(args.platform, kind, shutil.which("tritonserver") is not None)
    gpu = None if args.instance_kind == "auto" else args.instance_kind == "gpu"
    model = write_triton_model(args.model, kind, card, args.triton, name, platform, args.max_batch, args.instances,
                               args.raw_input, args.trt_accelerator, args.int8_calib_file, args.python_runtime,
                               gpu, args.threads)
    log("wrote {} ({} platform, {}, max batch {}, {} input {})".format(
        model.folder, platform + ("/" + args.python_runtime if platform == "python" else ""),
        "config.pbtxt checked with Triton's schema", model.max_batch_size or "fixed",
        model.card["input"]["dtype"], "x".join(str(d) for d in model.card["input"]["shape"][1:])))
    for note in model.notes:
        log("note: " + note)
    return 0


def main(argv=None):
    return run_main(package, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
