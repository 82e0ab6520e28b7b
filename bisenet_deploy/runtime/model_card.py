"""The model card of any model file the runtime runs: ONNX and engines through core, checkpoints by
rebuilding the network (export/, which imports torch only when a checkpoint is actually given)."""

from .. import __version__
from ..core.defaults import DEFAULT_INPUT_SIZE
from ..core.model_info import apply_overrides, load_model_card as _load_card
from ..core.modelcard import make_card
from .backends.triton_client import Connection, is_model_address, split_model_address


def load_model_card(model_path, overrides=None):
    # type: (str, dict) -> dict
    """The card for `model_path` (.onnx, .engine, a checkpoint, or a model on a Triton server:
    triton://HOST:PORT/NAME, made of --server by core.cli.resolve_model); see core.model_info.load_model_card."""
    if is_model_address(model_path):
        return apply_overrides(card_from_server(model_path), dict((k, v) for k, v in (overrides or {}).items()
                                                                  if v is not None), model_path)
    return _load_card(model_path, overrides, checkpoint_card=card_from_checkpoint)


def card_from_checkpoint(checkpoint_path, overrides):
    # type: (str, dict) -> dict
    """Rebuild the network from a .pth to learn its config; the card says how the torch backend runs it."""
    # imports torch: only checkpoint users pay for it
    from ..export.checkpoint import load_checkpoint
    from ..export.data_card import data_card
    from ..export.input_size import check_input_size

    checkpoint = load_checkpoint(checkpoint_path, trust=False,
                                 overrides={"num_classes": overrides.get("num_classes")})
    config, family = checkpoint.config, checkpoint.family
    height, width = overrides.get("input_size") or checkpoint.metadata.get("input_size") or DEFAULT_INPUT_SIZE
    check_input_size((height, width), family.input_multiple, family.title)
    data = data_card(family, config, checkpoint.metadata)  # --classes/--mean/--std apply in apply_overrides
    output_stride, align_corners = family.head_upsample(config)
    return make_card(config, (height, width), 1, overrides.get("head", "logits"), None, None, data.classes,
                     data.colors, checkpoint.sha256, checkpoint.metadata, __version__, None, mean=data.mean,
                     std=data.std, dataset=data.dataset, head_align_corners=align_corners,
                     input_multiple=family.input_multiple, output_stride=output_stride)


def card_from_server(address):
    # type: (str) -> dict
    """The card in the config of the model a Triton server serves, checked against what it serves."""
    server, name = split_model_address(address)
    connection = Connection(server, name).open()
    try:
        return connection.card
    finally:
        connection.close()
