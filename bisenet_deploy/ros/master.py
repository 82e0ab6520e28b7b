"""The ROS master, reached when the node starts: when it cannot be reached, one line naming the URI tried
and where it came from, instead of rospy's socket error, which names neither."""

import contextlib

from ..core.errors import InputError
from ..core.lazy import lazy_import

REMAP = "__master:="


@contextlib.contextmanager
def reaching_master(argv):
    """Turn a socket error (refused, unknown host, timeout) inside the block into an InputError naming the
    master's URI as rospy resolves it: `__master:=` in `argv`, else ROS_MASTER_URI."""
    try:
        yield
    except OSError as exc:
        uri = lazy_import("rosgraph", "bisenet-ros").get_master_uri(argv=argv)
        origin = REMAP if any(arg.startswith(REMAP) for arg in argv) else "ROS_MASTER_URI"
        raise InputError("cannot reach the ROS master at {} ({}): {}; start roscore, or point ROS_MASTER_URI at "
                         "the running master".format(uri, origin, exc.strerror or exc))
