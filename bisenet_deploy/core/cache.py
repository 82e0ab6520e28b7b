"""Where bisenet-deploy keeps what it computes once per machine (compiled routines, measured rates)."""

import os


def cache_root():
    # type: () -> str
    """~/.cache/bisenet-deploy, or under $XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bisenet-deploy")
