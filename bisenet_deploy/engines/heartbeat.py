"""A line every so often while a long call runs: a TensorRT build on a TX2 takes minutes in silence."""

import contextlib
import logging
import threading
import time

LOG = logging.getLogger("bisenet_deploy.engines")
DEFAULT_INTERVAL_SECONDS = 30.0


def format_elapsed(seconds):
    # type: (float) -> str
    minutes, seconds = divmod(int(seconds), 60)
    return "{}m{:02d}s".format(minutes, seconds) if minutes else "{}s".format(seconds)


@contextlib.contextmanager
def heartbeat(what, interval=DEFAULT_INTERVAL_SECONDS, say=LOG.info):
    """Call `say("<what>: still working (1m30s)")` every `interval` seconds until the block ends."""
    done = threading.Event()
    start = time.monotonic()

    def beat():
        while not done.wait(interval):
            say("{}: still working ({})".format(what, format_elapsed(time.monotonic() - start)))

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
