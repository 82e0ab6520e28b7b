"""Compare an exported model's output with PyTorch's: max abs diff, relative error and argmax agreement
on the sample picture and noise inputs (export verification: is the graph the network?). Reduced
precisions are judged elsewhere, on pictures that mean something (runtime/precision_check.py).
"""

import collections
import os

import cv2
import numpy as np

from .modelcard import IMAGENET_MEAN, IMAGENET_STD
from .preprocess import preprocess

SAMPLE_IMAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sample.jpg")

RANDOM_PREFIX = "random #"  # names of the standard-normal inputs in verification tables
Comparison = collections.namedtuple("Comparison", "name max_abs_diff rel_error agreement ref_max")

# an approximate export (--upsample deconv) against PyTorch: it shifts boundaries by up to 3.5 px
EXPORT_MIN_AGREEMENT = 0.9


def agrees(agreement, minimum):
    # type: (float, float) -> bool
    """The agreement check export verification uses."""
    return agreement >= minimum


def verification_inputs(input_hw, batch, random_count=2, seed=0, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """[(name, float32 NCHW)]: the sample image (normalized with `mean`/`std`), then `random_count`
    standard-normal inputs."""
    sample = preprocess(cv2.imread(SAMPLE_IMAGE), input_hw, mean, std)
    inputs = [("sample image", np.repeat(sample, batch, axis=0))]
    rng = np.random.RandomState(seed)
    for index in range(random_count):
        inputs.append(("{}{}".format(RANDOM_PREFIX, index + 1),
                       rng.standard_normal((batch, 3) + tuple(input_hw)).astype(np.float32)))
    return inputs


def compare(name, ref_scores, ref_labels, out_scores, out_labels):
    # type: (str, np.ndarray, np.ndarray, np.ndarray, np.ndarray) -> Comparison
    """`*_scores` may be None (a labels head has none): then only the agreement is measured."""
    ref_max = float(np.max(np.abs(ref_scores))) if ref_scores is not None else float("nan")
    if ref_scores is None or out_scores is None or out_scores.shape != ref_scores.shape:
        diff = rel = float("nan")
    else:
        diff = float(np.max(np.abs(out_scores.astype(np.float64) - ref_scores)))
        rel = diff / max(ref_max, 1e-12)
    agreement = float(np.mean(out_labels == ref_labels)) if out_labels.shape == ref_labels.shape else 0.0
    return Comparison(name, diff, rel, agreement, ref_max)


NO_SCORES = "n/a"
NO_SCORES_NOTE = ("  n/a: no scores to diff (a labels head whose ArgMax input could not be read back); the class maps "
                  "are compared pixel by pixel instead")


def format_table(rows):
    lines = ["  {:<14} {:>13} {:>11} {:>17}".format("input", "max abs diff", "rel error", "argmax agreement")]
    for row in rows:
        lines.append("  {:<14} {:>13} {:>11} {:>16.4f}%".format(
            row.name, _number(row.max_abs_diff), _number(row.rel_error), 100.0 * row.agreement))
    if any(not _has_scores(row) for row in rows):  # said in words: a bare "nan" beside PASSED reads as a failure
        lines.append(NO_SCORES_NOTE)
    return "\n".join(lines)


def _has_scores(row):
    # type: (Comparison) -> bool
    """False when the row measured only the class maps (its score figures are NaN)."""
    return row.max_abs_diff == row.max_abs_diff


def _number(value):
    return NO_SCORES if value != value else "{:.3e}".format(value)
