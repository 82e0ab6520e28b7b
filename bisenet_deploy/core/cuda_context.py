"""One CUDA context for TensorRT and our kernels, made on purpose rather than by `import pycuda.autoinit`.

autoinit binds a context to whichever thread imports it first and pops it at exit; bisenet-run
captures, infers and renders on different threads. So the context is created once, popped, and
pushed around every use under a lock; created with MAP_HOST so mapped (zero-copy) buffers work.
Any thread may push it, but pycuda frees memory and detaches a context only from the thread that
created it, so objects are made and released on that thread (in our commands: the main thread; the
capture thread never touches CUDA).
"""

import contextlib
import threading

from .lazy import lazy_import


class CudaContext(object):
    """`ctx = CudaContext(); with ctx.active(): ...; ctx.close()`."""

    def __init__(self, ordinal=0, driver=None):
        self.driver = driver if driver is not None else lazy_import("pycuda.driver", "the TensorRT backend")
        self.driver.init()
        self.device = self.driver.Device(ordinal)
        self._context = self.device.make_context(flags=self.driver.ctx_flags.MAP_HOST)  # current on this thread
        self.driver.Context.pop()
        self._lock = threading.RLock()
        self.integrated = bool(self.device.get_attribute(self.driver.device_attribute.INTEGRATED))

    @contextlib.contextmanager
    def active(self):
        """Make the context current on the calling thread for the block."""
        with self._lock:
            self._context.push()
            try:
                yield self
            finally:
                self.driver.Context.pop()

    def close(self):
        if self._context is not None:
            self._context.detach()
            self._context = None
