"""Backends by name. Each backend module declares what it runs (`kinds`), what it needs (`requires`,
keys of the one install-hint table), its bench columns and precisions; everything here (the `auto`
choice, which backend runs which file, the error hints) is derived from BACKEND_TYPES, so a new
backend is one new module and one entry in that tuple.
"""

import collections

from ...core.errors import InputError
from ...core.lazy import is_installed, not_installed
from ...core.model_info import KIND_CONVERSION, KIND_TEXT, model_kind
from .openvino_backend import OpenVinoBackend
from .ort import OrtBackend
from .torch_backend import TorchBackend
from .triton_backend import TritonBackend
from .trt_backend import TrtBackend

# most preferred first: `auto` takes the first that fits and prefers the file (openvino only where the CPU
# makes it faster, OpenVinoBackend.auto_prefers)
BACKEND_TYPES = (TrtBackend, OpenVinoBackend, OrtBackend, TorchBackend, TritonBackend)

BACKENDS = collections.OrderedDict((backend.name, backend) for backend in BACKEND_TYPES)
PREFERENCE = tuple(BACKENDS)
BACKEND_CHOICES = ("auto",) + PREFERENCE
RUNS_KIND = dict((name, backend.kinds[0]) for name, backend in BACKENDS.items())  # the main kind of each


def backends_for_kind(kind):
    # type: (str) -> list
    return [name for name, backend in BACKENDS.items() if kind in backend.kinds]


def available_backends():
    # type: () -> list
    """Names of the backends this build has and this machine can run, most preferred first."""
    return [name for name in PREFERENCE if BACKENDS[name].available()]


def unusable_reason(name):
    # type: (str) -> str
    """Why backend `name` cannot run here: the missing packages and how to get each."""
    return "; ".join(not_installed(package) for package in BACKENDS[name].requires if not is_installed(package))


def _kind_hint(kind):
    runners = backends_for_kind(kind)
    runs = "run it with {}".format(" or ".join("--backend " + name for name in runners)) if runners else \
        "no backend runs it"
    return "{}, {}".format(runs, KIND_CONVERSION[kind])


def _auto(kind, model_path):
    runners = backends_for_kind(kind)
    usable = [name for name in runners if BACKENDS[name].available()]
    preferred = [name for name in usable if getattr(BACKENDS[name], "auto_prefers", lambda path: True)(model_path)]
    if usable:
        return (preferred or usable)[0]
    others = ", ".join("--backend {} for {}".format(n, KIND_TEXT[RUNS_KIND[n]]) for n in available_backends())
    raise InputError("{} needs the {} backend: {}; {}{}".format(
        model_path, runners[0], unusable_reason(runners[0]), KIND_CONVERSION[kind],
        " (usable here: {})".format(others) if others else ""))


def resolve_backend_name(name, model_path):
    # type: (str, str) -> str
    """The concrete backend for `name` (or "auto") and this model file, or an InputError saying why not."""
    kind = model_kind(model_path)
    if name == "auto":
        return _auto(kind, model_path)
    if name not in BACKENDS:
        raise InputError("unknown backend {!r}; choose one of {}".format(name, ", ".join(BACKEND_CHOICES)))
    if kind not in BACKENDS[name].kinds:
        raise InputError("--backend {} runs {}, not {}; {}".format(
            name, " and ".join(KIND_TEXT[k] for k in BACKENDS[name].kinds), model_path, _kind_hint(kind)))
    if not BACKENDS[name].available():
        raise InputError("--backend {}: {}".format(name, unusable_reason(name)))
    return name


def create_backend(name, model_path, card, threads=None, precision=None, verify=False, **options):
    """An inactive backend for `model_path`; `options` go to that backend (ort: providers, torch: device).
    `precision` and `verify` reach backends that choose a precision (openvino); the others run FP32 or
    the precision their engine was built in, so asking them for another one is refused."""
    cls = BACKENDS[resolve_backend_name(name, model_path)]
    if getattr(cls, "chooses_precision", False):
        return cls(model_path, card, threads, precision=precision or "auto", verify=verify, **options)
    if precision not in (None, "auto", "fp32"):
        raise InputError("--precision {}: the {} backend runs {}; choose the precision with --backend openvino "
                         "(CPU) or bisenet-build-engine --fp16/--int8 (TensorRT)".format(
                             precision, cls.name, "the precision its engine was built in" if cls.name == "trt"
                             else "FP32"))
    return cls(model_path, card, threads, **options)
