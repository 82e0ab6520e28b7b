"""Every console script answers --version with its name and the package version, exit 0."""

import importlib

import pytest
from cli_capture import run_cli

from bisenet_deploy import __version__

COMMANDS = {
    "bisenet-export": "bisenet_deploy.export.main",
    "bisenet-run": "bisenet_deploy.runtime.run",
    "bisenet-eval": "bisenet_deploy.evaluate.main",
    "bisenet-bench": "bisenet_deploy.bench.main",
    "bisenet-build-engine": "bisenet_deploy.engines.main",
    "bisenet-calibrate": "bisenet_deploy.calib.main",
    "bisenet-ros": "bisenet_deploy.ros.node",
    "bisenet-doctor": "bisenet_deploy.doctor.main",
    "bisenet-scenes": "bisenet_deploy.scenes.main",
    "bisenet-package": "bisenet_deploy.serve.main",
    "bisenet-serve": "bisenet_deploy.serve.server",
}


@pytest.mark.parametrize("prog, module", sorted(COMMANDS.items()))
def test_version(prog, module):
    main = importlib.import_module(module).main
    code, out, err = run_cli(main, "--version")
    assert code == 0
    assert "{} {}".format(prog, __version__) in out + err


def test_every_console_script_is_listed_and_runs_its_command(monkeypatch, capsys):
    import tomllib
    import pathlib
    from bisenet_deploy import commands
    from bisenet_deploy.core import interrupts
    scripts = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert commands.MODULES == COMMANDS and set(scripts) == set(COMMANDS)
    handlers = interrupts.current_handlers()  # the scripts install theirs; this process keeps its own
    try:
        for name, target in scripts.items():
            module, function = target.split(":")
            assert module == "bisenet_deploy.commands"
            monkeypatch.setattr("sys.argv", [name, "--version"])
            with pytest.raises(SystemExit) as exited:
                getattr(commands, function)()
            assert exited.value.code == 0 and "{} {}".format(name, __version__) in capsys.readouterr().out
    finally:
        interrupts.restore(handlers)
