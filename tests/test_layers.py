"""The import layers (pyproject.toml [tool.importlinter]) hold: lint-imports, the tool CI runs."""

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


def test_layers_and_acyclic_contracts_are_kept():
    completed = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=str(ROOT), capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "2 kept, 0 broken" in completed.stdout


def test_a_core_module_importing_runtime_would_break_the_layers(tmp_path):
    # The contract is not vacuous: the same check on a copy with one upward import fails.
    copy = tmp_path / "repo"
    shutil.copytree(str(ROOT / "bisenet_deploy"), str(copy / "bisenet_deploy"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (copy / "bisenet_deploy" / "core" / "upward.py").write_text("from ..runtime import segmenter\n")
    completed = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=str(copy), capture_output=True, text=True,
                               timeout=300, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert completed.returncode != 0
    assert "bisenet_deploy.core.upward -> bisenet_deploy.runtime.segmenter" in completed.stdout
