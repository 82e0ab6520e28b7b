"""bisenet-eval --compare's verdict: the precision gate (core/precision_gate.py) on the compared data,
the mIoU drop where the data has labels, the pixel agreement where it has none (a bag).

The reduced precision of the two is the one judged, whichever flag names it (`--model m.fp16.engine
--compare m.onnx` or the other way round); of two alike, --model is judged against --compare."""

import math

from ..core.precision_gate import MIN_AGREEMENT, judge, verdict_record

RANK = {"int8": 0, "fp16": 1, "bf16": 1, "fp32": 2}  # lower: the reduced one, judged against the other


def _precision(backend):
    return backend.precision if backend.precision in RANK else "fp32"


def judge_compare(model, compare, agreement, miou_model=None, miou_compare=None, log=print):
    """(JSON record, Verdict) of the --model backend against the --compare one (or the reverse, when
    --compare runs the reduced precision)."""
    mious = [None if value is None or math.isnan(value) else value for value in (miou_model, miou_compare)]
    candidate, reference = (model, mious[0]), (compare, mious[1])
    if RANK[_precision(compare)] < RANK[_precision(model)]:
        candidate, reference = reference, candidate
    precision = _precision(candidate[0])
    verdict = judge(precision if precision in MIN_AGREEMENT else "fp32", agreement, reference[1], candidate[1])
    if verdict.warning:
        log("warning: {}".format(verdict.warning))
    log("{} | {}".format("PASSED" if verdict.passed else "FAILED", verdict.text))
    return dict(verdict_record(verdict), judged="--compare" if candidate[0] is compare else "--model"), verdict
