"""Load a BiSeNet-wali checkpoint safely and rebuild the network it was trained as.

Checkpoints are untrusted data: they are unpickled with `weights_only=True`, allowing only the numpy
globals the seed's training dict needs (its metrics are numpy float64). Anything else is refused
unless the user passes --trust-checkpoint. The architecture is read off the tensors' names and shapes.
"""

import collections
import hashlib
import os
import re

from ..core.errors import InputError
from ..core.lazy import lazy_import
from .names import ARCHS, VARIANTS

Checkpoint = collections.namedtuple("Checkpoint", "model config sha256 metadata path")
# config: dict(arch, in_planes, num_classes, variant); metadata: what the file says about its training.

_TRUST_HINT = ("pass --trust-checkpoint only if you trust where the file came from "
               "(it lets the file run code while loading)")
_MAX_LISTED = 6


def file_sha256(path):
    # type: (str) -> str
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _seed_safe_globals(numpy):
    """The globals a seed training dict pickles besides tensors: numpy scalars and their dtypes."""
    scalar = numpy.core.multiarray.scalar if not hasattr(numpy, "_core") else numpy._core.multiarray.scalar
    allowed = [
        (scalar, "numpy.core.multiarray.scalar"),  # written by numpy 1.x (the seed's era)
        (scalar, "numpy._core.multiarray.scalar"),  # written by numpy 2.x
        numpy.dtype,
    ]
    dtypes = getattr(numpy, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "Float64DType"):
        allowed.append(dtypes.Float64DType)
    return allowed


def _unpickle(path, trust):
    torch = lazy_import("torch", "loading a .pth checkpoint")
    if trust:
        return torch.load(path, map_location="cpu", weights_only=False)
    if not hasattr(torch.serialization, "safe_globals"):
        raise InputError("this PyTorch ({}) cannot load checkpoints with an allow-list (needs torch >= 2.5); "
                         "upgrade torch, or {}".format(torch.__version__, _TRUST_HINT))
    numpy = lazy_import("numpy", "loading a .pth checkpoint")
    with torch.serialization.safe_globals(_seed_safe_globals(numpy)):
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
        blocked = re.search(r"GLOBAL ([\w.]+)", message)
        if blocked and not trust:
            raise InputError("refusing to unpickle {}: it needs {}, which is not a tensor or one of the seed's "
                             "numpy metrics; {}".format(path, blocked.group(1), _TRUST_HINT))
        first_line = message.strip().splitlines()[0][:160] if message.strip() else "unexpected end of data"
        raise InputError("cannot read {} as a PyTorch checkpoint (truncated or not a checkpoint): {}: {}".format(
            path, type(exc).__name__, first_line))


def extract_state_dict(obj, path):
    """(state_dict, metadata) from a seed training dict, a bare state_dict, or a DataParallel one."""
    torch = lazy_import("torch", "loading a .pth checkpoint")
    metadata = {}
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        for key in ("epoch", "best_mIoU", "best_pixelAcc"):
            if key in obj:
                metadata[key] = float(obj[key]) if key != "epoch" else int(obj[key])
        if isinstance(obj.get("demo_model"), dict):  # the project's trained demo model records how it was made
            metadata["demo_model"] = dict(obj["demo_model"])
        obj = obj["state_dict"]
        metadata["format"] = "seed training dict"
    elif isinstance(obj, dict) and obj and all(torch.is_tensor(v) for v in obj.values()):
        metadata["format"] = "state_dict"
    else:
        raise InputError("{} holds a {} without a 'state_dict' entry and is not a state_dict; "
                         "not a BiSeNet checkpoint".format(path, type(obj).__name__))
    tensors = collections.OrderedDict((k, v) for k, v in obj.items() if torch.is_tensor(v))
    if any(v.dtype == torch.float16 for v in tensors.values()):
        # stored compactly (the shipped demo model): computed in float32 like any other checkpoint
        tensors = collections.OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in tensors.items())
        metadata["stored_dtype"] = "float16"
    if tensors and all(k.startswith("module.") for k in tensors):
        tensors = collections.OrderedDict((k[len("module."):], v) for k, v in tensors.items())
        metadata["dataparallel"] = True
    return tensors, metadata


def _block_count(state_dict, layer):
    indices = {int(m.group(1)) for m in (re.match(r"context_path\.{}\.(\d+)\.".format(layer), k)
                                         for k in state_dict) if m}
    return max(indices) + 1 if indices else 0


def infer_config(state_dict, path):
    # type: (dict, str) -> dict
    """Architecture, in_planes, class count and fusion variant, read off names and shapes."""
    if any(k.startswith(("context_path.features.", "attention_refinement_module")) for k in state_dict):
        raise InputError("{} is an ooooverflow/BiSeNet checkpoint (torchvision context path, output stride 32); "
                         "bisenet-deploy exports BiSeNet-wali checkpoints".format(path))
    needed = ("saptial_path.conv3.conv.weight", "context_path.conv1.weight", "last_conv.weight")
    missing = [k for k in needed if k not in state_dict]
    if missing:
        raise InputError("{} is not a BiSeNet-wali checkpoint: it has no {} ({} tensors, first: {})".format(
            path, ", ".join(missing), len(state_dict), next(iter(state_dict), "none")))
    bottleneck = "context_path.layer1.0.conv3.weight" in state_dict
    layer3 = _block_count(state_dict, "layer3")
    layouts = {(False, 2): "resnet18", (True, 6): "resnet50", (True, 23): "resnet101"}
    arch = layouts.get((bottleneck, layer3))
    if arch is None:
        raise InputError("{}: context path with {} blocks and {} layer3 blocks matches none of {}; "
                         "pass --arch to say which".format(
                             path, "bottleneck" if bottleneck else "basic", layer3, ", ".join(ARCHS)))
    return {
        "arch": arch,
        "in_planes": int(state_dict["context_path.conv1.weight"].shape[0]),
        "num_classes": int(state_dict["last_conv.weight"].shape[0]),
        "variant": "deconv" if "deconv1.deconv.weight" in state_dict else "upsample",
    }


def _describe(config):
    return "BiSeNet({arch}, in_planes={in_planes}, {num_classes} classes, {variant})".format(**config)


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


def load_checkpoint(path, trust=False, overrides=None):
    # type: (str, bool, dict) -> Checkpoint
    """Rebuild the trained network from `path` in eval mode; `overrides` replaces inferred fields."""
    from .bisenet import build_model

    state_dict, metadata = extract_state_dict(read_checkpoint_file(path, trust), path)
    config = infer_config(state_dict, path)
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if config["arch"] not in ARCHS or config["variant"] not in VARIANTS:
        raise InputError("unknown architecture/variant: {}".format(_describe(config)))
    model = build_model(config["arch"], config["in_planes"], config["num_classes"], config["variant"])
    report = _mismatch_report(model, state_dict)
    if report:
        raise InputError("{} does not fit {}: {}".format(path, _describe(config), report))
    model.load_state_dict(state_dict, strict=True)
    model.eval()
    return Checkpoint(model, config, file_sha256(path), metadata, os.path.abspath(path))
