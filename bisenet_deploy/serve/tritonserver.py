"""Which tritonserver runs here, and the command and environment that start it on a repository:
NVIDIA's own when it is on PATH (their container, a JetPack release tarball), else the one inside the
nvidia-pytriton wheel (the [serve] extra: Triton 2.51 with only the python backend, CPU).

The wheel's server is started directly, not through PyTriton's API: its python backend needs a stub
built for this Python (the wheel has one per version) in a backend folder of ours, this Python's
libpython on the library path, and this interpreter's import path handed to model.py
(BISENET_SERVE_SYS_PATH; the stub starts Python isolated from PYTHONPATH)."""

import collections
import importlib.util
import os
import shutil
import sys
import sysconfig

from ..core.errors import InputError

SYS_PATH_VARIABLE = "BISENET_SERVE_SYS_PATH"  # read by serve/triton_model.py
WHEEL_PACKAGE = "pytriton"
WHEEL_HINT = ("./scripts/setup.sh installs it: pip install --no-deps nvidia-pytriton==0.7.0 (x86-64 or aarch64 "
              "Linux with glibc >= 2.35, Python >= 3.8)")

Server = collections.namedtuple("Server", "path origin backends_only")
# origin: words for the log; backends_only: the only backends it has (None: NVIDIA's, all of them)


def find_server():
    # type: () -> Server
    nvidia = shutil.which("tritonserver")
    if nvidia:
        return Server(nvidia, "NVIDIA's tritonserver", None)
    root = _wheel_root()
    if root is None:
        raise InputError("no Triton server here: tritonserver is not on PATH (NVIDIA's container or a JetPack "
                         "release tarball puts it there), and the nvidia-pytriton wheel is not installed; {}".format(
                             WHEEL_HINT))
    return Server(os.path.join(root, "bin", "tritonserver"), "the nvidia-pytriton wheel's tritonserver", ("python",))


def _wheel_root():
    spec = importlib.util.find_spec(WHEEL_PACKAGE)  # imports nothing: the wheel's Python needs numpy < 2
    if spec is None or not spec.submodule_search_locations:
        return None
    root = os.path.join(list(spec.submodule_search_locations)[0], "tritonserver")
    return root if os.path.isfile(os.path.join(root, "bin", "tritonserver")) else None


def wheel_backends(root, folder):
    """A backend folder for the wheel's server in `folder`: python/ with the backend library, its utils
    and the stub for this Python, linked from the wheel."""
    version = "{}.{}".format(*sys.version_info[:2])
    stub = os.path.join(root, "python_backend_stubs", version, "triton_python_backend_stub")
    if not os.path.isfile(stub):
        raise InputError("the nvidia-pytriton wheel has no python backend stub for Python {} (it has {})".format(
            version, ", ".join(sorted(os.listdir(os.path.join(root, "python_backend_stubs"))))))
    python = os.path.join(folder, "python")
    os.makedirs(python)
    backend = os.path.join(root, "backends", "python")
    for source in (os.path.join(backend, "libtriton_python.so"),
                   os.path.join(backend, "triton_python_backend_utils.py"), stub):
        os.symlink(source, os.path.join(python, os.path.basename(source)))
    return folder


def server_command(server, repository, host, ports, scratch):
    """(argv, environment) that start `server` on `repository`, listening on `host` at `ports`
    (http, grpc, metrics); `scratch` is a folder for the wheel's backend links."""
    http, grpc_port, metrics = ports
    argv = [server.path, "--model-repository=" + os.path.abspath(repository),
            "--http-address=" + host, "--http-port={}".format(http),
            "--grpc-address=" + host, "--grpc-port={}".format(grpc_port),
            "--metrics-address=" + host, "--metrics-port={}".format(metrics)]
    env = dict(os.environ)
    if server.backends_only is not None:
        root = os.path.dirname(os.path.dirname(server.path))
        argv += ["--backend-directory=" + wheel_backends(root, os.path.join(scratch, "backends")),
                 "--cache-directory=" + os.path.join(root, "caches")]
        site_packages = os.path.dirname(os.path.dirname(root))
        libs = [sysconfig.get_config_var("LIBDIR") or "", os.path.join(site_packages, "nvidia_pytriton.libs")]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in libs + [env.get("LD_LIBRARY_PATH", "")] if p)
        env[SYS_PATH_VARIABLE] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    return argv, env
