"""A command started as its console script starts it, a real signal at a chosen moment after the start,
and what came back. The console script installs its handlers first (/proc/PID/status shows SIGTERM
caught), some 30 ms after the start; before that the interpreter itself is starting and no Python code
can run, so a signal due earlier waits for them, up to HANDLERS_BY_S after the start (the imports that
follow take 0.3 to 1 s)."""

import os
import signal
import subprocess
import sys
import time

# The console script's own lines (pyproject.toml: bisenet_deploy.commands), after a test's `prelude`
CONSOLE_SCRIPT = "import sys; {}; from bisenet_deploy import commands; sys.exit(commands.{}())"
HANDLERS_BY_S = 0.15  # five times what they take on an idle machine
EXIT_TIMEOUT_S = 30.0  # a bound for the test; the assertions ask for far less


def as_from_a_terminal():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # not ignored, as it is when these tests run in the background


def start(function, argv, env=None, prelude="pass", preexec_fn=as_from_a_terminal, **popen):
    """The console script `function` of bisenet_deploy.commands (run, ros, ...) with `argv`."""
    child = subprocess.Popen([sys.executable, "-c", CONSOLE_SCRIPT.format(prelude, function)] + [str(a) for a in argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})), preexec_fn=preexec_fn,
                             **popen)
    child.started = time.monotonic()
    return child


def caught_signals(pid):
    with open("/proc/{}/status".format(pid)) as status:
        for line in status:
            if line.startswith("SigCgt:"):
                mask = int(line.split()[1], 16)
                return set(signum for signum in range(1, 64) if mask & (1 << (signum - 1)))
    return set()


def wait_for_handlers(child):
    deadline = child.started + HANDLERS_BY_S
    while signal.SIGTERM not in caught_signals(child.pid) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)


class Outcome(object):
    def __init__(self, code, seconds, stdout, stderr):
        self.code, self.seconds = code, seconds
        self.stdout, self.stderr = stdout.decode(errors="replace"), stderr.decode(errors="replace")

    def __repr__(self):
        return "exit {} {:.2f} s after the signal\nstdout: {}\nstderr: {}".format(
            self.code, self.seconds, self.stdout[-2000:], self.stderr[-3000:])


def signal_at(child, moment, signum):
    """Send `signum` `moment` seconds after the child started; its Outcome."""
    time.sleep(max(0.0, child.started + moment - time.monotonic()))
    wait_for_handlers(child)
    os.kill(child.pid, signum)
    sent = time.monotonic()
    try:
        stdout, stderr = child.communicate(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, stderr = child.communicate()
    return Outcome(child.returncode, time.monotonic() - sent, stdout, stderr)


def ended_by(outcome, prog, signum, within_s):
    """True when the signal ended `prog` the documented way: 128 + N within `within_s`, its one line
    last on stderr, no traceback, no native abort."""
    lines = outcome.stderr.strip().splitlines()
    return (outcome.code == 128 + signum and outcome.seconds < within_s and
            lines[-1:] == ["{}: interrupted ({})".format(prog, signal.Signals(signum).name)] and
            outcome.stderr.count("interrupted (") == 1 and "Traceback" not in outcome.stderr and
            "FATAL" not in outcome.stderr)
