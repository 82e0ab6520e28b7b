"""Check an exported ONNX against the original PyTorch network with ONNX Runtime.

Compares scores (the logits, or for a labels head the upsampled scores that feed ArgMax) by max abs
diff and relative error, and the class maps by argmax pixel agreement, on the built-in sample image
and on random normalized inputs.
"""

import collections
import os

import cv2
import numpy as np

from ..lazy import lazy_import
from ..runtime.preprocess import preprocess

SAMPLE_IMAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sample.jpg")
ABS_TOLERANCE = 1e-4
REL_TOLERANCE = 1e-3
DEFAULT_MIN_AGREEMENT = 0.9

Comparison = collections.namedtuple("Comparison", "name max_abs_diff rel_error agreement ref_max")


def verification_inputs(input_hw, batch, random_count=2, seed=0):
    """[(name, float32 NCHW)]: the sample image, then `random_count` standard-normal inputs."""
    sample = preprocess(cv2.imread(SAMPLE_IMAGE), input_hw)
    inputs = [("sample image", np.repeat(sample, batch, axis=0))]
    rng = np.random.RandomState(seed)
    for index in range(random_count):
        inputs.append(("random #{}".format(index + 1),
                       rng.standard_normal((batch, 3) + tuple(input_hw)).astype(np.float32)))
    return inputs


def reference_scores(reference, head, x):
    """(scores, labels) from the PyTorch reference graph."""
    torch = lazy_import("torch", "export verification")
    with torch.no_grad():
        logits = reference.model(torch.from_numpy(x))
        scores = logits if head == "logits" else reference.head_upsample(logits, reference.input_hw)
    scores = scores.numpy()
    return scores, scores.argmax(axis=1).astype(np.int32)


def _with_scores_output(model):
    """A copy of a labels-head model that also outputs the ArgMax input (the upsampled scores)."""
    onnx = lazy_import("onnx", "export verification")
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    argmax = [n for n in probe.graph.node if n.op_type == "ArgMax"]
    if len(argmax) != 1:
        return probe, None
    scores_name = argmax[0].input[0]
    probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(scores_name))
    return probe, scores_name


def onnx_session(model):
    ort = lazy_import("onnxruntime", "export verification")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def onnx_scores(model, head, inputs):
    """[(scores, labels)] from ONNX Runtime for each input array."""
    probe, scores_name = (model, None) if head == "logits" else _with_scores_output(model)
    session = onnx_session(probe)
    output_names = [o.name for o in session.get_outputs()]
    results = []
    for x in inputs:
        outputs = dict(zip(output_names, session.run(None, {"input": x})))
        if head == "logits":
            scores = outputs["logits"]
            results.append((scores, scores.argmax(axis=1).astype(np.int32)))
        else:
            results.append((outputs.get(scores_name), outputs["labels"]))
    return results


def compare(name, ref_scores, ref_labels, out_scores, out_labels):
    # type: (str, np.ndarray, np.ndarray, np.ndarray, np.ndarray) -> Comparison
    ref_max = float(np.max(np.abs(ref_scores)))
    if out_scores is None or out_scores.shape != ref_scores.shape:
        diff = rel = float("nan")
    else:
        diff = float(np.max(np.abs(out_scores.astype(np.float64) - ref_scores)))
        rel = diff / max(ref_max, 1e-12)
    agreement = float(np.mean(out_labels == ref_labels)) if out_labels.shape == ref_labels.shape else 0.0
    return Comparison(name, diff, rel, agreement, ref_max)


def within_float_tolerance(row):
    # type: (Comparison) -> bool
    """Exact paths must match to float rounding: |diff| <= atol + rtol * max|ref|."""
    if row.max_abs_diff != row.max_abs_diff:  # NaN: no scores to compare
        return row.agreement == 1.0
    return row.max_abs_diff <= ABS_TOLERANCE + REL_TOLERANCE * row.ref_max


def verify(model, reference, head, inputs):
    """Compare the ONNX `model` with the PyTorch `reference` graph on `inputs` [(name, array)]."""
    outputs = onnx_scores(model, head, [x for _, x in inputs])
    rows = []
    for (name, x), (out_scores, out_labels) in zip(inputs, outputs):
        ref_scores, ref_labels = reference_scores(reference, head, x)
        rows.append(compare(name, ref_scores, ref_labels, out_scores, out_labels))
    return rows


def format_table(rows):
    lines = ["  {:<14} {:>13} {:>11} {:>17}".format("input", "max abs diff", "rel error", "argmax agreement")]
    for row in rows:
        lines.append("  {:<14} {:>13.3e} {:>11.3e} {:>16.4f}%".format(
            row.name, row.max_abs_diff, row.rel_error, 100.0 * row.agreement))
    return "\n".join(lines)
