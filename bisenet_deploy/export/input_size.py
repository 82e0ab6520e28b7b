"""The size a model is exported at, and the rule its sides must follow."""

from ..core.defaults import DEFAULT_INPUT_SIZE, EVERY_FAMILY_MULTIPLE
from ..core.errors import InputError

MAX_SIDE = 4096
MIN_SUGGESTED_SIDE = 32  # V1/V2's deepest map is 1/32: a smaller side leaves them no pixel


def fitting_size(input_size, multiple=EVERY_FAMILY_MULTIPLE):
    # type: (tuple, int) -> tuple
    """`input_size` with each side rounded down to a multiple of `multiple` and kept from 32 to MAX_SIDE
    pixels: what an error message suggests, so that no later check refuses the suggestion."""
    low = -(-MIN_SUGGESTED_SIDE // multiple) * multiple  # the smallest multiple from 32 up
    return tuple(max(low, min(side, MAX_SIDE) // multiple * multiple) for side in input_size)


def check_side_limit(input_size):
    """InputError when a side exceeds MAX_SIDE: the one size rule every family shares, so it is checked
    before the checkpoint is read (and suggests a size any family takes)."""
    height, width = input_size
    if max(height, width) > MAX_SIDE:
        raise InputError("--input-size {}x{} is larger than {} pixels a side; e.g. {}x{} (BiSeNet-wali takes "
                         "multiples of 16, V1/V2 multiples of 32)".format(height, width, MAX_SIDE,
                                                                          *fitting_size(input_size)))


def check_input_size(input_size, multiple, family_title="the network"):
    """InputError unless both sides are multiples of `multiple` (the deepest feature map's stride)."""
    height, width = input_size
    if height % multiple or width % multiple:
        raise InputError("--input-size {}x{}: both sides must be multiples of {s} ({} works at 1/{s}); "
                         "e.g. {}x{}".format(height, width, family_title, *fitting_size(input_size, multiple),
                                             s=multiple))


def export_input_size(requested, recorded, family, log, dataset=None):
    """The export size: --input-size, else the size the checkpoint records, else the default; said so,
    with the size of the `dataset`'s pictures (a Dataset) when they all have one and the default differs."""
    chosen = requested or recorded or DEFAULT_INPUT_SIZE
    check_input_size(chosen, family.input_multiple, family.title)  # before any note about a refused size
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
    return tuple(int(v) for v in chosen)
