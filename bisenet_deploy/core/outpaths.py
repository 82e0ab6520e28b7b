"""Output paths checked before the work starts, and OS errors on them told in words.

Every command calls check_output() for each file or folder it will write, before loading a model or
reading images, so an unwritable path costs seconds rather than the whole export, calibration or run;
and refuse_same_file() so an output never replaces one of the command's own inputs.
"""

import errno
import os
import tempfile

from .errors import InputError

# errno -> what is wrong, where the OS's own words would mislead ("File exists" for a parent that is a file)
_REASONS = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = "the disk quota is exceeded"


class OutputError(InputError):
    """An output cannot be written (exit 2, like any bad input the user can fix)."""


def _file_ancestor(path):
    """The nearest existing ancestor of `path` that is not a folder, or None."""
    parent = os.path.dirname(os.path.abspath(path))
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return parent if parent and not os.path.isdir(parent) else None


# errnos that only a write meets: an OSError the CLI did not expect is reported as a write when it is one
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR} | (
    {errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())


def describe_os_error(exc, path=None, writing=True):
    # type: (OSError, str, bool) -> str
    """'cannot write PATH: REASON', with the reason in words and the path the user gave; `writing`
    None: say "write" only for errors that only writes meet, else "cannot use"."""
    path = path or exc.filename or "?"
    blocker = _file_ancestor(path)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and blocker:
        reason = "{} is a file, not a folder".format(blocker)
    else:
        reason = _REASONS.get(exc.errno) or exc.strerror or str(exc)
    if writing is None:
        writing = exc.errno in _WRITE_ERRNOS
    return "cannot {} {}: {}".format("write" if writing else "use", path, reason)


def check_output(path, flag, folder=False):
    # type: (str, str, bool) -> str
    """Raise OutputError now if `path` (a file, or a folder when `folder`) cannot be written later.

    Creates nothing that stays: the folders to be made are checked through their nearest existing
    ancestor, which must be a writable folder (tested by creating and removing a temporary file there,
    the one test that also catches read-only mounts and full inode tables)."""
    absolute = os.path.abspath(path)
    blocker = _file_ancestor(absolute)
    if blocker:
        raise OutputError("{} {}: {} is a file, not a folder".format(flag, path, blocker))
    if os.path.isdir(absolute) and not folder:
        raise OutputError("{} {} is a folder; give a file name".format(flag, path))
    if os.path.exists(absolute) and folder and not os.path.isdir(absolute):
        raise OutputError("{} {} is a file, not a folder".format(flag, path))
    if os.path.exists(absolute) and not folder and not os.access(absolute, os.W_OK):
        raise OutputError("{} {}: cannot write {}: permission denied".format(flag, path, path))
    existing = absolute if folder and os.path.isdir(absolute) else os.path.dirname(absolute)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise OutputError("{} {}: {}".format(flag, path, describe_os_error(exc, existing)))
    return path


def same_file(first, second):
    # type: (str, str) -> bool
    """True when both paths name one file (hard links and symlinks included)."""
    try:
        if os.path.exists(first) and os.path.exists(second):
            return os.path.samefile(first, second)
    except OSError:
        pass
    return os.path.realpath(first) == os.path.realpath(second)


def refuse_same_file(output, flag, inputs):
    """OutputError when `output` is one of `inputs` ({flag: path}), before anything is touched."""
    for input_flag, input_path in inputs.items():
        if input_path and output and same_file(output, input_path):
            raise OutputError("{} {} is the same file as {} {}; writing it would destroy the input, so choose "
                              "another name".format(flag, output, input_flag, input_path))
