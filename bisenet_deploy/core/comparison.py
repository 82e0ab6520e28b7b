"""Compare a model's output with a reference's: max abs diff, relative error and argmax agreement.

Used by export verification (ONNX vs PyTorch), engine verification (TensorRT vs ONNX Runtime) and
INT8 checks, so every command reports the same columns.
"""

import collections
import os

import cv2
import numpy as np

from .preprocess import preprocess

SAMPLE_IMAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sample.jpg")

RANDOM_PREFIX = "random #"  # names of the standard-normal inputs in verification tables
Comparison = collections.namedtuple("Comparison", "name max_abs_diff rel_error agreement ref_max")

# The lowest argmax agreement each check accepts, in one place, set from the margins measured on the
# trained demo model (held-out mIoU 0.717; benchmarks/precision_margins.py; README "Measured"):
# an engine against ONNX Runtime, by the precision actually used, judged on the sample picture.
# FP32: ONNX Runtime matches PyTorch on 100% of the pixels; 0.99 leaves room for TF32 on Ampere and
# later. FP16: the ONNX FP16 copy (what TensorRT 11 builds) agrees on 99.97% of the sample picture
# (99.98% on the worst of 100 scenes), 0.99 leaves ~1 point for TensorRT's own FP16 kernels.
# INT8: the QDQ model agrees on 96.8% of the sample picture (94.4% worst scene), 0.94 leaves 2.8 points.
ENGINE_MIN_AGREEMENT = {"fp32": 0.99, "fp16": 0.99, "int8": 0.94}
# an approximate export (--upsample deconv) against PyTorch: it shifts boundaries by up to 3.5 px
EXPORT_MIN_AGREEMENT = 0.9
# a QDQ INT8 model against its FP32 original, pooled over held-out images: the demo model's QDQ copy
# agrees on 99.1% of the pixels of 100 held-out scenes (mIoU -0.002); 0.96 leaves 3.1 points for
# networks and image sets less regular than generated scenes, while a clipped or too coarse range
# changes far more pixels and puts mIoU at risk
QDQ_MIN_AGREEMENT = 0.96


def agrees(agreement, minimum):
    # type: (float, float) -> bool
    """The one agreement check every verification uses."""
    return agreement >= minimum


def verification_inputs(input_hw, batch, random_count=2, seed=0):
    """[(name, float32 NCHW)]: the sample image, then `random_count` standard-normal inputs."""
    sample = preprocess(cv2.imread(SAMPLE_IMAGE), input_hw)
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


def format_table(rows):
    lines = ["  {:<14} {:>13} {:>11} {:>17}".format("input", "max abs diff", "rel error", "argmax agreement")]
    for row in rows:
        lines.append("  {:<14} {:>13.3e} {:>11.3e} {:>16.4f}%".format(
            row.name, row.max_abs_diff, row.rel_error, 100.0 * row.agreement))
    return "\n".join(lines)
