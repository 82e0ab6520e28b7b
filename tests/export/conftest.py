import pytest
from cli_capture import run_cli

from bisenet_deploy.export.main import main as export_main


@pytest.fixture
def run_export():
    """Run bisenet-export in-process: returns (exit code, stdout, stderr)."""

    return lambda *argv: run_cli(export_main, *argv)
