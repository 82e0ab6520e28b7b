"""The console shows our INFO lines and everyone's warnings, not other libraries' INFO (onnxruntime's
quantizer logs dozens of lines per calibration; torch its exit statistics); --debug shows everything."""

import subprocess
import sys

import pytest

SCRIPT = """
import argparse, logging
from bisenet_deploy.core.cli import _configure_logging
_configure_logging(argparse.Namespace(debug={debug}))
logging.getLogger("onnxruntime.quantization").info("foreign info")
logging.info("root info")
logging.getLogger("bisenet_deploy.calib.main").info("our info")
logging.getLogger("torch").warning("foreign warning")
logging.getLogger("bisenet_deploy.runtime").debug("our debug")
"""


@pytest.mark.parametrize("debug, expected", [
    (False, ["our info", "foreign warning"]),
    (True, ["foreign info", "root info", "our info", "foreign warning", "our debug"]),
])
def test_console_lines(debug, expected):
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(debug=debug)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == expected
