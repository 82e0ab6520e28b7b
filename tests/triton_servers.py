"""A real Triton server (the nvidia-pytriton wheel's, started by bisenet-serve) for the serving tests."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from bisenet_deploy.core.lazy import is_installed

READY_TIMEOUT_S = 90
needs_server = pytest.mark.skipif(
    not (is_installed("tritonclient") and is_installed("pytriton")),
    reason="needs the [serve] extra: tritonclient and the nvidia-pytriton wheel's tritonserver "
           "(./scripts/setup.sh installs both)")


def free_ports(count):
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


class ServerProcess(object):
    """`bisenet-serve REPO` on free loopback ports, as a user runs it."""

    def __init__(self, repository, log_path, ports=None):
        self.repository = repository
        self.log_path = log_path
        self.http, self.grpc, self.metrics = ports or free_ports(3)
        self.process = None

    @property
    def address(self):
        return "127.0.0.1:{}".format(self.grpc)

    @property
    def metrics_url(self):
        return "http://127.0.0.1:{}/metrics".format(self.metrics)

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from bisenet_deploy.commands import serve; sys.exit(serve())",
             str(self.repository), "--http-port", str(self.http), "--grpc-port", str(self.grpc),
             "--metrics-port", str(self.metrics)], stdout=subprocess.PIPE, stderr=log)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        for line in self.process.stdout:
            if line.startswith(b"ready:"):
                return self
            assert time.monotonic() < deadline, "bisenet-serve was not ready in time"
        raise AssertionError("bisenet-serve ended before it was ready (exit {}); log: {}".format(
            self.process.wait(), self.log_tail()))

    def log_tail(self):
        with open(self.log_path, "rb") as handle:
            return handle.read()[-2000:].decode("utf-8", "replace")

    def stop(self, signum=signal.SIGTERM):
        """Exit status of bisenet-serve after `signum`."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(60)
        self.process.stdout.close()
        return code

    def kill_server_only(self):
        """SIGKILL the tritonserver under bisenet-serve (a crashed server, not a stopped one)."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], stdout=subprocess.PIPE,
                                  universal_newlines=True).stdout.split()
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        return self.process.wait(60)
