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
    "bisenet-scenes": "bisenet_deploy.scenes.main",
}


@pytest.mark.parametrize("prog, module", sorted(COMMANDS.items()))
def test_version(prog, module):
    main = importlib.import_module(module).main
    code, out, err = run_cli(main, "--version")
    assert code == 0
    assert "{} {}".format(prog, __version__) in out + err


def test_every_console_script_is_listed():
    import tomllib
    import pathlib
    scripts = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert {name: target.split(":")[0] for name, target in scripts.items()} == COMMANDS
