"""Command-line plumbing shared by every console script: one-line errors, exit codes, --version,
--debug/--verbose, and the argument groups more than one command takes."""

import argparse
import logging
import sys
import threading

from .. import __version__
from . import interrupts, leftovers
from .errors import InputError, WorkFailed
from .model_info import TRITON_SCHEME
from .outpaths import describe_os_error
from .quiet import quiet_opencv
from .stdout import guarded as guard_stdout

# TensorRT's own messages arrive on this logger (engines/trt_api.python_logger); --verbose shows its chatter.
TENSORRT_LOGGER = "bisenet_deploy.tensorrt"  # the same name as engines.trt_api.TENSORRT_LOG
# rospy's own INFO lines ("topicmanager initialized", "signal_shutdown [atexit]", the last line a command
# printed) reach stderr through the root logger; a node's rospy.loginfo goes to "rosout", not here
ROSPY_LOGGER = "rospy"
PACKAGE_LOGGER = "bisenet_deploy"  # every module's logger is named below it


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


PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16", "int8")  # what --precision offers (openvino chooses)


def add_model_args(parser, backend_choices):
    """The 'model' group of bisenet-run and bisenet-eval: the model file, its backend and precision, card
    overrides."""
    group = parser.add_argument_group("model", "what runs (settings come from the model card)")
    group.add_argument("--model", metavar="MODEL", help=".onnx, .engine or .pth (required unless --server)")
    add_server_args(group)
    group.add_argument("--backend", choices=backend_choices, default="auto",
                       help="auto (default): trt for an engine with TensorRT present; for ONNX openvino where it is "
                            "installed and the CPU has native BF16 or the model is INT8, else ort; torch for .pth")
    group.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                       help="openvino: auto (default: the fastest this CPU runs natively) or fp32|bf16|fp16|int8 "
                            "(int8: a .qdq.onnx from bisenet-calibrate); other backends run FP32 or their engine's")
    add_verify_flags(group, "openvino: compare a reduced precision with FP32 before the first frame and refuse it "
                            "when the mIoU drops more than 1 point (with labels) or too many pixels change")
    group.add_argument("--threads", type=int, help="CPU threads for the network (default: the backend's choice)")
    group.add_argument("--input-size", type=parse_size, metavar="HxW",
                       help="supply the input size for an ONNX without a card; a checkpoint runs at it "
                            "(default: 480x640, as bisenet-export)")
    add_card_overrides(group)
    return group


def add_server_args(group):
    """--server and --model-name: the model runs on a Triton server (--backend triton)."""
    group.add_argument("--server", metavar="HOST:PORT",
                       help="--backend triton: the Triton server's gRPC address (bisenet-serve prints it; default "
                            "port 8001); the model card comes from the server")
    group.add_argument("--model-name", metavar="NAME",
                       help="--backend triton: the served model (default: the server's only model)")
    return group


def resolve_model(args):
    """Check --model/--server/--backend together; for a server, args.model becomes the address
    triton://HOST:PORT/NAME that the model card and the backends take."""
    remote = args.backend == "triton" or args.server or args.model_name
    if not remote:
        if not args.model:
            raise InputError("--model is required (or --backend triton --server HOST:PORT)")
        return args
    if args.model:
        raise InputError("--model {} and --server exclude each other: the server runs its own model".format(args.model))
    if not args.server:
        raise InputError("--backend triton needs --server HOST:PORT (the server's gRPC address)")
    if args.backend not in ("auto", "triton"):
        raise InputError("--server needs --backend triton, not --backend {}".format(args.backend))
    args.backend = "triton"
    args.model = "{}{}/{}".format(TRITON_SCHEME, args.server, args.model_name or "")
    return args


def add_verify_flags(group, verify_help):
    """--verify and the pictures it judges on (runtime/precision_check.py, core/precision_gate.py)."""
    group.add_argument("--verify", action="store_true", help=verify_help)
    group.add_argument("--verify-images", metavar="DIR|GLOB|VIDEO",
                       help="your pictures to verify on (implies --verify; a bisenet-scenes folder brings its labels; "
                            "default: generated labelled scenes, for SUN RGB-D 37-class models)")
    group.add_argument("--verify-labels", metavar="DIR",
                       help="label PNGs named like the --verify-images pictures: judge the mIoU drop, not agreement")
    group.add_argument("--verify-count", type=int, metavar="N",
                       help="verify on at most N pictures (default: 16 of yours, 8 generated scenes)")
    return group


def add_card_overrides(group):
    """What an ONNX made by another tool cannot say about itself (bisenet-export's card says it all)."""
    group.add_argument("--num-classes", type=int, help="supply the class count for an ONNX without a model card")
    group.add_argument("--head", choices=("labels", "logits"), help="supply the head for an ONNX without a card")
    group.add_argument("--mean", type=float, nargs=3, metavar=("R", "G", "B"),
                       help="normalization mean of an ONNX made elsewhere, on 0..1 pixels (default: ImageNet's)")
    group.add_argument("--std", type=float, nargs=3, metavar=("R", "G", "B"),
                       help="normalization std of an ONNX made elsewhere (default: ImageNet's)")
    group.add_argument("--classes", help="CSV of name,r,g,b overriding the card's class names and colours")
    return group


def model_overrides(ns):
    """The card overrides the model flags ask for (None: not given)."""
    return {"input_size": getattr(ns, "input_size", None), "num_classes": ns.num_classes, "head": ns.head,
            "mean": ns.mean, "std": ns.std, "classes_csv": ns.classes}


def _configure_logging(args):
    debug = getattr(args, "debug", False)
    # INFO is ours only: other libraries' (onnxruntime's quantizer, torch's exit statistics) would bury it
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(message)s")
    logging.getLogger(PACKAGE_LOGGER).setLevel(logging.DEBUG if debug else logging.INFO)
    verbose = getattr(args, "verbose", False)
    logging.getLogger(TENSORRT_LOGGER).setLevel(logging.DEBUG if (verbose or debug) else logging.WARNING)
    logging.getLogger(ROSPY_LOGGER).setLevel(logging.DEBUG if debug else logging.WARNING)
    return debug


def run_main(body, parser, argv=None):
    # type: (callable, argparse.ArgumentParser, list) -> int
    """Parse `argv`, run `body(args)` and turn our errors into one stderr line and an exit code.

    Exit codes: 0 ok, 1 the work failed, 2 bad usage/input (an unwritable output included), 128+N when
    signal N ended the run (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). Whatever ends it, no temporary file
    is left behind."""
    args = parser.parse_args(argv)
    debug = _configure_logging(args)
    quiet_opencv(debug)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = interrupts.current_handlers() if in_main_thread else {}
    outer_leftovers = set(leftovers.pending())  # an enclosing command's (bench runs export in-process)
    if in_main_thread:
        interrupts.install()
    code = None
    try:
        code = _run_body(guard_stdout(body), args, parser.prog, debug)  # a full or closed stdout: exit 2
    finally:
        if in_main_thread:
            interrupts.hold()  # a late signal must not stop the clean-up half-way; it is only noted
        leftovers.remove_all(keep=outer_leftovers)
        if code == 0 and interrupts.received() is not None:  # it came during the clean-up
            code = interrupts.report(parser.prog, interrupts.received())
        interrupts.restore(previous)
    return code


def _run_body(body, args, prog, debug):
    try:
        code = body(args) or 0
    except (InputError, WorkFailed, OSError) as exc:
        if interrupts.received() is not None:  # the signal surfaced as this error (see interrupts.received)
            return _interrupted(prog, interrupts.Interrupted(interrupts.received()))
        if debug:
            raise
        if isinstance(exc, OSError):  # an output the OS refused: said in words, as bad input (2)
            sys.stderr.write("{}: {}\n".format(prog, describe_os_error(exc, writing=None)))
            return 2
        sys.stderr.write("{}: {}\n".format(prog, exc))
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(prog, exc)
    except Exception:
        if interrupts.received() is None:
            raise
        return _interrupted(prog, interrupts.Interrupted(interrupts.received()))  # it surfaced as another error
    if interrupts.received() is not None:  # some library swallowed the exception the signal raised
        return _interrupted(prog, interrupts.Interrupted(interrupts.received()))
    return code


def _interrupted(prog, exc):
    return interrupts.report(prog, interrupts.interruption_signal(exc))
