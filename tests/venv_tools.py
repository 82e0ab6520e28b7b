"""Command-line tools the tests run: found on PATH or in the bin folder of the Python running the tests,
where ./scripts/setup.sh installs hadolint and shellcheck (.venv/bin), so `.venv/bin/python -m pytest`
finds them without an activated venv."""

import os
import shutil
import sys


def find_tool(name):
    # type: (str) -> str
    """The path of the executable `name`, or None. sys.executable is not resolved: a venv's python is a
    link to the system one, and the tools sit beside the link."""
    beside_python = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(beside_python) and os.access(beside_python, os.X_OK):
        return beside_python
    return shutil.which(name)
