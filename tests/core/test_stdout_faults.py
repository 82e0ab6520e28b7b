"""Standard output is an output like any other: full (/dev/full) or closed, the command ends with one line
naming it, exit 2 as for every output that cannot be written, no traceback, no '?', and no second complaint
from the interpreter's own flush at exit (which would make it 120)."""

import os
import subprocess
import sys

import pytest

COMMANDS = {
    "doctor": ["bisenet_deploy.doctor.main"],  # a long report, written while the command runs
    "scenes": ["bisenet_deploy.scenes.main", "--list-classes"],  # a short one, left in the buffer until the end
}


def run(argv, unbuffered, **kwargs):
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run([sys.executable, "-m"] + argv, env=env, stderr=subprocess.PIPE, timeout=120,
                          universal_newlines=True, **kwargs)


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_stdout_is_one_line_naming_it_exit_2(command, unbuffered):
    with open("/dev/full", "w") as full:
        child = run(COMMANDS[command], unbuffered, stdout=full)
    assert child.returncode == 2, child.stderr
    assert child.stderr.strip().splitlines() == [
        "bisenet-{}: cannot write standard output: the disk is full (no space left on the device)".format(command)]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_closed_stdout_is_one_line_naming_it_exit_2(command):
    child = run(COMMANDS[command], False, preexec_fn=lambda: os.close(1))
    assert child.returncode == 2, child.stderr
    assert child.stderr.strip().splitlines() == [
        "bisenet-{}: cannot write standard output: it is closed (redirect it to a file or /dev/null)".format(command)]
