"""run_main, the plumbing of every command, and the console scripts around it: the exit status follows
the signal even when the signal surfaced as another error (pybind turns an exception raised inside a C
extension's import into ImportError) or was swallowed (OpenCV's import), came during the imports or
during the clean-up; an OSError nobody expected is still one line in words, exit 2."""

import os
import signal
import sys
import time

import pytest

from bisenet_deploy.core import interrupts, leftovers
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


@pytest.fixture
def handlers_given_back():
    """The process's own handlers again after a test that installs ours without run_main."""
    previous = interrupts.current_handlers()
    yield
    interrupts.restore(previous)


def test_a_signal_during_the_clean_up_still_gives_128_plus_signal(monkeypatch, capsys):
    removing = leftovers.remove_all
    monkeypatch.setattr(leftovers, "remove_all", lambda keep=(): (signal_self(signal.SIGTERM), removing(keep)))
    code = run_main(lambda args: 0, ArgumentParser(prog="bisenet-x"), [])
    assert code == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "bisenet-x: interrupted (SIGTERM)\n"


def test_a_signal_that_surfaced_as_any_other_error_gives_128_plus_signal(capsys):
    def body(args):
        try:
            signal_self(signal.SIGHUP)
        except KeyboardInterrupt:  # what a library that wraps errors does with it
            raise RuntimeError("worker stopped")

    assert run_main(body, ArgumentParser(prog="bisenet-x"), []) == 128 + signal.SIGHUP
    assert capsys.readouterr().err == "bisenet-x: interrupted (SIGHUP)\n"


SIGNALLED_IMPORT = """import os, time
SWALLOWED = False
try:
    os.kill(os.getpid(), {signum})
    time.sleep({seconds})  # a slow import: the handler runs in here
except KeyboardInterrupt:
    SWALLOWED = True  # what OpenCV's import does with the exception a signal raises during it


def main():
    print("the command ran")
    return 0
"""


@pytest.fixture
def signalled_module(tmp_path, monkeypatch):
    """make(signum, seconds): the name of a module whose import gets signal `signum` and lasts `seconds`."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(signum, seconds):
        name = "signalled_import_{}".format(int(signum))
        (tmp_path / (name + ".py")).write_text(SIGNALLED_IMPORT.format(signum=int(signum), seconds=seconds))
        monkeypatch.delitem(sys.modules, name, raising=False)
        return name
    return make


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_a_console_script_imports_its_command_ends_it_at_once(signum, signalled_module, tmp_path):
    import subprocess
    name = signalled_module(signum, 5.0)
    script = ("import sys; sys.path.insert(0, {!r}); from bisenet_deploy import commands; "
              "commands.MODULES['bisenet-x'] = {!r}; sys.exit(commands._command('bisenet-x')())").format(
                  str(tmp_path), name)
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert child.returncode == 128 + signum and time.monotonic() - started < 3.0  # not the import's 5 s
    assert child.stderr.decode() == "bisenet-x: interrupted ({})\n".format(signal.Signals(signum).name)
    assert child.stdout == b""  # the command never ran


def test_a_signal_during_an_import_is_raised_once_the_import_is_over(signalled_module, handlers_given_back):
    from bisenet_deploy.core.lazy import lazy_import
    interrupts.install()
    name = signalled_module(signal.SIGTERM, 0.3)
    with pytest.raises(interrupts.Interrupted) as raised:
        lazy_import(name, "a test")
        time.sleep(1.0)
    assert raised.value.signum == signal.SIGTERM
    assert sys.modules[name].SWALLOWED is False  # nothing was raised inside the import, for it to swallow


def test_the_console_scripts_module_imports_nothing_heavy():
    """The handlers go in before numpy, OpenCV or a runtime loads (pyproject's scripts are its functions:
    tests/test_commands.py)."""
    import subprocess
    probe = "import sys, bisenet_deploy.commands; print(sorted(m for m in ('numpy', 'cv2') if m in sys.modules))"
    assert subprocess.check_output([sys.executable, "-c", probe]).strip() == b"[]"


def test_a_signal_during_an_import_is_raised_once(signalled_module, handlers_given_back):
    """The loop's check() may raise it before the alarm does: the alarm then raises nothing more (it
    used to interrupt the clean-up as a second signal would, or kill the process at exit, exit -14)."""
    from bisenet_deploy.core.lazy import lazy_import
    interrupts.install()
    with pytest.raises(interrupts.Interrupted):
        lazy_import(signalled_module(signal.SIGTERM, 0.01), "a test")
        interrupts.check()
    time.sleep(3 * interrupts.IMPORT_RETRY_S)
