"""MODEL.engine.json: what an engine was built from and for, checked before TensorRT sees the engine.

A serialized engine runs only on the TensorRT version and GPU model that built it, and TensorRT's own
error for a mismatch is obscure (or a crash). The sidecar records both plus the source ONNX's sha256,
so loading refuses a stale engine with a message that says to rebuild.
"""

import datetime
import json
import os

from .. import __version__
from ..core.atomic import write_bytes_atomic
from ..core.digest import file_sha256
from ..core.errors import InputError
from ..core.model_info import SIDECAR_CARD_KEY, sidecar_path
from .device import info_from_json, info_to_json

SIDECAR_FORMAT = "bisenet-deploy/engine"
SIDECAR_VERSION = 1


def engine_default_path(onnx_path, precision, trt_version, device_slug):
    # type: (str, str, str, str) -> str
    """model.fp16.trt8.2.1.nvidia-tegra-x2-sm62.engine next to the ONNX: engines for other precisions,
    TensorRT versions or GPUs get other names, so they never overwrite each other."""
    stem = os.path.splitext(onnx_path)[0]
    return "{}.{}.trt{}.{}.engine".format(stem, precision, trt_version, device_slug)


def make_sidecar(card, onnx_path, onnx_sha256, trt_version, device, plan, workspace_bytes, build_seconds,
                 calibration=None, batch_profile=None):
    """The sidecar dict; `plan` is the PrecisionPlan, `device` a DeviceInfo, `calibration` a summary or None,
    `batch_profile` the {min, opt, max} batches of a dynamic batch axis or None."""
    return {
        "format": SIDECAR_FORMAT,
        "sidecar_version": SIDECAR_VERSION,
        "tool_version": __version__,
        SIDECAR_CARD_KEY: card,
        "tensorrt_version": trt_version,
        "device": info_to_json(device),
        "precision": plan.used,
        "precision_requested": plan.requested,
        "precision_notes": list(plan.notes),
        "builder_flags": list(plan.flags),
        "workspace_bytes": int(workspace_bytes),
        "onnx": {"path": os.path.abspath(onnx_path), "sha256": onnx_sha256},
        "calibration": calibration,
        "batch_profile": batch_profile,
        "build_seconds": round(float(build_seconds), 1),
        "built_at": datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z",
    }


def write_sidecar(engine_path, sidecar):
    write_bytes_atomic(sidecar_path(engine_path), (json.dumps(sidecar, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def read_sidecar(engine_path):
    # type: (str) -> dict
    path = sidecar_path(engine_path)
    if not os.path.isfile(path):
        raise InputError("{} has no sidecar {}; rebuild the engine with bisenet-build-engine (it writes both)".format(
            engine_path, os.path.basename(path)))
    try:
        with open(path) as handle:
            sidecar = json.load(handle)
    except ValueError as exc:
        raise InputError("{}: not valid JSON ({}); rebuild the engine with bisenet-build-engine".format(path, exc))
    if not isinstance(sidecar, dict) or sidecar.get("format") != SIDECAR_FORMAT:
        raise InputError("{} is not a bisenet-build-engine sidecar; rebuild the engine with bisenet-build-engine".format(
            path))
    return sidecar


def check_sidecar(engine_path, sidecar, trt_version, device):
    """Raise InputError when the engine was built for another TensorRT, another GPU, or an ONNX that has
    changed since; `device` is the DeviceInfo of the GPU about to run it."""
    rebuild = "rebuild it here: bisenet-build-engine {} --{}".format(
        sidecar.get("onnx", {}).get("path") or "MODEL.onnx", sidecar.get("precision", "fp16"))
    built_trt = sidecar.get("tensorrt_version")
    if built_trt != trt_version:
        raise InputError("{} was built with TensorRT {}, but this is TensorRT {} (engines do not carry across "
                         "versions); {}".format(engine_path, built_trt, trt_version, rebuild))
    built_on = info_from_json(sidecar.get("device") or {})
    if (built_on.name, built_on.compute_capability) != (device.name, device.compute_capability):
        raise InputError("{} was built for {} (sm_{}), but this GPU is {} (sm_{}) (engines only run on the GPU model "
                         "that built them); {}".format(engine_path, built_on.name,
                                                       str(built_on.compute_capability).replace(".", ""),
                                                       device.name, device.compute_capability.replace(".", ""),
                                                       rebuild))
    source = sidecar.get("onnx") or {}
    if source.get("path") and os.path.isfile(source["path"]) and file_sha256(source["path"]) != source.get("sha256"):
        raise InputError("{} changed after {} was built from it; {}".format(source["path"], engine_path, rebuild))
