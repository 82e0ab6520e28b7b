"""OpenVINO backend: runs an .onnx on the CPU in the precision the CPU executes natively, never silently.

The precision (openvino_precision.py) is set explicitly on every compiled model (OpenVINO's own
default is BF16 on AMX CPUs) and read back after compilation; describe(), the run summary, the
bench column and the eval JSON name it. A reduced precision can be checked against FP32 on activation
(`verify`: True or a precision_check.VerifySpec; bisenet-run/eval --verify): the same check and
precision gate as bisenet-build-engine --verify (mIoU drop where labels exist, else agreement on the
user's pictures); a precision that fails is refused with the figures.

Two compiled models, each made on first use: the network alone (float NCHW in, the card's output;
`infer`, what network-only timings and verification use), and the whole-frame model of
openvino_graph.py (`submit_frame` / `segment_frame`, the hot path): frames.FrameInput's float frame
at the network's size in, NHWC scores or labels out, turned into labels at the frame's size by
frames.FrameLabels. It has FRAMES_IN_FLIGHT infer requests, so one frame's network runs while the
host finishes the previous frame (frames.FramePipeline). The input is passed to OpenVINO without a
copy, its output tensor is read in place, and every frame-sized buffer is reused.
"""

import logging
import os
import time

from ...core.errors import InputError, WorkFailed
from ...core.lazy import is_installed, lazy_import
from ...core.qdq_source import require_fp32_source
from . import openvino_graph
from .base import Backend
from .frames import FramePipeline
from .openvino_precision import PRECISIONS, bench_precisions, is_qdq_file, native, plan_precision, prefers_openvino
from .openvino_speed import bf16_pays, bf16_speed

LOG = logging.getLogger("bisenet_deploy.runtime")
DEVICE = "CPU"
BENCH_PRECISIONS = ("fp32", "bf16", "int8")  # FP16 is native on AVX-512 FP16 CPUs but slower than FP32 there
FRAMES_IN_FLIGHT = 2  # infer requests of the whole-frame model: one runs while the host finishes the other


def _openvino():
    return lazy_import("openvino", "the openvino backend")


_CORE = []


def shared_core():
    """The process's one ov.Core, kept to the end. Each Core's CPU plugin installs an alternate signal
    stack and, destroyed, puts back the one it found: two Cores destroyed out of order left the main
    thread's pointing at freed memory, and the next signal (Ctrl-C, SIGTERM) ended in a segfault."""
    if not _CORE:
        _CORE.append(_openvino().Core())
    return _CORE[0]


def cpu_facts(core=None):
    """(CPU name, OPTIMIZATION_CAPABILITIES list) as OpenVINO's CPU plugin reports them."""
    core = core or shared_core()
    return (str(core.get_property(DEVICE, "FULL_DEVICE_NAME")),
            [str(c) for c in core.get_property(DEVICE, "OPTIMIZATION_CAPABILITIES")])


def bf16_fast(core, cpu_name, capabilities, threads=None):
    # type: (object, str, list, int) -> bool
    """Whether this CPU runs BF16 natively and faster than FP32 (openvino_speed.py; measured once)."""
    return native("bf16", capabilities) and bf16_pays(bf16_speed(core, cpu_name, threads))


class OpenVinoBackend(Backend):
    name = "openvino"
    requires = ("openvino",)
    kinds = ("onnx",)
    precisions = PRECISIONS
    chooses_precision = True  # create_backend passes --precision and --verify
    segments_frames = True
    pipelines_frames = True

    @classmethod
    def bench_columns(cls):
        """[("cpu", {"precision": p})] for the precisions this CPU runs natively; the others logged with the
        reason (an INT8 column runs only where a QDQ model is given or made)."""
        kept, skipped = bench_precisions(cpu_facts()[1], BENCH_PRECISIONS)
        for precision, reason in skipped:
            LOG.warning("skipping OV %s: %s", precision.upper(), reason)
        return [("cpu", {"precision": precision}) for precision in kept]

    @classmethod
    def auto_prefers(cls, model_path):
        """auto's rule for an .onnx: OpenVINO where ONNX Runtime has no GPU here and the CPU runs OpenVINO
        much faster than ONNX Runtime's FP32 (openvino_precision.prefers_openvino: native BF16, or a QDQ
        INT8 model)."""
        if not os.path.isfile(model_path):
            return False
        if is_installed("onnxruntime") and "CUDAExecutionProvider" in lazy_import(
                "onnxruntime", "the ort backend").get_available_providers():
            return False
        core = shared_core()
        cpu_name, capabilities = cpu_facts(core)
        qdq = is_qdq_file(model_path)
        return prefers_openvino(capabilities, qdq, qdq or bf16_fast(core, cpu_name, capabilities))

    def __init__(self, model_path, card, threads=None, precision="auto", capabilities=None, verify=False):
        """`precision`: auto|fp32|bf16|fp16|int8; `capabilities` replaces the CPU's OPTIMIZATION_CAPABILITIES
        (tests ask for what a CPU lacks); `verify`: compare a reduced precision with FP32 on activation
        (True: on the default pictures; a precision_check.VerifySpec: on those)."""
        super(OpenVinoBackend, self).__init__(model_path, card, threads)
        self.precision_requested = precision or "auto"
        self.precision = None  # known once activated
        self.plan = None
        self.verify = verify
        self.verification = None  # precision_check.Comparison once verified
        self._capabilities = list(capabilities) if capabilities is not None else None
        self.cpu_name = None
        self._core = self._model = self._network = None
        self._pipeline = None  # frames.FramePipeline over the whole-frame model, made on the first frame
        self._requests = []  # its infer requests

    def _activate(self):
        if not os.path.isfile(self.model_path):
            raise InputError("model not found: {}".format(self.model_path))
        self._core = shared_core()
        self.cpu_name, capabilities = cpu_facts(self._core)
        if self._capabilities is not None:
            capabilities = self._capabilities
        self._model = self._read()
        quantized = openvino_graph.is_quantized(self._model)
        fast = self.precision_requested not in ("auto", "int8") or bf16_fast(
            self._core, self.cpu_name, capabilities, self.threads)  # measured only where auto needs it
        self.plan = plan_precision(self.precision_requested, capabilities, quantized, self.cpu_name, fast)
        self.precision = self.plan.used
        for note in self.plan.notes:
            LOG.info("openvino: %s", note)

    def activate(self):
        """Activate; with `verify`, a reduced precision is compared with FP32 first (and refused, the
        backend left inactive, when it fails)."""
        was_active = self.is_active
        super(OpenVinoBackend, self).activate()
        if not was_active and self.verify and self.precision != "fp32":
            try:
                self.verification = verify_against_fp32(self)
            except Exception:
                self.deactivate()
                raise
        return self

    def _read(self):
        try:
            model = openvino_graph.read_model(self._core, self.model_path)
        except RuntimeError as exc:
            raise InputError("OpenVINO cannot read {}: {}".format(self.model_path, _first_line(exc)))
        for role, ports in (("input", model.inputs), ("output", model.outputs)):
            names = [name for port in ports for name in port.get_names()]
            if self.card[role]["name"] not in names:
                raise InputError("{}: the model card names the {} {!r}, but the model's {}s are {}".format(
                    self.model_path, role, self.card[role]["name"], role, ", ".join(sorted(names))))
        if self.card.get("dynamic_batch"):
            openvino_graph.set_batch(model, self.card, *self.batch_range)
        return model

    def config(self):
        """The compile properties: the precision always explicit, one stream for the lowest latency."""
        config = {"INFERENCE_PRECISION_HINT": self.plan.hint, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1"}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = str(self.threads)
        return config

    def _compile(self, model):
        compiled = self._core.compile_model(model, DEVICE, self.config())
        used = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()  # read back: never silent
        if used != self.plan.hint:
            raise WorkFailed("OpenVINO compiled {} with INFERENCE_PRECISION_HINT {} although {} was set".format(
                self.model_path, used, self.plan.hint))
        return compiled

    def _infer(self, batch):
        if self._network is None:
            self._network = self._compile(self._model).create_infer_request()
        self._network.infer({0: batch}, share_inputs=True)
        return self._network.get_output_tensor(0).data

    def submit_frame(self, frame_bgr, overlay_alpha=None):
        """A PendingFrame: the uint8 BGR frame's whole-frame model started (frames.FramePipeline); its
        result() is (labels at the frame's size, None, timings). The labels are OpenVINO's output buffer
        or ours, valid until the frame after the next one is submitted."""
        if not self.is_active:
            raise RuntimeError("openvino backend used before activate()")
        if self._pipeline is None:
            compiled = self._compile(openvino_graph.frame_model(self._core, self.model_path, self.card))
            clock = _StreamClock()
            self._requests = [compiled.create_infer_request() for _ in range(FRAMES_IN_FLIGHT)]
            self._pipeline = FramePipeline(self, [_FrameRequest(request, clock) for request in self._requests])
        return self._pipeline.submit(frame_bgr)

    def segment_frame(self, frame_bgr, overlay_alpha=None):
        """submit_frame's result, now."""
        return self.submit_frame(frame_bgr).result()

    def _deactivate(self):
        for request in self._requests:  # a frame still running finishes before what it reads is released
            request.wait()
        self._network = self._model = self._core = None
        self._pipeline = None
        self._requests = []

    def _device_text(self):
        hint = " INFERENCE_PRECISION_HINT={}".format(self.plan.hint) if self.plan else ""
        return "OpenVINO {} ({}){}".format(DEVICE, self.cpu_name or "CPU", hint)


class _StreamClock(object):
    """When the compiled model's one stream last finished a request: a request started while another
    runs waits in OpenVINO's queue until then, and that wait is not network time."""

    def __init__(self):
        self.free_at = 0.0


class _FrameRequest(object):
    """One FramePipeline slot: an infer request of the whole-frame model, run asynchronously (OpenVINO
    reads the input in place, so it stays untouched until wait() returns). Its network time runs from
    when the stream took it (its start, or the previous request's end) to its end: its start plus
    InferRequest.latency, which counts the queueing too.

    No completion callback: OpenVINO would run a Python callback on its own thread, and a request still
    running when the interpreter exits (a signal between two frames) then killed the process taking the
    GIL: "FATAL: exception not rethrown", exit 134, or a segfault."""

    def __init__(self, request, clock):
        self.request = request
        self.clock = clock
        self._started = None

    def start(self, batch):
        self._started = time.perf_counter()
        self.request.start_async({0: batch}, share_inputs=True)

    def wait(self):
        """(output in place, network seconds); in start order, as FramePipeline asks."""
        self.request.wait()
        latency = self.request.latency / 1e3
        finished = self._started + latency
        took_it = max(self._started, self.clock.free_at)
        # our clock and OpenVINO's latency can disagree by microseconds, putting the previous request's end
        # after this one's: then the request's own latency is the only consistent measure
        seconds = finished - took_it if took_it < finished else latency
        self.clock.free_at = max(finished, self.clock.free_at)
        return self.request.get_output_tensor(0).data, seconds


def verify_against_fp32(backend):
    """The Comparison of `backend` (active, reduced precision) with FP32 OpenVINO on the verification
    pictures (precision_check.py: the user's --verify-images, else generated labelled scenes), judged by
    the precision gate; WorkFailed with the figures when it fails."""
    from ..precision_check import VerifySpec, check_set_for, compare_backends_on, format_comparison, judge_comparison

    spec = backend.verify if isinstance(backend.verify, VerifySpec) else VerifySpec(None, None, None)
    check_set = check_set_for(backend.card, spec)
    reference_path = backend.model_path
    if backend.precision == "int8":
        reference_path = require_fp32_source(backend.model_path, backend.card, "--verify")
    reference = OpenVinoBackend(reference_path, backend.card, backend.threads, precision="fp32")
    with reference:
        result = compare_backends_on(backend, reference, backend.card, check_set)
    precision = backend.precision
    verdict = judge_comparison(precision, result)
    LOG.info("verify: OpenVINO %s vs FP32 (%s) on %s\n%s", precision.upper(), reference_path, check_set.description,
             format_comparison(result, "OV " + precision.upper(), "OV FP32"))
    if verdict.warning:
        LOG.warning("verify: %s", verdict.warning)
    if not verdict.passed:
        raise WorkFailed("--precision {} refused: on {} its {}; run --precision fp32".format(
            precision, check_set.description, verdict.text))
    LOG.info("verify: OK | %s", verdict.text)
    return result


def _first_line(exc):
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Exception from")]
    return (lines[0] if lines else type(exc).__name__)[:200]
