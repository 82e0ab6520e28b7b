"""run_main, the plumbing of every command: the exit status follows the signal even when the signal
surfaced as another error (pybind turns an exception raised inside a C extension's import into
ImportError) or was swallowed; an OSError nobody expected is still one line in words, exit 2."""

import os
import signal
import time

import pytest

from bisenet_deploy.core.cli import ArgumentParser, run_main
from bisenet_deploy.core.errors import InputError


def signal_self(signum):
    os.kill(os.getpid(), signum)
    time.sleep(1.0)  # the handler runs at the next bytecode; the sleep is interrupted by it


def converted(signum):
    def body(args):
        try:
            signal_self(signum)
        except KeyboardInterrupt:  # what a C extension's init does with it
            raise InputError("needs onnxruntime, which is not importable (initialization failed)")
    return body


def swallowed(signum):
    def body(args):
        try:
            signal_self(signum)
        except KeyboardInterrupt:
            pass
    return body


@pytest.mark.parametrize("make_body", [converted, swallowed])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_the_signal_decides_the_exit_status(make_body, signum, capsys):
    code = run_main(make_body(signum), ArgumentParser(prog="bisenet-x"), [])
    assert code == 128 + signum
    assert "interrupted ({})".format(signal.Signals(signum).name) in capsys.readouterr().err


def test_handlers_are_given_back_after_the_command():
    before = signal.getsignal(signal.SIGTERM)
    run_main(lambda args: 0, ArgumentParser(prog="bisenet-x"), [])
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_unexpected_os_error_is_one_line_in_words_exit_2(tmp_path, capsys):
    def body(args):
        open(str(tmp_path / "missing" / "x.bin"), "rb")

    assert run_main(body, ArgumentParser(prog="bisenet-x"), []) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot use" in err and "x.bin" in err and "Traceback" not in err
