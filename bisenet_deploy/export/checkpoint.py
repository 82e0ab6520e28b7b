"""Load a BiSeNet checkpoint of any known family safely and rebuild the network it was trained as.

Checkpoints are untrusted data: they are unpickled with `weights_only=True`, allowing only the numpy
globals the seed's training dict needs (its metrics are numpy float64). Anything else is refused
unless the user passes --trust-checkpoint. The architecture is read off the tensors' names and shapes.
"""

import collections
import hashlib
import logging
import os
import re

from ..core.errors import InputError
from ..core.lazy import lazy_import
from .families import NAMES, detect, family_named

Checkpoint = collections.namedtuple("Checkpoint", "model config family sha256 metadata path")
# config: dict(family, arch, in_planes, num_classes, variant); family: its families.base.Family;
# metadata: what the file says about its training.

_TRUST_HINT = ("pass --trust-checkpoint only if you trust where the file came from "
               "(it lets the file run code while loading)")
_MAX_LISTED = 6

log = logging.getLogger(__name__)


def file_sha256(path):
    # type: (str) -> str
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _DroppedRecord(object):
    """Stands in for a training-log object in a checkpoint: takes any state and keeps none."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


# Training-log classes that trainers pickle next to the weights. They are replaced by _DroppedRecord
# (nothing of theirs runs); mmengine's runner saves its message hub's scalar histories this way.
DROPPED_RECORDS = ("mmengine.logging.history_buffer.HistoryBuffer",)


def _safe_globals(numpy):
    """What training dicts pickle besides tensors: numpy scalars, arrays and dtypes (the seed's metrics,
    mmengine's runtime info), and the log records above."""
    multiarray = numpy._core.multiarray if hasattr(numpy, "_core") else numpy.core.multiarray
    allowed = [
        (multiarray.scalar, "numpy.core.multiarray.scalar"),  # written by numpy 1.x (the seed's era)
        (multiarray.scalar, "numpy._core.multiarray.scalar"),  # written by numpy 2.x
        (multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        (multiarray._reconstruct, "numpy._core.multiarray._reconstruct"),
        numpy.ndarray,
        numpy.dtype,
    ]
    # the dtype classes (numpy.dtypes.Float64DType, ...; numpy < 1.25, Debian 12's 1.24, has them only as
    # these types): the seed's float64 metrics, mmseg 0.x's int64 palettes, and other plain arrays
    allowed += [type(numpy.dtype(name)) for name in ("float64", "float32", "int64", "int32", "uint8", "bool")]
    return allowed + [(_DroppedRecord, name) for name in DROPPED_RECORDS]


def _unpickle(path, trust):
    torch = lazy_import("torch", "loading a .pth checkpoint")
    if trust:
        return torch.load(path, map_location="cpu", weights_only=False)
    if not hasattr(torch.serialization, "safe_globals"):
        raise InputError("this PyTorch ({}) cannot load checkpoints with an allow-list (needs torch >= 2.5); "
                         "upgrade torch, or {}".format(torch.__version__, _TRUST_HINT))
    numpy = lazy_import("numpy", "loading a .pth checkpoint")
    with torch.serialization.safe_globals(_safe_globals(numpy)):
        return torch.load(path, map_location="cpu", weights_only=True)


def read_checkpoint_file(path, trust=False):
    """Unpickle `path`, mapping every way it can fail to one InputError line."""
    if not os.path.exists(path):
        raise InputError("checkpoint not found: {}".format(path))
    if not os.path.isfile(path):
        raise InputError("checkpoint is not a file: {}".format(path))
    if os.path.getsize(path) == 0:
        raise InputError("checkpoint is empty (0 bytes): {}".format(path))
    try:
        return _unpickle(path, trust)
    except InputError:
        raise
    except Exception as exc:  # torch.load raises many types for bad files; all mean "not loadable"
        message = str(exc)
        blocked = re.search(r"GLOBAL ([\w.]+)", message) or re.search(r"but got <class '([\w.]+)'>", message)
        if blocked and not trust:
            raise InputError("refusing to unpickle {}: it needs {}, which is not a tensor or one of the seed's "
                             "numpy metrics; {}".format(path, blocked.group(1), _TRUST_HINT))
        log.debug("torch.load(%s) failed: %s: %s", path, type(exc).__name__, message)  # torch's words: --debug
        raise InputError(_unreadable_message(path))


def _unreadable_message(path):
    """What the file is not, in our words (torch's own message advises on weights_only, beside the point)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":  # torch.save's zip archive, or a legacy pickle
        return ("cannot read {}: it starts like a PyTorch checkpoint but is truncated or damaged; copy it again "
                "from where it was trained (--debug shows PyTorch's message)".format(path))
    return ("{} is not a PyTorch checkpoint: it is neither the zip archive torch.save writes nor a legacy pickle; "
            "give the .pth / .pth.tar file the trainer saved (--debug shows PyTorch's message)".format(path))


def _dataset_meta(meta):
    """Class names and palette an mmseg checkpoint records (mmengine: dataset_meta; mmcv: CLASSES/PALETTE)."""
    record = meta.get("dataset_meta") if isinstance(meta.get("dataset_meta"), dict) else {
        "classes": meta.get("CLASSES"), "palette": meta.get("PALETTE")}
    found = {}
    classes, palette = record.get("classes"), record.get("palette")
    palette = palette.tolist() if hasattr(palette, "tolist") else palette  # mmseg 0.x: an int64 array
    if isinstance(classes, (list, tuple)) and all(isinstance(c, str) for c in classes):
        found["classes"] = list(classes)
    if isinstance(palette, (list, tuple)) and all(isinstance(c, (list, tuple)) and len(c) == 3 for c in palette):
        found["palette"] = [[int(v) for v in c] for c in palette]
    return found


def extract_state_dict(obj, path):
    """(state_dict, metadata) from a training dict (the seed's, mmseg's), a bare state_dict, or a
    DataParallel one."""
    torch = lazy_import("torch", "loading a .pth checkpoint")
    metadata = {}
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        for key in ("epoch", "best_mIoU", "best_pixelAcc"):
            if key in obj:
                metadata[key] = float(obj[key]) if key != "epoch" else int(obj[key])
        if isinstance(obj.get("demo_model"), dict):  # the project's trained demo model records how it was made
            metadata["demo_model"] = dict(obj["demo_model"])
        recorded = obj.get("input_size", metadata.get("demo_model", {}).get("input_size"))
        if isinstance(recorded, (list, tuple)) and len(recorded) == 2 and all(isinstance(v, int) for v in recorded):
            metadata["input_size"] = [int(v) for v in recorded]  # the size it was evaluated at
        if isinstance(obj.get("meta"), dict):
            metadata.update(_dataset_meta(obj["meta"]))
            metadata["format"] = "mmseg checkpoint (meta + state_dict)"
        else:
            metadata["format"] = "seed training dict"
        obj = obj["state_dict"]
    elif isinstance(obj, dict) and obj and all(torch.is_tensor(v) for v in obj.values()):
        metadata["format"] = "state_dict"
    else:
        raise InputError("{} holds a {} without a 'state_dict' entry and is not a state_dict; "
                         "not a BiSeNet checkpoint".format(path, type(obj).__name__))
    tensors = collections.OrderedDict((k, v) for k, v in obj.items() if torch.is_tensor(v))
    if any(v.dtype in (torch.float16, torch.bfloat16) for v in tensors.values()):
        # stored compactly (the shipped demo model, mixed-precision trainers): computed in float32
        stored = next(v.dtype for v in tensors.values() if v.dtype in (torch.float16, torch.bfloat16))
        tensors = collections.OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in tensors.items())
        metadata["stored_dtype"] = str(stored).replace("torch.", "")
    if tensors and all(k.startswith("module.") for k in tensors):
        tensors = collections.OrderedDict((k[len("module."):], v) for k, v in tensors.items())
        metadata["dataparallel"] = True
    return tensors, metadata


def _refuse_known_foreign(state_dict, path):
    if any(k.startswith(("context_path.features.", "attention_refinement_module")) for k in state_dict):
        raise InputError("{} is an ooooverflow/BiSeNet checkpoint (torchvision context path, output stride 32), "
                         "a family bisenet-deploy does not rebuild; families: {}".format(path, ", ".join(NAMES)))


def _refuse_foreign_flags(family, given, path, named):
    """Flags setting fields `family` does not have (--arch on a V2) would be dropped, or worse, written
    into the card: refused, before the network is built."""
    foreign = sorted(field for field in given if field not in family.flag_fields)
    if foreign:
        raise InputError("{} {} to BiSeNet-wali checkpoints only; {} is {}{}".format(
            ", ".join("--" + field.replace("_", "-") for field in foreign), "apply" if len(foreign) > 1 else "applies",
            path, family.title, " (--family {})".format(named) if named else ""))


def _mismatch_report(model, state_dict):
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = ["{}: checkpoint {} vs model {}".format(k, list(state_dict[k].shape), list(v.shape))
              for k, v in expected.items() if k in state_dict and state_dict[k].shape != v.shape]
    parts = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
        if items:
            shown = "; ".join(items[:_MAX_LISTED]) + ("; ..." if len(items) > _MAX_LISTED else "")
            parts.append("{} {}: {}".format(len(items), label, shown))
    return " | ".join(parts)


def load_checkpoint(path, trust=False, overrides=None, family=None):
    # type: (str, bool, dict, str) -> Checkpoint
    """Rebuild the trained network from `path` in eval mode; `family` (a --family name) skips detection
    and `overrides` replaces inferred config fields."""
    state_dict, metadata = extract_state_dict(read_checkpoint_file(path, trust), path)
    if family is None:
        _refuse_known_foreign(state_dict, path)
    chosen = family_named(family) if family else detect(state_dict, path)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    _refuse_foreign_flags(chosen, given, path, family)
    network_state, dropped = chosen.network_keys(state_dict)
    config = chosen.config_with(network_state, path, given)
    config["family"] = chosen.name
    model = chosen.build(config)
    report = _mismatch_report(model, network_state)
    if report:
        raise InputError("{} does not fit {}: {}".format(path, chosen.describe(config), report))
    model.load_state_dict(network_state, strict=True)
    model.eval()
    if dropped:
        metadata["dropped_heads"] = dropped
    return Checkpoint(model, config, chosen, file_sha256(path), metadata, os.path.abspath(path))
