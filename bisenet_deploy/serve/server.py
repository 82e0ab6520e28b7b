"""bisenet-serve: a real Triton server on a model repository (bisenet-package --triton writes them).

It checks every config.pbtxt with Triton's schema first, starts the server listening on loopback
unless --host says otherwise, forwards the server's log to stderr, waits until the server is ready
and prints where it listens, and on Ctrl-C or SIGTERM stops the server cleanly and exits 128 + N."""

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import time

from ..core.cli import ArgumentParser, add_debug_flag, run_main
from ..core.errors import InputError, WorkFailed
from ..core.leftovers import scratch_folder
from .repository import check_repository
from .tritonserver import find_server, server_command

READY_POLL_S = 0.2
STOP_TIMEOUT_S = 40.0  # Triton's own exit timeout is 30 s for requests in flight
EPILOG = """examples:
  bisenet-serve repo                                   on 127.0.0.1: gRPC 8001, HTTP 8000, metrics 8002
  bisenet-serve repo --host 0.0.0.0                    robots on the network connect to this machine
  bisenet-serve repo --grpc-port 9001 --http-port 9000 --metrics-port 9002
then, on a robot: bisenet-run --backend triton --server HOST:8001 --camera 0
"""


def build_parser():
    parser = ArgumentParser(prog="bisenet-serve", description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repository", metavar="REPO", help="a Triton model repository (bisenet-package --triton)")
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0: every interface)")
    listen.add_argument("--grpc-port", type=int, default=8001, help="gRPC port, what robots use (default: 8001)")
    listen.add_argument("--http-port", type=int, default=8000, help="HTTP port (default: 8000)")
    listen.add_argument("--metrics-port", type=int, default=8002, help="Prometheus metrics port (default: 8002)")
    parser.add_argument("--ready-timeout", type=float, default=120.0,
                        help="seconds to wait for every model to load (default: 120)")
    add_debug_flag(parser)
    return parser


def serve(args, log=print):
    ports = (args.http_port, args.grpc_port, args.metrics_port)
    for flag, port in zip(("--http-port", "--grpc-port", "--metrics-port"), ports):
        if not 0 < port < 65536:
            raise InputError("{} {}: a port is 1..65535".format(flag, port))
    if args.ready_timeout <= 0:
        raise InputError("--ready-timeout must be positive, got {:g}".format(args.ready_timeout))
    if len(set(ports)) != 3:
        raise InputError("--http-port, --grpc-port and --metrics-port must be three different ports, got {}".format(
            ", ".join(str(p) for p in ports)))
    server = find_server()
    models = check_repository(args.repository, server)
    _check_ports_free(args.host, (("HTTP", "--http-port", args.http_port), ("gRPC", "--grpc-port", args.grpc_port),
                                  ("metrics", "--metrics-port", args.metrics_port)))
    with scratch_folder("bisenet-serve-") as scratch:
        argv, env = server_command(server, args.repository, args.host, ports, scratch)
        log("starting {} ({}) on {}: {}".format(server.origin, server.path, args.repository, ", ".join(models)))
        sys.stdout.flush()
        # its own process group: a Ctrl-C reaches us, and we stop it once, the way it expects
        process = subprocess.Popen(argv, env=env, stdout=sys.stderr, stderr=sys.stderr, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            _wait_ready(process, args.host, args.http_port, args.ready_timeout)
            log("ready: gRPC {0}:{1}, HTTP {0}:{2}, metrics http://{0}:{3}/metrics".format(
                _url_host(args.host), args.grpc_port, args.http_port, args.metrics_port))
            sys.stdout.flush()
            code = process.wait()
        except BaseException:
            _stop(process)
            raise
        finally:
            _end_group(process.pid)
    if code != 0:
        raise WorkFailed("tritonserver {} (its log is above)".format(_ending(code)))
    return 0


def _check_ports_free(host, ports):
    """InputError naming the first (what, flag, port) another program listens on: a second server would
    fail to bind it only after the first one had answered our readiness probe."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for what, flag, port in ports:
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no conflict
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise InputError("{} port {} on {} is in use (another Triton server?): stop it or pick another "
                                 "{}".format(what, port, host, flag))
            raise InputError("cannot listen on {}:{} ({}): {}".format(host, port, flag, error.strerror))
        finally:
            probe.close()


def _end_group(pid):
    """SIGKILL what is left of the server's process group: the python backend's stub processes outlive a
    tritonserver that crashed or was killed."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left


def _ending(code):
    """How the server ended, from Popen's return code (negative: the signal that killed it)."""
    if code < 0:
        try:
            return "was killed by signal {} ({})".format(-code, signal.Signals(-code).name)
        except ValueError:
            return "was killed by signal {}".format(-code)
    return "exited with status {}".format(code)


def _url_host(host):
    return "[{}]".format(host) if ":" in host else host


def _wait_ready(process, host, http_port, timeout):
    """Return once the server says it is ready (every model loaded); WorkFailed if it exits or times out."""
    from urllib.error import URLError
    from urllib.request import urlopen

    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = "http://{}:{}/v2/health/ready".format(_url_host(probe_host), http_port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise WorkFailed("tritonserver {} before it was ready (its log is above)".format(_ending(code)))
        try:
            with urlopen(url, timeout=1.0) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            pass  # not listening yet, or not ready (503): ask again
        time.sleep(READY_POLL_S)
    raise WorkFailed("tritonserver was not ready after {:g} s (its log is above)".format(timeout))


def _stop(process):
    """SIGTERM, as Triton expects for a clean shutdown; SIGKILL if it has not ended in STOP_TIMEOUT_S."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv=None):
    return run_main(serve, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
