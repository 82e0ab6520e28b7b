"""Command-line plumbing shared by every console script: one-line errors, exit codes, --debug."""

import argparse
import logging
import sys

from .errors import InputError, WorkFailed


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
    """Parse `argv`, run `body(args)` and turn our errors into one stderr line and an exit code."""
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s")
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
