"""The temporary files and folders being written right now, so no exit path leaves one behind.

The atomic writers register their temporary names here and unregister them once renamed or removed;
the CLI plumbing removes whatever is still registered when a command ends, however it ends (an error,
Ctrl-C, SIGTERM, a second signal during clean-up). atexit covers a caller that is not the CLI.
"""

import atexit
import contextlib
import os
import shutil
import tempfile
import threading

_lock = threading.Lock()
_paths = []  # in registration order; removed newest first


def register(path):
    with _lock:
        _paths.append(os.path.abspath(path))
    return path


def unregister(path):
    with _lock:
        path = os.path.abspath(path)
        if path in _paths:
            _paths.remove(path)


def pending():
    with _lock:
        return list(_paths)


def discard(path):
    """Remove one file or folder tree if it is still there; never raises."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.remove(path)
    except OSError:
        pass
    unregister(path)


def remove_all(keep=()):
    """Remove every registered temporary file or folder (newest first) except those in `keep`, the
    ones an enclosing command registered before calling this one (bisenet-bench runs bisenet-export)."""
    for path in reversed(pending()):
        if path not in keep:
            discard(path)


atexit.register(remove_all)


@contextlib.contextmanager
def scratch_folder(prefix, parent=None):
    """A temporary folder that is removed when the block ends, and by the CLI's clean-up if a second
    signal cuts the block's own clean-up short."""
    path = register(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        discard(path)
