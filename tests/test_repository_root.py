"""The repository root holds the project's files, not data a run left behind (a stray 600 KB scores.npy
once stood there): data belongs in bisenet_deploy/data/, tests' tmp_path or out/."""

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA_EXTENSIONS = (".npy", ".npz", ".onnx", ".pth", ".pt", ".tar", ".engine", ".plan", ".calib", ".cache", ".mp4",
                   ".avi", ".mkv", ".png", ".jpg", ".jpeg", ".bmp", ".bag", ".db3", ".mcap", ".pkl", ".h5", ".csv")


def root_files():
    """The files at the root the repository holds (git's list where there is one), else on disk."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=str(ROOT), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, timeout=60, check=True).stdout.decode()
        return [name for name in listed.splitlines() if "/" not in name]
    except (OSError, subprocess.SubprocessError):
        return [name for name in os.listdir(str(ROOT)) if (ROOT / name).is_file()]


def test_no_data_file_stands_at_the_repository_root():
    strays = [name for name in root_files() if name.lower().endswith(DATA_EXTENSIONS)]
    assert strays == [], "data files at the repository root: {}".format(", ".join(strays))
