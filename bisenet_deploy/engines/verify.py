"""--verify: run the engine and ONNX Runtime on the same inputs and compare (Polygraphy's
`run --trt --onnxrt`, for our model card): max abs diff of the scores and argmax agreement."""

from ..core.comparison import ENGINE_MIN_AGREEMENT as MIN_AGREEMENT
from ..core.comparison import RANDOM_PREFIX, agrees, compare, verification_inputs


def scores_and_labels(output, head):
    """(scores or None, labels) from a network output of either head."""
    if head == "logits":
        return output, output.argmax(axis=1)
    return None, output


def compare_backends(engine_backend, reference_backend, card, inputs):
    """[Comparison] of the engine against the reference for each (name, batch) input; both active."""
    rows = []
    for name, batch in inputs:
        batch = batch.astype(card["input"]["dtype"], copy=False)
        ref_scores, ref_labels = scores_and_labels(reference_backend.infer(batch).copy(), card["head"])
        out_scores, out_labels = scores_and_labels(engine_backend.infer(batch).copy(), card["head"])
        rows.append(compare(name, ref_scores, ref_labels, out_scores, out_labels))
    return rows


def default_inputs(card):
    return verification_inputs(tuple(card["input_size"]), card["input"]["shape"][0])


def failures(rows, precision):
    """The picture rows whose agreement is below what `precision` should reach. Random-noise inputs
    are reported but not judged: their scores are near-ties everywhere, so FP16 rounding flips many
    pixels even in a correct engine."""
    return [row for row in rows
            if not row.name.startswith(RANDOM_PREFIX) and not agrees(row.agreement, MIN_AGREEMENT[precision])]
