"""Running a loaded engine: one execution context, buffers allocated and bound once, one stream.

Each inference is one upload, one enqueue and one download; the network time is measured with CUDA
events. On a Jetson the copy and mapped (zero-copy) buffer schemes are both timed and the faster kept.
Every method expects the CUDA context to be current (the caller holds `cuda.active()`).
"""

import logging
import time

import numpy as np

from . import buffers

LOG = logging.getLogger("bisenet_deploy.engines")
MEMORY_CHOICES = ("auto",) + buffers.MEMORY_MODES
PROBE_RUNS = 10  # round trips per scheme when picking copy vs mapped


class EngineRunner(object):
    """`runner = EngineRunner(api, cuda, engine, specs, output_name)`, `runner.start(memory)`, then
    `runner.infer(batch)`; `runner.close()` frees the buffers.

    With `dynamic_batch` the buffers (specs) hold the largest batch and each inference sets the
    context's input shape to its own batch (when it changed); it starts at batch 1, what frames use."""

    def __init__(self, api, cuda, engine, specs, output_name, dynamic_batch=False):
        self.api, self.cuda, self.engine, self.specs = api, cuda, engine, specs
        self.output_name = output_name
        self.context = api.create_context(engine)
        input_spec = next(s for s in specs if s.is_input)
        self._image_shape = input_spec.shape[1:]
        self._set_input_shape = api.input_shape_setter(engine, self.context, specs) if dynamic_batch else None
        self.batch = input_spec.shape[0]  # the batch the context runs
        self.set_batch(1)
        driver = cuda.driver
        self.stream = driver.Stream()
        self._events = (driver.Event(), driver.Event())
        self.buffers = []
        self.run = None  # run(stream_handle): enqueue the engine on its bound buffers
        self.memory = None
        self.memory_probe = {}  # scheme -> median network seconds, when "auto" measured them
        self.last_network_seconds = 0.0

    @property
    def input_buffer(self):
        return next(b for b in self.buffers if b.spec.is_input)

    @property
    def output_buffer(self):
        return next(b for b in self.buffers if b.spec.name == self.output_name)

    def start(self, memory, make_round_trip=None):
        """Allocate and bind with `memory` (copy | mapped), or measure both and keep the faster ("auto").

        What zero-copy saves is the uploads, the downloads and the CPU reading the result, so "auto"
        times whole round trips: `make_round_trip()`, called once the buffers of a scheme are bound,
        returns a function that runs one inference as the caller will run them (on real input, the
        result read by the CPU); without one, the output of infer() on a zero batch is read."""
        self.use_memory(self._pick_memory(memory, make_round_trip or self._zero_round_trip))
        return self

    def _pick_memory(self, requested, make_round_trip):
        if requested != "auto":
            return requested
        if not self.cuda.integrated:
            return "copy"  # a discrete GPU cannot read host memory quickly over PCIe
        for mode in buffers.MEMORY_MODES:
            self.use_memory(mode)
            self.memory_probe[mode] = _median_seconds(make_round_trip())
        best = min(self.memory_probe, key=self.memory_probe.get)
        LOG.info("memory: %s (round trip %.2f ms with copies, %.2f ms mapped)", best,
                 1e3 * self.memory_probe["copy"], 1e3 * self.memory_probe["mapped"])
        return best

    def set_batch(self, batch):
        """Run the next inferences on `batch` images (a dynamic batch; a fixed one stays as it is)."""
        if self._set_input_shape is not None and batch != self.batch:
            self._set_input_shape((batch,) + self._image_shape)
            self.batch = batch

    def _zero_round_trip(self):
        batch = np.zeros((self.batch,) + self._image_shape, self.input_buffer.spec.dtype)
        return lambda: np.array(self.infer(batch), copy=True)

    def use_memory(self, mode):
        buffers.release(self.buffers)
        self.buffers = []  # never freed twice, even when the allocation below fails
        self.buffers = buffers.allocate(self.specs, self.cuda.driver, mode)
        self.run = self.api.bind(self.engine, self.context, [b.spec for b in self.buffers],
                                 [b.device_ptr for b in self.buffers])
        self.memory = mode

    def infer(self, batch):
        """The output in the engine's own page-locked buffer (its first len(batch) results): valid until
        the next inference."""
        count = len(batch)
        self.set_batch(count)
        np.copyto(self.input_buffer.host[:count], batch)
        buffers.upload_inputs(self.buffers, self.cuda.driver, self.stream, self.memory, count)
        self.enqueue()
        buffers.download_outputs(self.buffers, self.cuda.driver, self.stream, self.memory, count)
        self.last_network_seconds = self.finish()
        return self.output_buffer.host[:count]

    def enqueue(self):
        start, end = self._events
        start.record(self.stream)
        self.run(self.stream.handle)
        end.record(self.stream)

    def finish(self):
        """Wait for the stream; the seconds between the enqueue's two events (the network alone)."""
        self.stream.synchronize()
        start, end = self._events
        return end.time_since(start) / 1e3

    def close(self):
        buffers.release(self.buffers)
        self.buffers = []
        self.run = self.context = self.engine = None
        self.stream = self._events = None


def _median_seconds(round_trip):
    timings = []
    for _ in range(PROBE_RUNS + 1):  # the first run pays for lazy initialisation
        start = time.perf_counter()
        round_trip()
        timings.append(time.perf_counter() - start)
    return float(np.median(timings[1:]))
