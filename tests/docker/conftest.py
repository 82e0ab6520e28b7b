"""Fixtures for the docker/ checks: the repository's files, parsed; no Docker engine is needed."""

import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TX2_DOCKERFILE = ROOT / "docker" / "tx2" / "Dockerfile"
WORKSTATION_DOCKERFILE = ROOT / "docker" / "workstation" / "Dockerfile"
RUN_SCRIPT = ROOT / "docker" / "tx2" / "run.sh"
PIN_TABLE = ROOT / "docker" / "tx2" / "py36_pins.json"


@pytest.fixture(scope="session")
def pins_tool():
    """scripts/check_py36_pins.py as a module: its Dockerfile parser and its Python 3.6 pin checks."""
    spec = importlib.util.spec_from_file_location("check_py36_pins", ROOT / "scripts" / "check_py36_pins.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="session")
def tx2_text():
    return TX2_DOCKERFILE.read_text()


@pytest.fixture(scope="session")
def tx2(pins_tool, tx2_text):
    """The TX2 Dockerfile as [(KEYWORD, arguments, line)]."""
    return pins_tool.parse_dockerfile(tx2_text)


@pytest.fixture(scope="session")
def workstation(pins_tool):
    """The workstation Dockerfile as [(KEYWORD, arguments, line)]."""
    return pins_tool.parse_dockerfile(WORKSTATION_DOCKERFILE.read_text())


@pytest.fixture(scope="session")
def pin_table():
    return json.loads(PIN_TABLE.read_text())



@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def dockerfiles():
    """{"tx2": path, "workstation": path}"""
    return {"tx2": TX2_DOCKERFILE, "workstation": WORKSTATION_DOCKERFILE}


@pytest.fixture(scope="session")
def run_script():
    return RUN_SCRIPT
