"""bisenet-run on a thread (for tests that talk to its network outputs while it runs), and waiting for a
loopback port to listen."""

import socket
import threading
import time

import cli_capture

from bisenet_deploy.runtime import run as run_module


def start_run(*argv):
    """Start bisenet-run on a thread; returns (thread, outcome dict filled with (code, stdout, stderr))."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault(
        "result", cli_capture.run_cli(run_module.main, *argv)), daemon=True)
    thread.start()
    return thread, outcome


def wait_for_port(port, seconds=20, host="127.0.0.1"):
    """True once something accepts connections on host:port (loopback), False after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False
