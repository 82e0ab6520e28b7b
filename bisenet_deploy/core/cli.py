"""Command-line plumbing shared by every console script: one-line errors, exit codes, --version,
--debug/--verbose, and the argument groups more than one command takes."""

import argparse
import logging
import sys

from .. import __version__
from .errors import InputError, WorkFailed

# TensorRT's own messages arrive on this logger (engines/trt_api.python_logger); --verbose shows its chatter.
TENSORRT_LOGGER = "bisenet_deploy.tensorrt"  # the same name as engines.trt_api.TENSORRT_LOG


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits 2; every command has --version."""

    def __init__(self, *args, **kwargs):
        super(ArgumentParser, self).__init__(*args, **kwargs)
        self.add_argument("--version", action="version", version="%(prog)s {}".format(__version__))

    def error(self, message):
        self.exit(2, "{}: error: {} (see --help)\n".format(self.prog, message))


def add_debug_flag(parser):
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")


def add_common_flags(parser):
    """--debug (tracebacks, debug logging) and --verbose (TensorRT's verbose log, through Python logging)."""
    add_debug_flag(parser)
    parser.add_argument("--verbose", action="store_true", help="TensorRT's verbose log")


def add_alias(group, old, new, **kwargs):
    """Accept the old spelling `old` of `new` for one release, hidden from --help."""
    group.add_argument(old, dest=new.lstrip("-").replace("-", "_"), help=argparse.SUPPRESS, **kwargs)


def parse_size(text):
    # type: (str) -> tuple
    """'480x640' -> (480, 640); argparse type for HxW options."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        height, width = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError("expected HxW such as 480x640, got {!r}".format(text))
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive, got {!r}".format(text))
    return height, width


def add_model_args(parser, backend_choices):
    """The 'model' group of bisenet-run and bisenet-eval: the model file, its backend, card overrides."""
    group = parser.add_argument_group("model", "what runs (settings come from the model card)")
    group.add_argument("--model", required=True, metavar="MODEL", help=".onnx, .engine or .pth")
    group.add_argument("--backend", choices=backend_choices, default="auto",
                       help="auto (default): trt for an engine with TensorRT present, ort for ONNX, torch for .pth")
    group.add_argument("--threads", type=int, help="CPU threads for the network (default: the backend's choice)")
    group.add_argument("--input-size", type=parse_size, metavar="HxW", help="override/supply the input size")
    group.add_argument("--num-classes", type=int, help="supply the class count for an ONNX without a model card")
    group.add_argument("--head", choices=("labels", "logits"), help="supply the head for an ONNX without a card")
    group.add_argument("--classes", help="CSV of name,r,g,b overriding the card's class names and colours")
    return group


def model_overrides(ns):
    """The card overrides the 'model' group's flags ask for (None: not given)."""
    return {"input_size": ns.input_size, "num_classes": ns.num_classes, "head": ns.head, "classes_csv": ns.classes}


def _configure_logging(args):
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s")
    verbose = getattr(args, "verbose", False)
    logging.getLogger(TENSORRT_LOGGER).setLevel(logging.DEBUG if (verbose or debug) else logging.WARNING)
    return debug


def run_main(body, parser, argv=None):
    # type: (callable, argparse.ArgumentParser, list) -> int
    """Parse `argv`, run `body(args)` and turn our errors into one stderr line and an exit code."""
    args = parser.parse_args(argv)
    debug = _configure_logging(args)
    try:
        return body(args) or 0
    except (InputError, WorkFailed) as exc:
        if debug:
            raise
        sys.stderr.write("{}: {}\n".format(parser.prog, exc))
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("{}: interrupted\n".format(parser.prog))
        return 130
