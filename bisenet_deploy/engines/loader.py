"""Loading an engine file: its sidecar is checked against this TensorRT and GPU first (before
TensorRT can fail obscurely), then the plan is deserialised and its I/O checked against the card."""

from ..core.errors import InputError
from . import buffers
from .sidecar import check_sidecar, read_sidecar


def read_checked_plan(engine_path, api, device):
    # type: (str, object, object) -> tuple
    """(plan bytes, precision the sidecar records) once the sidecar matches this TensorRT and GPU."""
    sidecar = read_sidecar(engine_path)
    check_sidecar(engine_path, sidecar, api.version, device)
    with open(engine_path, "rb") as handle:
        return handle.read(), sidecar.get("precision", "fp32")


def deserialize(api, plan, card, engine_path):
    """(runtime, engine, [BufferSpec]) for a plan whose single input and named output match `card`.
    Call with the CUDA context current."""
    runtime, engine = api.load_engine(plan)
    specs = buffers.plan_buffers(api.io_tensors(engine))
    check_io(specs, card, engine_path)
    return runtime, engine, specs


def check_io(specs, card, engine_path):
    inputs = [s for s in specs if s.is_input]
    wanted = card["input"]
    if len(inputs) != 1 or inputs[0].name != wanted["name"] or list(inputs[0].shape) != list(wanted["shape"]):
        raise InputError("{}: the engine takes {}, but its sidecar's model card says {} {}; rebuild the "
                         "engine".format(engine_path, ", ".join("{} {}".format(s.name, list(s.shape))
                                                                for s in inputs), wanted["name"], wanted["shape"]))
    if card["output"]["name"] not in [s.name for s in specs if not s.is_input]:
        raise InputError("{}: the engine has no output {!r}; rebuild the engine".format(
            engine_path, card["output"]["name"]))
