"""Write files under a temporary name and rename, so a failure never leaves half a file behind."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(final_path):
    """Yield a temporary path next to `final_path`; rename it into place only if the block succeeds."""
    final_path = os.path.abspath(final_path)
    directory = os.path.dirname(final_path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(final_path) + ".", suffix=".part", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes it owner-only; a normal file would not be
        os.replace(tmp, final_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_bytes_atomic(final_path, data):
    # type: (str, bytes) -> None
    with atomic_path(final_path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)


def _current_umask():
    # os has no way to read the umask without setting it
    mask = os.umask(0)
    os.umask(mask)
    return mask
