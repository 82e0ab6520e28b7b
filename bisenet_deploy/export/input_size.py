"""The size a model is exported at, and the rule its sides must follow."""

from ..core.defaults import DEFAULT_INPUT_SIZE
from ..core.errors import InputError


def check_input_size(input_size, multiple, family_title="the network"):
    """InputError unless both sides are multiples of `multiple` (the deepest feature map's stride)."""
    height, width = input_size
    if height % multiple or width % multiple:
        raise InputError("--input-size {}x{}: both sides must be multiples of {s} ({} works at 1/{s}); "
                         "e.g. {}x{}".format(height, width, family_title, max(multiple, height // multiple * multiple),
                                             max(multiple, width // multiple * multiple), s=multiple))


def export_input_size(requested, recorded, family, log, dataset=None):
    """The export size: --input-size, else the size the checkpoint records, else the default; said so,
    with the size of the `dataset`'s pictures (a Dataset) when they all have one and the default differs."""
    chosen = requested or recorded or DEFAULT_INPUT_SIZE
    if requested is None:
        log("  input {}x{}: {}".format(chosen[0], chosen[1], "the size the checkpoint records it was evaluated at"
                                       if recorded else "the default (pass --input-size to change it)"))
        frame = dataset.frame_size if dataset is not None and not recorded else None
        if frame and tuple(frame) != tuple(chosen):
            log("  {} pictures are {}x{}: --input-size {}x{} segments them unstretched, at the size its models "
                "are evaluated at".format(dataset.title.split(" (")[0], frame[0], frame[1], frame[0], frame[1]))
    elif recorded and tuple(recorded) != tuple(requested):
        log("warning: --input-size {}x{} differs from the {}x{} the checkpoint records it was evaluated at; "
            "accuracy may drop".format(requested[0], requested[1], recorded[0], recorded[1]))
    check_input_size(chosen, family.input_multiple, family.title)
    return tuple(int(v) for v in chosen)
