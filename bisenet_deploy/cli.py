"""Command-line plumbing shared by every console script: one-line errors, exit codes, --debug."""

import argparse
import logging
import sys
import threading

from . import interrupts, leftovers
from .errors import InputError, WorkFailed
from .outpaths import describe_os_error
from .quiet import quiet_opencv


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits 2."""

    def error(self, message):
        self.exit(2, "{}: error: {} (see --help)\n".format(self.prog, message))


def add_debug_flag(parser):
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")


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


def run_main(body, parser, argv=None):
    # type: (callable, argparse.ArgumentParser, list) -> int
    """Parse `argv`, run `body(args)` and turn our errors into one stderr line and an exit code.

    Exit codes: 0 ok, 1 the work failed, 2 bad usage/input (an unwritable output included), 128+N when
    signal N ended the run (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). Whatever ends it, no temporary file
    is left behind."""
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s")
    quiet_opencv(debug)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = interrupts.current_handlers() if in_main_thread else {}
    outer_leftovers = set(leftovers.pending())
    if in_main_thread:
        interrupts.install()
    try:
        return _run_body(body, args, parser.prog, debug)
    finally:
        if in_main_thread:
            interrupts.ignore_all()  # a late signal must not stop the clean-up half-way
        leftovers.remove_all(keep=outer_leftovers)
        interrupts.restore(previous)


def _run_body(body, args, prog, debug):
    try:
        return body(args) or 0
    except (InputError, WorkFailed) as exc:
        if debug:
            raise
        sys.stderr.write("{}: {}\n".format(prog, exc))
        return exc.exit_code
    except OSError as exc:  # an output the OS refused: said in words, as bad input (2)
        if debug:
            raise
        sys.stderr.write("{}: {}\n".format(prog, describe_os_error(exc)))
        return 2
    except KeyboardInterrupt as exc:
        sys.stderr.write("{}: interrupted ({})\n".format(prog, interrupts.signal_name(
            interrupts.interruption_signal(exc))))
        return interrupts.exit_code(exc)
