"""bisenet-eval --compare's verdict: the precision gate (core/precision_gate.py) on the compared data,
the mIoU drop where the data has labels, the pixel agreement where it has none (a bag)."""

import math

from ..core.precision_gate import MIN_AGREEMENT, judge, verdict_record


def judge_compare(candidate, agreement, miou_reference=None, miou_candidate=None, log=print):
    """(JSON record, Verdict) of `candidate` (the --model backend) against the --compare reference."""
    precision = candidate.precision if candidate.precision in MIN_AGREEMENT else "fp32"
    mious = [None if value is None or math.isnan(value) else value for value in (miou_reference, miou_candidate)]
    verdict = judge(precision, agreement, mious[0], mious[1])
    if verdict.warning:
        log("warning: {}".format(verdict.warning))
    log("{} | {}".format("PASSED" if verdict.passed else "FAILED", verdict.text))
    return verdict_record(verdict), verdict
