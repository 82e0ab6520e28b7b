"""Standard output as one more output: a full disk, a pipe closed by its reader or a stdout closed at start
ends the command with one line naming it and the exit code of any unwritable output (2), not with a
traceback or a '?'.

core/cli.run_main runs every command's body through guarded(); the body prints as usual.
"""

import functools
import os
import sys

from .outpaths import OutputError, describe_os_error

NAME = "standard output"


class _GuardedStdout(object):
    """Stands in for sys.stdout while a command runs; everything but write and flush goes to the real one."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        return self._call("write", text)

    def flush(self):
        return self._call("flush")

    def _call(self, method, *args):
        if self._stream is None:  # Python leaves sys.stdout None when file descriptor 1 was closed
            raise OutputError("cannot write {}: it is closed (redirect it to a file or /dev/null)".format(NAME))
        try:
            return getattr(self._stream, method)(*args)
        except OSError as exc:
            _drop_pending(self._stream)
            raise OutputError(describe_os_error(exc, NAME))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _drop_pending(stream):
    """Send what is still buffered to /dev/null: the interpreter flushes stdout at exit, and a second
    failure there would print a traceback-like warning and exit 120."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # a StringIO (tests) has no descriptor and nothing to flush at exit
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def guarded(body):
    """`body(args)` with sys.stdout guarded, flushed before it returns so that a write failing late
    still fails inside the command."""
    @functools.wraps(body)
    def run(args):
        real = sys.stdout
        sys.stdout = guard = _GuardedStdout(real)
        try:
            code = body(args)
            if real is not None:
                guard.flush()
            return code
        finally:
            sys.stdout = real
    return run
