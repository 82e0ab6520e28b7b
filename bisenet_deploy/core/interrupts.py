"""Termination signals end every command the way Ctrl-C does, with one exit code per signal.

SIGTERM (systemd, docker stop, kill) and SIGHUP (the SSH session to the robot dropped) raise
Interrupted in the main thread, a KeyboardInterrupt, so the code that finalizes on Ctrl-C (video
sinks, summaries, temporary files) runs for them too. The exit status is 128 + the signal number, as
a shell reports a process killed by that signal: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP.
"""

import signal

# SIGINT too: Python's own handler raises KeyboardInterrupt as well, but does not record the signal
HANDLED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


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


def exit_code(exc):
    # type: (BaseException) -> int
    return 128 + int(interruption_signal(exc))


_received = []  # signals that arrived since install(), first first


def received():
    """The first signal that arrived since install(), or None. A signal can surface as another error:
    raised inside a C extension's import, pybind turns it into ImportError("initialization failed"),
    so the CLI asks this rather than trusting the exception it got."""
    return _received[0] if _received else None


def _raise_interrupted(signum, frame):
    _received.append(signum)
    raise Interrupted(signum)


def install():
    """Make SIGINT, SIGTERM and SIGHUP raise Interrupted; a later one raises again, so a second signal
    aborts the finalizing (what is left half-written is removed by the temporary-file registry)."""
    del _received[:]
    for signum in HANDLED:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # started under nohup: the user asked for this signal to be ignored
        signal.signal(signum, _raise_interrupted)


def ignore_all():
    """Ignore further interruptions while the last clean-up runs."""
    for signum in HANDLED:
        signal.signal(signum, signal.SIG_IGN)


def restore(previous):
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def current_handlers():
    return dict((signum, signal.getsignal(signum)) for signum in HANDLED)
