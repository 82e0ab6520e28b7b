"""Write files under a temporary name and rename, so a failure never leaves half a file behind."""

import contextlib
import os
import tempfile

from . import leftovers
from .outpaths import OutputError, describe_os_error


def temporary_sibling(final_path, suffix=".part"):
    # type: (str, str) -> str
    """A new empty file next to `final_path` (same file system, so the rename is atomic), registered
    with the leftover registry; OutputError in words when the folder cannot take it."""
    directory = os.path.dirname(final_path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(final_path) + ".", suffix=suffix, dir=directory)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, final_path))
    os.close(fd)
    return leftovers.register(tmp)


def publish(tmp, final_path):
    """Give `tmp` the permissions a plain open() would and rename it to `final_path`."""
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it owner-only; a normal file would not be
        os.replace(tmp, final_path)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, final_path))
    leftovers.unregister(tmp)


@contextlib.contextmanager
def atomic_path(final_path):
    """Yield a temporary path next to `final_path`; rename it into place only if the block succeeds.

    An OSError inside the block (disk full, read-only file system) becomes an OutputError that names
    `final_path`, not the temporary name."""
    final_path = os.path.abspath(final_path)
    tmp = temporary_sibling(final_path)
    try:
        try:
            yield tmp
        except OSError as exc:
            raise OutputError(describe_os_error(exc, final_path))
        publish(tmp, final_path)
    finally:
        leftovers.discard(tmp)


def write_bytes_atomic(final_path, data):
    # type: (str, bytes) -> None
    with atomic_path(final_path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)


def current_umask():
    # os has no way to read the umask without setting it
    mask = os.umask(0)
    os.umask(mask)
    return mask
