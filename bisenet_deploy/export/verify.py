"""Check an exported ONNX against the original PyTorch network with ONNX Runtime.

Compares scores (the logits, or for a labels head the upsampled scores that feed ArgMax) by max abs
diff and relative error, and the class maps by argmax pixel agreement, on the built-in sample image
and on random normalized inputs.
"""

import numpy as np

from ..core.comparison import compare
from ..core.lazy import lazy_import

ABS_TOLERANCE = 1e-4
REL_TOLERANCE = 1e-3


def reference_scores(reference, head, x):
    """(scores, labels) from the PyTorch reference graph."""
    torch = lazy_import("torch", "export verification")
    with torch.no_grad():
        logits = reference.model(torch.from_numpy(x))
        upsample = reference.head_upsample if head == "labels" else None  # None: full-resolution logits
        scores = logits if upsample is None else upsample(logits, reference.input_hw)
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
