"""Atomic writes: all or nothing, and the written file has the permissions a plain open() would give."""

import os
import stat

import pytest

from bisenet_deploy.core.atomic import atomic_path, write_bytes_atomic


def test_written_file_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_bytes_atomic(str(tmp_path / "model.engine"), b"plan")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(tmp_path / "model.engine")).st_mode) == 0o644
    assert (tmp_path / "model.engine").read_bytes() == b"plan"


def test_failure_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(str(tmp_path / "out.onnx")) as tmp:
            open(tmp, "wb").write(b"half")
            raise RuntimeError("stage failed")
    assert list(tmp_path.iterdir()) == []
