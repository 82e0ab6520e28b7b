"""Termination signals end every command the way Ctrl-C does, with one exit code per signal.

SIGTERM (systemd, docker stop, kill) and SIGHUP (the SSH session to the robot dropped) raise
Interrupted in the main thread, a KeyboardInterrupt, so the code that finalizes on Ctrl-C (video
sinks, summaries, temporary files) runs for them too. The exit status is 128 + the signal number, as
a shell reports a process killed by that signal: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP.

The console scripts (bisenet_deploy/commands.py) install the handlers before their first heavy
import. Python runs a handler only in the main thread between bytecodes, never inside native code;
no native thread may call back into Python either (runtime/backends/openvino_backend.py says why).
"""

import contextlib
import os
import signal
import sys
import time

# SIGINT too: Python's own handler raises KeyboardInterrupt as well, but does not record the signal
HANDLED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
IMPORT_RETRY_S = 0.05  # how often an alarm looks whether the import a signal came in is over
IMPORT_WAIT_S = 0.5  # how long it waits for that: torch takes seconds, and the command must end in one


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived; `signum` says which."""

    def __init__(self, signum):
        super(Interrupted, self).__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum):
    # type: (int) -> str
    try:
        return signal.Signals(signum).name
    except ValueError:
        return "signal {}".format(signum)


def interruption_signal(exc):
    # type: (BaseException) -> int
    """The signal behind a KeyboardInterrupt: its own for Interrupted, SIGINT for a plain Ctrl-C."""
    return getattr(exc, "signum", signal.SIGINT)


_received = []  # signals that arrived since install(), first first
_starting = []  # the command whose modules are being imported (starting())
_deferred = []  # [signal, when to raise it at the latest]: one that came during an import


def received():
    """The first signal that arrived since install(), or None. A signal can surface as another error
    (a library that wraps what it catches) or be swallowed (a broad except), so the CLI asks this
    rather than trusting the exception it got."""
    return _received[0] if _received else None


def check():
    """Raise Interrupted if a signal arrived whose exception some library swallowed: called where work
    goes on (every frame), so such a signal still ends the run within a second."""
    if _received:
        _raise(_received[0])


@contextlib.contextmanager
def starting(prog):
    """While `prog` imports its modules (a second or more: numpy, OpenCV, the runtimes) nothing is open
    or written yet: a signal then ends the process at once, with its line and exit code."""
    _starting.append(prog)
    try:
        yield
    finally:
        _starting.remove(prog)


def _raise_interrupted(signum, frame):
    _received.append(signum)
    if _starting:
        sys.stderr.flush()
        os._exit(report(_starting[-1], signum))
    if _importing(frame):
        # C extensions print an exception raised inside their import, or swallow it (OpenCV's, numpy's
        # import_array): an alarm raises it once the import is over, or IMPORT_WAIT_S later
        if not _deferred:
            _deferred.extend((signum, time.monotonic() + IMPORT_WAIT_S))
            signal.signal(signal.SIGALRM, _after_import)
            signal.setitimer(signal.ITIMER_REAL, IMPORT_RETRY_S)
        return
    _raise(signum)


def _after_import(signum, frame):
    if _deferred and _importing(frame) and time.monotonic() < _deferred[1]:
        signal.setitimer(signal.ITIMER_REAL, IMPORT_RETRY_S)
    elif _deferred:
        _raise(_deferred[0])


def _raise(signum):
    _disarm()  # one signal, one exception
    raise Interrupted(signum)


def _disarm():
    if _deferred:
        del _deferred[:]
        signal.setitimer(signal.ITIMER_REAL, 0)


def _importing(frame):
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _note(signum, frame):
    _received.append(signum)


def _installed():
    return any(signal.getsignal(signum) in (_raise_interrupted, _note) for signum in HANDLED)


def install(take=()):
    """Make SIGINT, SIGTERM and SIGHUP raise Interrupted; a later one raises again, so a second signal
    aborts the finalizing (what is left half-written is removed by the temporary-file registry).

    A signal ignored at start stays ignored (nohup, or a script's background job for SIGINT) unless it
    is in `take`. Installing again (the console script installs before its imports, then run_main)
    keeps the signals received meanwhile."""
    if not _installed():
        del _received[:]
    for signum in HANDLED:
        if signal.getsignal(signum) is signal.SIG_IGN and signum not in take:
            continue  # started under nohup: the user asked for this signal to be ignored
        signal.signal(signum, _raise_interrupted)


def hold():
    """From now on a signal is noted (received() says so) but raises nothing: the clean-up, or the exit
    once the exit code is known, runs to its end."""
    _disarm()
    for signum in HANDLED:
        if signal.getsignal(signum) is _raise_interrupted:
            signal.signal(signum, _note)


def report(prog, signum):
    # type: (str, int) -> int
    """Say that signal `signum` ended `prog`, in one line on stderr; the exit code, 128 + signum."""
    sys.stderr.write("{}: interrupted ({})\n".format(prog, signal_name(signum)))
    return 128 + int(signum)


def restore(previous):
    """Give back the handlers current_handlers() returned; the signals received are forgotten once none
    of ours is left (a test runs commands one after another in one process)."""
    _disarm()
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    if not _installed():
        del _received[:]


def current_handlers():
    return dict((signum, signal.getsignal(signum)) for signum in HANDLED)
