"""Running a loaded engine: one execution context, buffers allocated and bound once, one stream.

Each inference is one upload, one enqueue and one download; the network time is measured with CUDA
events. On a Jetson the copy and mapped (zero-copy) buffer schemes are both timed and the faster kept.
Every method expects the CUDA context to be current (the caller holds `cuda.active()`).
"""

import logging

import numpy as np

from . import buffers

LOG = logging.getLogger("bisenet_deploy.engines")
MEMORY_CHOICES = ("auto",) + buffers.MEMORY_MODES
PROBE_RUNS = 10  # inferences per scheme when picking copy vs mapped


class EngineRunner(object):
    """`runner = EngineRunner(api, cuda, engine, specs, output_name)`, `runner.start(memory)`, then
    `runner.infer(batch)`; `runner.close()` frees the buffers."""

    def __init__(self, api, cuda, engine, specs, output_name):
        self.api, self.cuda, self.engine, self.specs = api, cuda, engine, specs
        self.output_name = output_name
        self.context = api.create_context(engine)
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

    def start(self, memory):
        """Allocate and bind with `memory` (copy | mapped), or measure both and keep the faster ("auto")."""
        self.use_memory(self._pick_memory(memory))
        return self

    def _pick_memory(self, requested):
        if requested != "auto":
            return requested
        if not self.cuda.integrated:
            return "copy"  # a discrete GPU cannot read host memory quickly over PCIe
        for mode in buffers.MEMORY_MODES:
            self.use_memory(mode)
            self.memory_probe[mode] = self._probe()
        best = min(self.memory_probe, key=self.memory_probe.get)
        LOG.info("memory: %s (network %.2f ms with copies, %.2f ms mapped)", best,
                 1e3 * self.memory_probe["copy"], 1e3 * self.memory_probe["mapped"])
        return best

    def use_memory(self, mode):
        buffers.release(self.buffers)
        self.buffers = []  # never freed twice, even when the allocation below fails
        self.buffers = buffers.allocate(self.specs, self.cuda.driver, mode)
        self.run = self.api.bind(self.engine, self.context, [b.spec for b in self.buffers],
                                 [b.device_ptr for b in self.buffers])
        self.memory = mode

    def _probe(self):
        self.input_buffer.host.fill(0)
        timings = []
        for _ in range(PROBE_RUNS + 1):  # the first run pays for lazy initialisation
            self.enqueue()
            timings.append(self.finish())
        return float(np.median(timings[1:]))

    def infer(self, batch):
        """The output in the engine's own page-locked buffer: valid until the next inference."""
        np.copyto(self.input_buffer.host, batch)
        buffers.upload_inputs(self.buffers, self.cuda.driver, self.stream, self.memory)
        self.enqueue()
        buffers.download_outputs(self.buffers, self.cuda.driver, self.stream, self.memory)
        self.last_network_seconds = self.finish()
        return self.output_buffer.host

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
