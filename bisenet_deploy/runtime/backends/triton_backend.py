"""Triton backend: the robot as a client of a Triton server (bisenet-serve, NVIDIA's container, a
JetPack tarball). Whole frames are prepared here exactly as the ort backend prepares them
(frames.FrameInput, FrameLabels), sent over gRPC with FRAMES_IN_FLIGHT requests outstanding so the
network's latency overlaps the host work, and labelled here; the model card comes from the server.

When the server goes away mid-run, the frames sent meanwhile are dropped (counted: `dropped_frames`),
the connection is retried with a growing pause, and after GIVE_UP_S without an answer the run fails;
no call waits longer than REQUEST_TIMEOUT_S."""

import threading
import time

import numpy as np

from ...core.errors import WorkFailed
from .base import Backend, FrameDropped, PendingFrame
from .frames import FrameSteps
from .triton_client import TRITON_DTYPES, Connection, SharedRegions, error_text, grpc, is_local, \
    is_unreachable, split_model_address

FRAMES_IN_FLIGHT = 4
REQUEST_TIMEOUT_S = 10.0
RETRY_FIRST_S, RETRY_MAX_S = 0.1, 2.0  # the pause before a reconnection, doubled after each failure
GIVE_UP_S = 30.0


class TritonBackend(Backend):
    name = "triton"
    kinds = ("triton",)
    requires = ("tritonclient",)
    segments_frames = True
    pipelines_frames = True
    frames_in_flight = FRAMES_IN_FLIGHT

    @classmethod
    def bench_columns(cls):
        return []  # measured against a server: bisenet-bench --backend triton --server HOST:PORT

    def __init__(self, model_path, card, threads=None, shared_memory=None):
        """`model_path`: triton://HOST:PORT/NAME (core.cli.resolve_model); `shared_memory` None:
        used when the server is on this machine."""
        super(TritonBackend, self).__init__(model_path, card, threads)
        self.server, self.model_name = split_model_address(model_path)
        self.connection = None
        self.shared_memory = shared_memory
        self.dropped_frames = 0
        self.reconnections = 0
        self._slots = []
        self._next = 0
        self._lost_since = None  # when the server stopped answering (None: it answers)
        self._retry_at = 0.0
        self._retry_pause = RETRY_FIRST_S
        self.last_error = None

    def _activate(self):
        self.connection = Connection(self.server, self.model_name).open()
        self.model_name = self.connection.model_name
        if self.shared_memory is None:
            self.shared_memory = is_local(self.connection.host)
        self._slots = [_Slot(self) for _ in range(FRAMES_IN_FLIGHT)]

    def _deactivate(self):
        for slot in self._slots:
            slot.close()
        self._slots = []
        if self.connection is not None:
            self.connection.close()
        self.connection = None

    def _device_text(self):
        return "Triton server {} (model {}, {})".format(self.server, self.model_name or "?", "system shared memory"
                                                         if self.shared_memory else "tensors in gRPC messages")

    def _infer(self, batch):
        """The network's output for one preprocessed batch, now (bisenet-eval's path)."""
        slot = self._slots[0]
        slot.start(batch)
        return slot.wait()[0].copy()

    def submit_frame(self, frame_bgr, overlay_alpha=None):
        """A PendingFrame whose result() is (labels, None, timings), or raises FrameDropped when the
        server did not answer; its labels stay valid until FRAMES_IN_FLIGHT more frames are submitted."""
        slot = self._slots[self._next]
        self._next = (self._next + 1) % len(self._slots)
        slot.finish_previous()
        to_input, to_labels = slot.steps.get(tuple(frame_bgr.shape[:2]))
        start = time.perf_counter()
        batch = to_input(frame_bgr)
        if self.card["input"]["dtype"] == "uint8":  # a --raw-input model: RGB bytes, normalized in its graph
            batch = np.rint(batch).astype(np.uint8)
        preprocess = time.perf_counter() - start
        sent = self._reachable() and slot.start(batch)

        def finish():
            if not sent:
                raise FrameDropped("the Triton server at {} is unreachable".format(self.server))
            output, network = slot.wait()
            self.last_infer_seconds = network
            started = time.perf_counter()
            if output.ndim == 4:  # a logits head: FrameLabels reads scores as NHWC
                output = output.transpose(0, 2, 3, 1)
            labels = to_labels(output)
            return labels, None, {"preprocess": preprocess, "network": network,
                                  "postprocess": time.perf_counter() - started}

        slot.pending = PendingFrame(finish)
        return slot.pending

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        return self.submit_frame(frame_bgr).result()

    def note_lost(self, exc):
        """A request failed because the server is gone: count the frame, plan the reconnection."""
        self.dropped_frames += 1
        if self._lost_since is None:
            self._lost_since = time.monotonic()
            self._retry_at, self._retry_pause = self._lost_since + RETRY_FIRST_S, RETRY_FIRST_S
            self.last_error = error_text(exc)

    def _reachable(self):
        """True when the server answers; while it does not, retried no more often than the pause allows,
        and WorkFailed once it has been gone GIVE_UP_S."""
        if self._lost_since is None:
            return True
        now = time.monotonic()
        if now - self._lost_since > GIVE_UP_S:
            raise WorkFailed("the Triton server at {} has not answered for {:.0f} s ({}); {} frames dropped".format(
                self.server, GIVE_UP_S, self.last_error, self.dropped_frames))
        if now < self._retry_at:
            self.dropped_frames += 1
            return False
        try:
            ready = self.connection.client.is_model_ready(self.model_name, client_timeout=RETRY_MAX_S)
            if ready:
                for slot in self._slots:
                    slot.reconnect()
        except Exception:  # still gone: any tritonclient error means the same here
            ready = False
        if not ready:
            self._retry_pause = min(2 * self._retry_pause, RETRY_MAX_S)
            self._retry_at = time.monotonic() + self._retry_pause
            self.dropped_frames += 1
            return False
        self._lost_since = None
        self.reconnections += 1
        return True

    def describe_faults(self):
        """One line about dropped frames, or None when the server always answered."""
        if not self.dropped_frames:
            return None
        return "{} frames dropped while the Triton server at {} did not answer; reconnected {} times".format(
            self.dropped_frames, self.server, self.reconnections)


class _Slot(object):
    """One request in flight: its FrameSteps, its shared-memory regions (local server), the inputs and
    outputs it sends, and the answer it waits for."""

    def __init__(self, backend):
        self.backend = backend
        card = backend.card
        self.steps = FrameSteps(card, normalized=card["input"]["dtype"] != "uint8")
        self.pending = None
        client_module = grpc()
        self._input_spec, self._output_spec = card["input"], card["output"]
        self._output_shape = [1] + [int(d) for d in card["output"]["shape"][1:]]
        self._output_dtype = np.dtype(card["output"]["dtype"])
        input_shape = [1] + [int(d) for d in card["input"]["shape"][1:]]
        self._input = client_module.InferInput(card["input"]["name"], input_shape, TRITON_DTYPES[card["input"]["dtype"]])
        self._output = client_module.InferRequestedOutput(card["output"]["name"])
        self._regions = None
        if backend.shared_memory:
            input_bytes = int(np.prod(input_shape)) * np.dtype(card["input"]["dtype"]).itemsize
            output_bytes = int(np.prod(self._output_shape)) * self._output_dtype.itemsize
            self._regions = SharedRegions(backend.connection.client, input_bytes, output_bytes)
            self._input.set_shared_memory(self._regions.names[0], input_bytes)
            self._output.set_shared_memory(self._regions.names[1], output_bytes)
        self._done = threading.Event()
        self._answer = None  # (result, error, seconds)
        self._dropped = False  # this frame is lost and counted: asking again says so without counting again
        self._started = 0.0

    def finish_previous(self):
        """The slot's last frame, finished before its buffers are reused (a dropped one counts as finished)."""
        if self.pending is not None:
            try:
                self.pending.result()
            except FrameDropped:
                pass  # already counted; its caller was told when it asked
            self.pending = None

    def start(self, batch):
        """Send `batch`; False when the server is gone (the frame is dropped)."""
        if self._regions is not None:
            self._regions.write_input(batch)
        else:
            self._input.set_data_from_numpy(batch)
        self._done.clear()
        self._dropped = False
        self._started = time.perf_counter()
        try:
            self.backend.connection.client.async_infer(
                self.backend.model_name, [self._input], self._answered, outputs=[self._output],
                client_timeout=REQUEST_TIMEOUT_S)
        except Exception as exc:  # the channel is down: tritonclient raises its own type
            return self._failed(exc)
        return True

    def _answered(self, result, error):
        self._answer = (result, error, time.perf_counter() - self._started)
        self._done.set()

    def wait(self):
        """(output, seconds from send to answer); FrameDropped when the server did not answer."""
        if self._dropped:
            raise FrameDropped("the Triton server at {} did not answer".format(self.backend.server))
        if not self._done.wait(REQUEST_TIMEOUT_S + 1.0):
            self._failed(TimeoutError("no answer in {:.0f} s".format(REQUEST_TIMEOUT_S)))
            raise FrameDropped("the Triton server at {} did not answer".format(self.backend.server))
        result, error, seconds = self._answer
        if error is not None:
            if not is_unreachable(error):
                raise WorkFailed("the Triton server at {} refused a frame: {}".format(
                    self.backend.server, error_text(error)))
            self._failed(error)
            raise FrameDropped("the Triton server at {} went away: {}".format(self.backend.server, error_text(error)))
        if self._regions is not None:
            return self._regions.read_output(self._output_dtype, self._output_shape), seconds
        return result.as_numpy(self._output_spec["name"]), seconds

    def _failed(self, exc):
        self._dropped = True
        self.backend.note_lost(exc)
        return False

    def reconnect(self):
        if self._regions is not None:
            self._regions.register()

    def close(self):
        self.finish_quietly()
        if self._regions is not None:
            self._regions.close()
            self._regions = None

    def finish_quietly(self):
        """Wait (bounded) for an answer still on its way, so no callback writes into freed memory."""
        if self.pending is not None:
            self._done.wait(REQUEST_TIMEOUT_S + 1.0)
            self.pending = None
