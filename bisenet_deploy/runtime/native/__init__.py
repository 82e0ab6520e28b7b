"""Compiled routines: C sources next to this file, built with the system's C compiler on first use into
a per-user cache and loaded with ctypes (no build step at install, so the package stays pure Python for
flit and for the TX2's pip). Where no compiler is found, or the build fails, `load` returns None and the
caller keeps its numpy path, which gives the same results, only slower."""

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
import threading

from ...core.cache import cache_root

LOG = logging.getLogger("bisenet_deploy.runtime")
# -ffp-contract=off: no fused multiply-adds, so every product and sum is rounded as numpy rounds it
FLAGS = ["-O3", "-shared", "-fPIC", "-pthread", "-ffp-contract=off"]
DISABLE_VARIABLE = "BISENET_NO_NATIVE"  # set (to anything) to keep every caller on its numpy path

_LOCK = threading.Lock()
_LOADED = {}


def routine(name, argtypes, restype=None):
    """The function NAME of NAME.c with its argument and result types, or None where it cannot be built."""
    library = load(name)
    if library is None:
        return None
    function = getattr(library, name)
    function.argtypes = argtypes
    function.restype = restype
    return function


def address(array):
    """A numpy array's data address, which ctypes passes as a void * argument."""
    return array.ctypes.data


def cache_dir():
    return os.path.join(cache_root(), "native")


def load(name):
    """ctypes.CDLL of NAME.c built for this machine, or None where it cannot be (said once, in the log)."""
    if os.environ.get(DISABLE_VARIABLE):
        return None
    with _LOCK:
        if name not in _LOADED:
            _LOADED[name] = _build_and_load(name)
        return _LOADED[name]


def _library_path(source):
    with open(source, "rb") as handle:
        digest = hashlib.sha1(handle.read() + " ".join(FLAGS).encode()).hexdigest()[:16]
    name = os.path.splitext(os.path.basename(source))[0]
    return os.path.join(cache_dir(), "{}-{}-{}.so".format(name, platform.machine(), digest))


def _build_and_load(name):
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".c")
    library = _library_path(source)
    if not os.path.isfile(library):
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not compiler:
            LOG.info("no C compiler (cc, gcc or $CC): %s runs through numpy, slower", name)
            return None
        if not _compile(compiler, source, library):
            return None
    try:
        return ctypes.CDLL(library)
    except OSError as exc:
        LOG.warning("cannot load %s (%s): %s runs through numpy, slower", library, exc, name)
        return None


def _compile(compiler, source, library):
    """Build into a temporary file renamed into place, so no reader ever sees half a library."""
    temporary = None
    try:
        os.makedirs(os.path.dirname(library), exist_ok=True)
        handle, temporary = tempfile.mkstemp(suffix=".so.part", dir=os.path.dirname(library))
        os.close(handle)
        subprocess.check_output([compiler] + FLAGS + ["-o", temporary, source], stderr=subprocess.STDOUT)
        os.replace(temporary, library)
        temporary = None
        _remove_older_builds(library)
        return True
    except (OSError, subprocess.CalledProcessError) as exc:
        output = getattr(exc, "output", b"") or b""
        LOG.warning("cannot build %s (%s): it runs through numpy, slower", os.path.basename(source),
                    output.decode(errors="replace").strip().splitlines()[0] if output.strip() else exc)
        return False
    finally:
        if temporary and os.path.exists(temporary):
            os.remove(temporary)


def _remove_older_builds(library):
    """The same routine built from an earlier source (another digest): no longer loaded by anyone."""
    folder, name = os.path.split(library)
    prefix = name.rsplit("-", 1)[0] + "-"
    for other in os.listdir(folder):
        if other.startswith(prefix) and other.endswith(".so") and other != name:
            try:
                os.remove(os.path.join(folder, other))
            except OSError:  # another process may be removing it too
                pass
