"""The one way tests say that two outputs agree: the same label at (at least) a share of the pixels."""

import numpy as np


def assert_agree(labels, reference, at_least=1.0):
    """`labels` and `reference` (label maps of one shape, or logits compared by their argmax beforehand)
    pick the same class on at least `at_least` of the pixels."""
    labels, reference = np.asarray(labels), np.asarray(reference)
    assert labels.shape == reference.shape, "shapes differ: {} vs {}".format(labels.shape, reference.shape)
    agreement = float(np.mean(labels == reference))
    assert agreement >= at_least, "agreement {:.4%} < {:.4%}".format(agreement, at_least)
    return agreement
