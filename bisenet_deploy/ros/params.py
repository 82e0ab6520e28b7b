"""The node's private parameters, named and defaulted as ros_deep_learning's segnet node has them,
read through any `get(name, default)` (rospy.get_param in the node, a dict in tests) and checked once."""

import collections

from ..core.errors import InputError
from ..runtime.backends import BACKEND_CHOICES
from ..runtime.mask_filters import FILTERS

NodeParams = collections.namedtuple(
    "NodeParams", "model_path backend precision overlay_alpha mask_filter overlay_filter max_rate compressed threads")

DEFAULTS = collections.OrderedDict([
    ("model_path", ""),
    ("backend", "auto"),
    ("precision", ""),  # "": whatever the model file runs at
    ("overlay_alpha", 150.0),  # segnet's default opacity, 0-255
    ("mask_filter", "linear"),
    ("overlay_filter", "linear"),
    ("max_rate", 0.0),  # frames per second at most; 0: as fast as the network goes
    ("compressed", False),
    ("threads", 0),  # CPU threads for the network; 0: the backend's choice
])
PRECISIONS = ("fp32", "fp16", "int8", "bf16")


def _number(params, name, low, high=None):
    value = params[name]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError("~{} must be a number, got {!r}".format(name, value))
    if value < low or (high is not None and value > high):
        raise InputError("~{} must be {}, got {}".format(
            name, "from {:g} to {:g}".format(low, high) if high is not None else "at least {:g}".format(low), value))
    return value


def _choice(params, name, choices):
    value = str(params[name]).strip().lower()
    if value not in choices:
        raise InputError("~{} must be one of {}, got {!r}".format(name, ", ".join(choices), params[name]))
    return value


def read_params(get):
    # type: (callable) -> NodeParams
    """NodeParams from `get(name, default)`; InputError (one line naming the parameter) when one is wrong."""
    params = dict((name, get(name, default)) for name, default in DEFAULTS.items())
    model_path = str(params["model_path"] or "")
    if not model_path:
        raise InputError("~model_path is not set: give the .onnx (bisenet-export), .engine (bisenet-build-engine) "
                         "or checkpoint to run, e.g. _model_path:=/models/model.fp16.engine")
    precision = str(params["precision"] or "").strip().lower()
    if precision and precision not in PRECISIONS:
        raise InputError("~precision must be one of {} (or unset), got {!r}".format(", ".join(PRECISIONS), precision))
    compressed = params["compressed"]
    if not isinstance(compressed, bool):
        compressed = str(compressed).strip().lower() in ("1", "true", "yes", "on")
    threads = int(_number(params, "threads", 0))
    return NodeParams(model_path=model_path, backend=_choice(params, "backend", BACKEND_CHOICES), precision=precision,
                      overlay_alpha=_number(params, "overlay_alpha", 0.0, 255.0),
                      mask_filter=_choice(params, "mask_filter", FILTERS),
                      overlay_filter=_choice(params, "overlay_filter", FILTERS),
                      max_rate=_number(params, "max_rate", 0.0), compressed=compressed, threads=threads or None)
