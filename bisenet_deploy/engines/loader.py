"""Loading an engine file: its sidecar is checked against this TensorRT and GPU first (before
TensorRT can fail obscurely), then the plan is deserialised and its I/O checked against the card."""

from ..core.errors import InputError
from ..core.modelcard import batch_range
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
    """(runtime, engine, [BufferSpec]) for a plan whose single input and named output match `card`; a
    dynamic batch axis gets buffers for the card's largest batch. Call with the CUDA context current."""
    runtime, engine = api.load_engine(plan)
    tensors = api.io_tensors(engine)
    check_io(tensors, card, engine_path)
    return runtime, engine, buffers.plan_buffers(tensors, batch_range(card)[1])


def check_io(tensors, card, engine_path):
    inputs = [t for t in tensors if t.is_input]
    wanted = card["input"]
    shape = list(wanted["shape"])
    if card.get("dynamic_batch"):
        shape[0] = -1  # how TensorRT shows a dynamic axis
    if len(inputs) != 1 or inputs[0].name != wanted["name"] or list(inputs[0].shape) != shape:
        raise InputError("{}: the engine takes {}, but its sidecar's model card says {} {}; rebuild the "
                         "engine".format(engine_path, ", ".join("{} {}".format(t.name, list(t.shape))
                                                                for t in inputs), wanted["name"], shape))
    if card["output"]["name"] not in [t.name for t in tensors if not t.is_input]:
        raise InputError("{}: the engine has no output {!r}; rebuild the engine".format(
            engine_path, card["output"]["name"]))
