"""Session fixtures: the demo model packaged for Triton (labels head, logits head, --raw-input) and one
bisenet-serve on the repository, shared by the tests that only talk to it."""

import pytest

from bisenet_deploy.serve.main import main as package_main
from cli_capture import run_cli
from triton_servers import ServerProcess, needs_server

MODEL_NAMES = ("demo", "demo_logits", "demo_raw")


@pytest.fixture(scope="session")
def triton_repo(demo_onnx_labels, demo_onnx_logits, tmp_path_factory):
    """A model repository: demo (labels head), demo_logits, demo_raw (uint8 NHWC input), python platform."""
    if needs_server.args[0]:
        pytest.skip(needs_server.kwargs["reason"])
    repo = tmp_path_factory.mktemp("triton") / "repo"
    for name, model, extra in (("demo", demo_onnx_labels, []), ("demo_logits", demo_onnx_logits, []),
                               ("demo_raw", demo_onnx_labels, ["--raw-input"])):
        code, out, err = run_cli(package_main, model, "--triton", repo, "--name", name, "--platform", "python",
                                 *extra)
        assert code == 0, err
    return repo


@pytest.fixture(scope="session")
def triton_server(triton_repo, tmp_path_factory):
    """bisenet-serve on the repository; at the end, SIGTERM must stop it cleanly (exit 143)."""
    server = ServerProcess(triton_repo, str(tmp_path_factory.mktemp("triton_log") / "server.log")).start()
    yield server
    code = server.stop()
    assert code == 143, server.log_tail()
