"""ONNX -> TensorRT engine + sidecar: precision decided honestly first, then one build through the
adapter, with a heartbeat, an optional timing cache and INT8 calibration, and atomic writes."""

import collections
import hashlib
import logging
import os
import time

from ..core.atomic import write_bytes_atomic
from ..core.errors import InputError, WorkFailed
from ..core.model_info import load_model_card
from .batch_profile import batch_profile, profile_json
from .device import describe, device_slug
from .fp16_onnx import convert_to_fp16
from .heartbeat import DEFAULT_INTERVAL_SECONDS, format_elapsed, heartbeat
from .precision import capabilities, graph_facts, plan_precision
from .sidecar import engine_default_path, make_sidecar, write_sidecar

LOG = logging.getLogger("bisenet_deploy.engines")
MIB = 1 << 20
# The TX2 has 8 GB shared by CPU and GPU: 1 GiB of scratch leaves room for the camera, the model and
# the runtime, and is far more than BiSeNet's layers ask for; it is capped at a quarter of GPU memory.
DEFAULT_WORKSPACE_MIB = 1024

BuildRequest = collections.namedtuple("BuildRequest", "onnx_path output precision workspace_mib timing_cache "
                                                      "calib_images calib_cache calib_count force_int8")
BuildResult = collections.namedtuple("BuildResult", "engine_path sidecar plan seconds")
Built = collections.namedtuple("Built", "engine timing_cache calibration seconds")


def workspace_bytes(requested_mib, device):
    # type: (int, object) -> int
    if requested_mib is not None:
        if requested_mib <= 0:
            raise InputError("--workspace must be a positive number of MiB, got {}".format(requested_mib))
        return int(requested_mib) * MIB
    return min(DEFAULT_WORKSPACE_MIB * MIB, int(device.total_memory) // 4)


def read_onnx(onnx_path):
    # type: (str) -> bytes
    if not os.path.isfile(onnx_path):
        raise InputError("ONNX model not found: {}".format(onnx_path))
    if not onnx_path.lower().endswith(".onnx"):
        raise InputError("{}: expected an .onnx model from bisenet-export".format(onnx_path))
    with open(onnx_path, "rb") as handle:
        return handle.read()


def describe_problems(problems, onnx_bytes):
    # type: (list, bytes) -> list
    """'node 12 (Resize_7, Resize): message' for each parser error; node names from onnx when available."""
    nodes = _onnx_nodes(onnx_bytes)
    lines = []
    for problem in problems:
        name, op_type = problem.node_name, None
        if 0 <= problem.node_index < len(nodes):
            name, op_type = name or nodes[problem.node_index][0], nodes[problem.node_index][1]
        where = "node {}".format(problem.node_index) if problem.node_index >= 0 else "model"
        label = ", ".join(part for part in (name, op_type) if part)
        lines.append("{}{}: {}".format(where, " ({})".format(label) if label else "", problem.message))
    return lines


def _onnx_nodes(onnx_bytes):
    try:
        import onnx  # optional on the device: without it, errors name the node by index only
    except ImportError:
        return []
    try:
        return [(node.name, node.op_type) for node in onnx.load_from_string(onnx_bytes).graph.node]
    except Exception:  # protobuf's DecodeError: TensorRT's own message is all there is to report
        return []


def build(request, api, device, calibrator_factory=None, say=LOG.info, heartbeat_seconds=DEFAULT_INTERVAL_SECONDS):
    """Build `request` (a BuildRequest) with `api` (TrtApi) for `device` (DeviceInfo), inside the CUDA
    context the caller made current; every TensorRT object is released before this returns or raises.

    `calibrator_factory(api, card, request)` returns (calibrator, summary) for implicit INT8.
    """
    onnx_bytes = read_onnx(request.onnx_path)
    card = load_model_card(request.onnx_path)
    builder = api.create_builder()
    try:
        caps = capabilities(api, builder, device)
        plan = plan_precision(request.precision, caps, graph_facts(onnx_bytes, card), request.force_int8,
                              bool(request.calib_images or request.calib_cache))
        engine_path = request.output or engine_default_path(request.onnx_path, plan.used, api.version,
                                                             device_slug(device))
        workspace = workspace_bytes(request.workspace_mib, device)
        say("building {} -> {}".format(request.onnx_path, engine_path))
        say("  TensorRT {} on {}".format(api.version, describe(device)))
        say("  precision: {} (requested {}); workspace {} MiB".format(plan.used.upper(), plan.requested.upper(),
                                                                      workspace // MIB))
        for note in plan.notes:
            say("  note: {}".format(note))
        profile = batch_profile(card)
        if profile is not None:
            say("  dynamic batch: {}..{}, kernels chosen at batch {}".format(profile.min, profile.max, profile.opt))
        network_bytes = convert_to_fp16(onnx_bytes) if plan.convert_to_fp16 else onnx_bytes
        built = _build_with_tensorrt(api, builder, network_bytes, card, profile, request, plan, workspace,
                                     calibrator_factory, say, heartbeat_seconds)
    finally:
        builder = None  # freed now, while the caller's CUDA context is current, not at garbage collection

    sidecar = make_sidecar(card, request.onnx_path, hashlib.sha256(onnx_bytes).hexdigest(), api.version, device,
                           plan, workspace, built.seconds, built.calibration, profile_json(profile))
    write_bytes_atomic(engine_path, built.engine)
    try:
        write_sidecar(engine_path, sidecar)
    except BaseException:
        os.remove(engine_path)  # an engine without its sidecar would be refused at load anyway
        raise
    if built.timing_cache:
        write_bytes_atomic(request.timing_cache, built.timing_cache)
        say("updated the timing cache {}".format(request.timing_cache))
    say("wrote {} ({:.1f} MB, {} in {}) and its sidecar {}.json".format(
        engine_path, len(built.engine) / 1e6, plan.used.upper(), format_elapsed(built.seconds),
        os.path.basename(engine_path)))
    return BuildResult(engine_path, sidecar, plan, built.seconds)


def _build_with_tensorrt(api, builder, onnx_bytes, card, profile, request, plan, workspace, calibrator_factory,
                         say, heartbeat_seconds):
    """Parse, configure and build: a Built, with every TensorRT object released on the way out."""
    network = parser = config = calibrator = None
    try:
        network = api.create_network(builder)
        parser, problems = api.parse_onnx(network, onnx_bytes)  # the parser owns weights the network uses
        if problems:
            raise WorkFailed("TensorRT {}'s ONNX parser rejected {}:\n  {}".format(
                api.version, request.onnx_path, "\n  ".join(describe_problems(problems, onnx_bytes))))
        config = api.create_config(builder, workspace)
        if profile is not None:
            api.add_batch_profile(builder, config, card["input"]["name"], card["input"]["shape"][1:], profile,
                                  calibrate=plan.calibrate)
        _load_timing_cache(api, config, request.timing_cache, say)
        calibration = None
        if plan.calibrate:
            calibrator, calibration = calibrator_factory(api, card, request)
        api.enable_precision(config, plan.flags, calibrator)
        start = time.monotonic()
        try:
            with heartbeat("building the {} engine".format(plan.used.upper()), heartbeat_seconds, say):
                engine = api.build_plan(builder, network, config)
        except WorkFailed:
            _raise_calibrator_error(calibrator)  # the root cause, when the calibrator failed
            raise
        _raise_calibrator_error(calibrator)
        timing_cache = api.timing_cache_bytes(config) if request.timing_cache and api.has_timing_cache(config) \
            else None
        return Built(engine, timing_cache, calibration, time.monotonic() - start)
    finally:
        # Drop the config and calibrator while the CUDA context is current (a traceback would keep them
        # alive). Network and parser are NOT freed by this: the OnnxParser binding ties them to each
        # other (py::keep_alive both ways, NVIDIA's python/src/parsers/pyOnnx.cpp), so both live until
        # the process exits. That costs one network definition per build, and a command builds once.
        network = parser = config = calibrator = None  # noqa: F841


def _raise_calibrator_error(calibrator):
    """TensorRT calls the calibrator from C++, where a Python exception cannot pass: it is kept and
    raised here, after the build."""
    error = getattr(calibrator, "error", None)
    if error is not None:
        raise error


def _load_timing_cache(api, config, path, say):
    if not path:
        return
    if not api.has_timing_cache(config):
        say("  note: TensorRT {} has no timing cache (it arrived in 8.0); --timing-cache ignored".format(api.version))
        return
    data = b""
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            data = handle.read()
        say("  timing cache: {} ({} bytes)".format(path, len(data)))
    if not api.use_timing_cache(config, data):
        say("  note: TensorRT rejected the timing cache {} (made for another GPU or TensorRT?); starting a new "
            "one".format(path))
