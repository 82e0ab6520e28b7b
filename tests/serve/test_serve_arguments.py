"""bisenet-serve's refusals that need no server: one line each, exit 2, naming the real fault."""

import signal

import pytest
from cli_capture import run_cli

from bisenet_deploy.serve.server import _ending, main as serve_main


@pytest.mark.parametrize("flags, message", [
    (["--http-port", "70000"], "--http-port 70000: a port is 1..65535"),
    (["--grpc-port", "0"], "--grpc-port 0: a port is 1..65535"),
    (["--http-port", "9000", "--grpc-port", "9000"], "--http-port, --grpc-port and --metrics-port must be three "
                                                     "different ports, got 9000, 9000, 8002"),
    (["--ready-timeout", "0"], "--ready-timeout must be positive, got 0"),
])
def test_bad_flags_are_named(tmp_path, flags, message):
    code, _, err = run_cli(serve_main, tmp_path, *flags)
    assert code == 2 and err.strip() == "bisenet-serve: " + message


def test_a_model_file_is_not_a_repository(tiny_onnx_labels):
    code, _, err = run_cli(serve_main, tiny_onnx_labels)
    assert code == 2 and err.strip() == ("bisenet-serve: {0} is a file; bisenet-serve takes a model repository folder "
                                         "(write one with bisenet-package {0} --triton REPO)".format(tiny_onnx_labels))


def test_how_the_server_ended_is_said_in_words():
    assert _ending(1) == "exited with status 1"
    assert _ending(-signal.SIGKILL) == "was killed by signal 9 (SIGKILL)"
