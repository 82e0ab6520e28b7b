"""The optimization profile of a model with a dynamic batch axis (bisenet-export --dynamic-batch N):
the batches TensorRT builds the engine for."""

import collections

from ..core.modelcard import batch_range

BatchProfile = collections.namedtuple("BatchProfile", "min opt max")


def batch_profile(card):
    """The BatchProfile of a card with a dynamic batch axis; None for a fixed batch.

    opt is the largest batch. TensorRT picks each layer's kernels by timing them at opt (and implicit
    INT8 calibrates there): a model is exported with a dynamic batch to run batches, so the kernels are
    chosen where batching pays; smaller batches run correctly on them. Frames one at a time (bisenet-run)
    are what a fixed batch-1 export is for."""
    if not card.get("dynamic_batch"):
        return None
    smallest, largest = batch_range(card)
    return BatchProfile(smallest, largest, largest)


def profile_json(profile):
    """The profile as the sidecar records it, or None for a fixed batch."""
    return None if profile is None else dict(profile._asdict())
