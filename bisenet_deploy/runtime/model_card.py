"""The model card of any model file the runtime runs: ONNX and engines through core, checkpoints by
rebuilding the network (export/, which imports torch only when a checkpoint is actually given)."""

from .. import __version__
from ..core.classes import load_classes
from ..core.defaults import DEFAULT_CHECKPOINT_INPUT, NETWORK_STRIDE
from ..core.errors import InputError
from ..core.model_info import load_model_card as _load_card
from ..core.modelcard import make_card


def load_model_card(model_path, overrides=None):
    # type: (str, dict) -> dict
    """The card for `model_path` (.onnx, .engine or a checkpoint); see core.model_info.load_model_card."""
    return _load_card(model_path, overrides, checkpoint_card=card_from_checkpoint)


def card_from_checkpoint(checkpoint_path, overrides):
    # type: (str, dict) -> dict
    """Rebuild the network from a .pth to learn its config; the card says how the torch backend runs it."""
    from ..export.checkpoint import load_checkpoint  # imports torch: only checkpoint users pay for it

    height, width = overrides.get("input_size", DEFAULT_CHECKPOINT_INPUT)
    if height % NETWORK_STRIDE or width % NETWORK_STRIDE:
        raise InputError("--input-size {}x{}: both sides must be multiples of {} to run a checkpoint".format(
            height, width, NETWORK_STRIDE))
    checkpoint = load_checkpoint(checkpoint_path, trust=False,
                                 overrides={"num_classes": overrides.get("num_classes")})
    config = checkpoint.config
    names, colors = load_classes(config["num_classes"])  # a --classes CSV replaces them in apply_overrides
    return make_card(config, (height, width), 1, overrides.get("head", "logits"), None, None, names, colors,
                     checkpoint.sha256, checkpoint.metadata, __version__, None)
