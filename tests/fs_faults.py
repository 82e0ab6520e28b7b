"""File systems that refuse writes, for the tests of unwritable outputs: real mounts, no mocks.

chmod does not stop root (these tests run as root in CI), so the refusals come from the kernel: a
tmpfs remounted read-only, and a 1 MiB tmpfs that fills up. Both fixtures skip where mounting is not
permitted (an unprivileged container).
"""

import os
import subprocess

import pytest


def _mount(*argv):
    return subprocess.run(["mount"] + list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode == 0


def _tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", "size={}".format(size), "tmpfs", path):
        pytest.skip("cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)")


def _unmount(path):
    subprocess.run(["umount", "-l", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder (str) on a read-only file system, holding one file `existing.txt` and one folder `sub/`."""
    path = str(tmp_path / "ro")
    _tmpfs(path, "1m")
    os.makedirs(os.path.join(path, "sub"))
    with open(os.path.join(path, "existing.txt"), "w") as handle:
        handle.write("x")
    if not _mount("-o", "remount,ro", path):
        _unmount(path)
        pytest.skip("cannot remount a tmpfs read-only here")
    yield path
    _unmount(path)


@pytest.fixture
def full_disk(tmp_path):
    """A folder (str) on a 1 MiB file system: writes beyond 1 MiB fail with ENOSPC."""
    path = str(tmp_path / "small")
    _tmpfs(path, "1m")
    yield path
    _unmount(path)


def names_under(path):
    """Every file and folder name below `path` (the leftovers a failure must not leave)."""
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.relpath(os.path.join(root, n), path) for n in dirs + files]
    return sorted(found)
