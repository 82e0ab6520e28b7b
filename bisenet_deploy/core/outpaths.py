"""Output paths checked before the work starts, and OS errors on them told in words.

Every command calls check_output() for each file or folder it will write, before loading a model or
reading images, so an unwritable path costs seconds rather than the whole export, calibration or run;
and refuse_same_file() (refuse_dataset_files() for a data set's many files) so an output never
replaces, or lands among, the command's own inputs. Paths are compared after resolving links.
"""

import contextlib
import errno
import os
import tempfile

from .errors import InputError
from .images import GLOB_CHARACTERS, is_glob

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
    path = path or exc.filename
    reason = _reason(exc, path)
    if writing is None:
        writing = exc.errno in _WRITE_ERRNOS
    if not path:  # the callers name their paths; this is the last resort, which must not print a '?'
        return "{}: {}".format("a write failed" if writing else "a system call failed", reason)
    return "cannot {} {}: {}".format("write" if writing else "use", path, reason)


def _reason(exc, path):
    """What is wrong, in words: the file that stands where a folder must be, or the errno's meaning."""
    blocker = _file_ancestor(path) if path else None
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and blocker:
        return "{} is a file, not a folder".format(blocker)
    return _REASONS.get(exc.errno) or exc.strerror or str(exc)


@contextlib.contextmanager
def naming(path):
    """Turn an OSError inside the block into an OutputError naming `path`: for libraries that write
    through file objects, whose errors carry no file name (a full disk under a bag writer)."""
    try:
        yield
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path))


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
    target = absolute if folder else os.path.dirname(absolute)  # the folder the output lands in
    existing = target
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        if existing != target:  # the folder that cannot be made is the news, not the parent it would go in
            raise OutputError("{} {}: the folder {} does not exist and cannot be created in {} ({})".format(
                flag, path, target, existing, _reason(exc, existing)))
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


def read_folder(path):
    """The folder an input is read from when it names one: the folder itself, or a glob's folder (the part
    before its first wildcard); None for a file."""
    if is_glob(path) and not os.path.exists(path):
        fixed = path[:min(path.index(char) for char in GLOB_CHARACTERS if char in path)]
        return os.path.dirname(fixed) or os.curdir
    return path if os.path.isdir(path) else None


def inside(path, folder):
    # type: (str, str) -> bool
    """True when `path` is `folder` or lies below it, links resolved."""
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def refuse_same_file(output, flag, inputs):
    """OutputError, before anything is touched, when `output` is one of `inputs` ({flag: path}) or lies in a
    folder one of them reads (a folder or a glob): it would replace an input, or be read back as one."""
    for input_flag, input_path in inputs.items():
        if not (input_path and output):
            continue
        folder = read_folder(input_path)
        if folder is not None and inside(output, folder):
            raise OutputError("{} {} lies in {}, which {} {} reads; writing there could replace an input or be read "
                              "back as one, so choose a place outside it".format(flag, output, folder, input_flag,
                                                                                input_path))
        if folder is None and same_file(output, input_path):
            raise OutputError("{} {} is the same file as {} {}; writing it would destroy the input, so choose "
                              "another name".format(flag, output, input_flag, input_path))


def refuse_dataset_files(output, flag, paths, dataset):
    """OutputError when `output` is one of a data set's files (`paths`, hard links included) or lies in a
    folder holding them (writing there could replace one). `dataset` names the data set in the message."""
    if os.path.exists(output):  # else none of the files, which all exist
        for path in paths:
            if same_file(output, path):
                raise OutputError("{} {} is {}, a file of the data set {}; writing it would destroy the data set, "
                                  "so choose another name".format(flag, output, path, dataset))
    for folder in sorted(set(os.path.dirname(os.path.realpath(path)) for path in paths)):
        if inside(output, folder):
            raise OutputError("{} {} lies in {}, a folder of the data set {}; choose a place outside its "
                              "folders".format(flag, output, folder, dataset))
